package main

import (
	"context"
	"log/slog"
	"os"
	"time"
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
	reps, err := a.store.Replicas(ctx, time.Now().Add(-24*time.Hour))
	if err != nil {
		a.log.Warn("replicas_unreadable", slog.Any("error", err))
		return
	}
	for _, r := range reps {
		pid, ok := deadLocalPID(r.ID, host)
		if !ok || r.ID == a.poller.Owner {
			continue
		}
		if err := a.store.ReleaseReplica(ctx, r.ID); err != nil {
			a.log.Warn("replica_release_failed", slog.String("replica", r.ID), slog.Any("error", err))
			continue
		}
		a.log.Info("dead_replica_released", slog.String("replica", r.ID), slog.Int("pid", pid),
			slog.Time("last_heartbeat", r.Heartbeat))
	}
}
