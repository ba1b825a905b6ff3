package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// SeenKey is one request key for SeenBatchStore.
type SeenKey struct {
	Key   string
	Until time.Time
}

// SeenBatchStore is a SeenStore that records many keys in one write: a
// store whose writes are serialised (SQLite) answers a busy endpoint with
// one transaction per batch instead of one per request. seen[i] answers
// keys[i] as SeenRequest would; a key twice in one batch is seen the
// second time.
type SeenBatchStore interface {
	SeenRequests(ctx context.Context, keys []SeenKey, now time.Time) (seen []bool, err error)
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

	// Group commit, when Store is a SeenBatchStore: requests that arrive
	// while a batch is being written wait and go in the next one, written
	// by the first of them (no goroutine of its own).
	bmu     sync.Mutex
	queue   []*seenWait
	writing bool
}

// seenWait is one request waiting for its batch.
type seenWait struct {
	key  SeenKey
	now  time.Time
	done chan seenAnswer // buffered: the writer never blocks
}

type seenAnswer struct {
	seen bool
	err  error
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
	skey := r.Platform + ":" + hex.EncodeToString(sig)
	var seen bool
	var err error
	if bs, ok := r.Store.(SeenBatchStore); ok {
		seen, err = r.seenBatched(sctx, bs, SeenKey{Key: skey, Until: until}, now)
	} else {
		seen, err = r.Store.SeenRequest(sctx, skey, until, now)
	}
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

// seenBatched records key through bs together with the requests waiting
// beside it. A writer goroutine, started when the queue fills and gone
// when it is empty, writes one batch after another; a request waits for
// its answer or for ctx.
func (r *Replays) seenBatched(ctx context.Context, bs SeenBatchStore, key SeenKey, now time.Time) (bool, error) {
	w := &seenWait{key: key, now: now, done: make(chan seenAnswer, 1)}
	r.bmu.Lock()
	r.queue = append(r.queue, w)
	if !r.writing {
		r.writing = true
		go r.writeQueue(bs)
	}
	r.bmu.Unlock()
	select {
	case a := <-w.done:
		return a.seen, a.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// writeQueue writes batches until the queue is empty.
func (r *Replays) writeQueue(bs SeenBatchStore) {
	r.bmu.Lock()
	for len(r.queue) > 0 {
		batch := r.queue
		r.queue = nil
		r.bmu.Unlock()
		r.writeBatch(bs, batch)
		r.bmu.Lock()
	}
	r.writing = false
	r.bmu.Unlock()
}

// writeBatch records one batch and answers each of its requests. The
// latest now of the batch judges expiry: keys are valid for minutes, the
// batch spans milliseconds.
func (r *Replays) writeBatch(bs SeenBatchStore, batch []*seenWait) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	keys := make([]SeenKey, len(batch))
	now := batch[0].now
	for i, w := range batch {
		keys[i] = w.key
		if w.now.After(now) {
			now = w.now
		}
	}
	seen, err := bs.SeenRequests(ctx, keys, now)
	if err == nil && len(seen) != len(batch) {
		err = fmt.Errorf("bot: replay store answered %d of %d keys", len(seen), len(batch))
	}
	for i, w := range batch {
		if err != nil {
			w.done <- seenAnswer{err: err}
			continue
		}
		w.done <- seenAnswer{seen: seen[i]}
	}
}
