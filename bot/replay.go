package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// SeenStore remembers signed requests already accepted (Slack commands,
// Discord interactions), so that a replay is refused even after a restart
// or by another replica. Both stores implement it.
type SeenStore interface {
	// SeenRequest records key until the given time and reports whether it
	// was already recorded (and not expired) at now. Expired keys are
	// forgotten.
	SeenRequest(ctx context.Context, key string, until, now time.Time) (seen bool, err error)
}

// Replays refuses a signed request seen before within its validity: in
// memory first, then in Store when set (shared by replicas, kept across
// restarts). A store failure is logged and the request let through: the
// memory still refuses replays to this process. Safe for concurrent use.
type Replays struct {
	Store  SeenStore // nil: memory only
	Logger *slog.Logger

	mu    sync.Mutex
	mem   map[string]time.Time // key → until
	calls int
}

// Fresh records key (valid until the given time) and reports whether it
// was new; false means a replay.
func (r *Replays) Fresh(ctx context.Context, key string, until, now time.Time) bool {
	r.mu.Lock()
	if r.mem == nil {
		r.mem = map[string]time.Time{}
	}
	r.calls++
	if r.calls%256 == 0 || len(r.mem) > 100_000 {
		for k, u := range r.mem {
			if u.Before(now) {
				delete(r.mem, k)
			}
		}
	}
	if u, ok := r.mem[key]; ok && !u.Before(now) {
		r.mu.Unlock()
		return false
	}
	r.mem[key] = until
	r.mu.Unlock()
	if r.Store == nil {
		return true
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	seen, err := r.Store.SeenRequest(sctx, key, until, now)
	if err != nil {
		if r.Logger != nil {
			r.Logger.Warn("replay_check_failed", slog.String("error", RedactText(err.Error())),
				slog.String("effect", "request accepted on this process's memory alone"))
		}
		return true
	}
	return !seen
}
