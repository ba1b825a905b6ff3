package bot

import (
	"context"
	"log/slog"
	"time"
)

// DefaultHeartbeat is how often a replica records that it is alive: often
// enough that other replicas take over its channels within
// DefaultStaleAfter of its death.
const DefaultHeartbeat = 5 * time.Second

// Heartbeat records that replica Owner is alive (Store.Heartbeat). A
// failed write is logged and told to Alerts (a store refusing writes opens
// the store incident); a successful one ends that incident.
type Heartbeat struct {
	Store  Store
	Owner  string
	Info   string        // what the replicas table shows of this process
	Every  time.Duration // 0: DefaultHeartbeat
	Now    func() time.Time
	Logger *slog.Logger // nil: discard
	Alerts *Alerts      // nil: nobody is told
}

// Beat records one heartbeat now and reports the store's error.
func (h *Heartbeat) Beat(ctx context.Context) error {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	err := h.Store.Heartbeat(ctx, h.Owner, h.Info, now())
	switch {
	case err == nil:
		h.Alerts.StoreOK(ctx)
	case ctx.Err() == nil:
		if h.Logger != nil {
			h.Logger.Warn("heartbeat_failed", slog.Any("error", err))
		}
		h.Alerts.StoreFailed(ctx, err)
	}
	return err
}

// Run beats at once, then every Every, until ctx ends; it returns nil.
func (h *Heartbeat) Run(ctx context.Context) error {
	every := h.Every
	if every <= 0 {
		every = DefaultHeartbeat
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = h.Beat(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ReleaseDeadReplicas ends the leases of replicas that dead says are
// dead processes (killed, crashed; seen in the last 24 hours, other than
// self), so that a restart after kill -9 resumes their channels at once
// instead of waiting for their heartbeat to go stale. dead reports, for a
// replica id, the process id it names and whether that process is gone.
func ReleaseDeadReplicas(ctx context.Context, st Store, self string, now time.Time, dead func(id string) (pid int, ok bool), log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reps, err := st.Replicas(ctx, now.Add(-24*time.Hour))
	if err != nil {
		log.Warn("replicas_unreadable", slog.Any("error", err))
		return
	}
	for _, r := range reps {
		if r.ID == self {
			continue
		}
		pid, ok := dead(r.ID)
		if !ok {
			continue
		}
		if err := st.ReleaseReplica(ctx, r.ID); err != nil {
			log.Warn("replica_release_failed", slog.String("replica", r.ID), slog.Any("error", err))
			continue
		}
		log.Info("dead_replica_released", slog.String("replica", r.ID), slog.Int("pid", pid),
			slog.Time("last_heartbeat", r.Heartbeat))
	}
}
