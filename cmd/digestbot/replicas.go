package main

import (
	"context"
	"os"
	"time"

	"digestbot/bot"
)

// releaseDeadReplicas ends the leases of earlier processes of this host
// that are dead (killed, crashed): a restart after kill -9 resumes their
// channels at once instead of waiting for their heartbeat to go stale.
// Replica ids made by replicaID are "host-pid"; a configured replica_id
// that a restart reuses owns its old leases anyway.
func (a *app) releaseDeadReplicas(ctx context.Context) {
	host, _ := os.Hostname()
	if host == "" {
		return
	}
	bot.ReleaseDeadReplicas(ctx, a.store, a.poller.Owner, time.Now(),
		func(id string) (int, bool) { return deadLocalPID(id, host) }, a.log)
}
