package bot

import (
	"sync"
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
}

type cachedReply struct {
	reply   Reply
	expires time.Time
}

func newReplyCache(max int, ttl time.Duration) *replyCache {
	return &replyCache{ttl: ttl, max: max, entries: map[string]cachedReply{}}
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

func (c *replyCache) put(key string, r Reply, now time.Time) {
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
	c.entries[key] = cachedReply{reply: r, expires: now.Add(c.ttl)}
}

func (c *replyCache) reset() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
