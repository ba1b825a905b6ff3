package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
// memory still refuses replays to this process. Safe for concurrent use;
// the zero value (with Platform set) is ready.
//
// The memory keeps each signature in the bucket of the minute its
// validity ends, and drops a bucket whole once every signature in it has
// expired. Nothing grows or is copied per request beyond one map entry,
// and no entry holds a pointer, so a busy endpoint's replay memory costs
// the garbage collector nothing to scan.
type Replays struct {
	// Platform names the signatures in Store: "<platform>:<hex signature>".
	Platform string
	Store    SeenStore // nil: memory only
	Logger   *slog.Logger

	mu      sync.Mutex
	buckets map[int64]map[[sha256.Size]byte]int64 // minute its validity ends → signature → until (Unix s)
}

// Fresh records the request's signature sig (valid until the given time)
// and reports whether it was new; false means a replay. A signature of 32
// bytes (an HMAC-SHA256, as Slack's) is remembered as it is, a longer one
// (Discord's Ed25519) by its SHA-256. Callers refuse requests outside the
// platform's time window first.
func (r *Replays) Fresh(ctx context.Context, sig []byte, until, now time.Time) bool {
	var key [sha256.Size]byte
	if len(sig) == sha256.Size {
		key = [sha256.Size]byte(sig)
	} else {
		key = sha256.Sum256(sig)
	}
	if !r.remember(key, until.Unix(), now.Unix()) {
		return false
	}
	if r.Store == nil {
		return true
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	seen, err := r.Store.SeenRequest(sctx, r.Platform+":"+hex.EncodeToString(sig), until, now)
	if err != nil {
		if r.Logger != nil {
			r.Logger.Warn("replay_check_failed", slog.String("error", RedactText(err.Error())),
				slog.String("effect", "request accepted on this process's memory alone"))
		}
		return true
	}
	return !seen
}

// remember records key until the Unix second until and reports whether
// it was new at now (a key remembered until a second before now is new).
func (r *Replays) remember(key [sha256.Size]byte, until, now int64) bool {
	minute := until / 60
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buckets == nil {
		r.buckets = map[int64]map[[sha256.Size]byte]int64{}
	}
	for m := range r.buckets {
		if (m+1)*60 < now { // its latest until has passed
			delete(r.buckets, m)
		}
	}
	b := r.buckets[minute]
	if b == nil {
		b = map[[sha256.Size]byte]int64{}
		r.buckets[minute] = b
	}
	if u, dup := b[key]; dup && u >= now {
		return false
	}
	b[key] = until
	return true
}

// remembered returns how many signatures the memory holds. For tests.
func (r *Replays) remembered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.buckets {
		n += len(b)
	}
	return n
}
