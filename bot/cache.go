package bot

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// replyCache keeps recent search replies: people repeat searches (a story
// in the news is looked up by many), and a search ranks thousands of
// matches. An entry lives for ttl, and every entry is dropped when this
// process archives something new; other replicas' archiving shows after
// at most ttl.
type replyCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]cachedReply
	flight  map[string]*call // searches under way, so that concurrent misses share one
}

type call struct {
	waiting int // callers waiting for it besides the one running it
	done    chan struct{}
	reply   Reply
	err     error
}

type cachedReply struct {
	reply   Reply
	expires time.Time
}

// replyKeys numbers cached replies process-wide, so that a Reply.Key is
// never given twice, whichever cache gives it.
var replyKeys atomic.Uint64

func newReplyCache(max int, ttl time.Duration) *replyCache {
	return &replyCache{ttl: ttl, max: max, entries: map[string]cachedReply{}, flight: map[string]*call{}}
}

// do returns the cached reply for key, or runs f once for all the callers
// that ask for key meanwhile and caches its reply when it succeeds. f runs
// with the context of the caller that started it; the others wait only as
// long as their own ctx allows, and run the search again themselves if
// the one they waited for ended with its caller's context.
func (c *replyCache) do(ctx context.Context, key string, now func() time.Time, f func() (Reply, error)) (Reply, error) {
	for {
		if r, ok := c.get(key, now()); ok {
			return r, nil
		}
		c.mu.Lock()
		cl, ok := c.flight[key]
		if !ok {
			break
		}
		cl.waiting++
		c.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		}
		if cl.err != nil && ctx.Err() == nil &&
			(errors.Is(cl.err, context.Canceled) || errors.Is(cl.err, context.DeadlineExceeded)) {
			continue // its caller gave up; this one has not
		}
		return cl.reply, cl.err
	}
	// c.mu is held: this caller runs the search.
	cl := &call{done: make(chan struct{})}
	c.flight[key] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flight, key)
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.reply, cl.err = f()
	if cl.err == nil {
		cl.reply = c.put(key, cl.reply, now())
	}
	return cl.reply, cl.err
}

func (c *replyCache) get(key string, now time.Time) (Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		return Reply{}, false
	}
	return e.reply, true
}

// put caches r under key and returns it with its Key set.
func (c *replyCache) put(key string, r Reply, now time.Time) Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		// Drop expired entries; if none, start afresh: cheap and bounded.
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	// Each entry gets a Key of its own, so that a reply cached again after
	// a reset (its results may differ), or by another Service, never shares
	// a Key with another.
	r.Key = "reply/" + strconv.FormatUint(replyKeys.Add(1), 10)
	c.entries[key] = cachedReply{reply: r, expires: now.Add(c.ttl)}
	return r
}

func (c *replyCache) reset() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
