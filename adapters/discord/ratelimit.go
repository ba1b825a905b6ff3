package discord

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter remembers Discord's rate-limit buckets from the X-RateLimit-*
// headers so that a request which would surely be refused waits first,
// remembers global limits announced by 429s, and keeps the global limit of
// 50 requests a second (gate). Waiting itself is the caller's, on the
// injectable clock.
type limiter struct {
	mu      sync.Mutex
	routes  map[string]string // route -> bucket key, once Discord named the bucket
	buckets map[string]bucket
	global  time.Time // no request at all before this
	gate    *gate     // at most globalLimit requests reach Discord in any globalWindow
}

// headerPrecision is added to every wait Discord announces: its
// X-RateLimit-Reset-After and retry_after come in milliseconds, rounded, so
// a wait of exactly what they say can end up to half a millisecond early
// and meet a 429 (which costs a Retry-After wait and a place at the gate).
const headerPrecision = time.Millisecond

type bucket struct {
	remaining int
	reset     time.Time
}

func newLimiter() *limiter {
	return &limiter{routes: map[string]string{}, buckets: map[string]bucket{}, gate: newGate(globalLimit, globalWindow)}
}

// key is the bucket a route belongs to: Discord's bucket hash plus the
// route's major parameter, or the route itself until a hash is known.
func (l *limiter) key(route string) string {
	if k, ok := l.routes[route]; ok {
		return k
	}
	return route
}

// wait returns how long to wait before sending on route: until the route's
// bucket resets when it is empty, and until a global 429's Retry-After has
// passed. It reserves nothing; the global limit is the gate's.
func (l *limiter) wait(route string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.global.Sub(now), l.bucketWait(route, now))
}

// waitRoute is wait for a request the global limit does not bind (an
// interaction's callback or follow-up): its route's bucket only.
func (l *limiter) waitRoute(route string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucketWait(route, now)
}

// bucketWait is how long route's bucket, when empty, is closed; l.mu held.
func (l *limiter) bucketWait(route string, now time.Time) time.Duration {
	if b, ok := l.buckets[l.key(route)]; ok && b.remaining <= 0 {
		return max(b.reset.Sub(now), 0)
	}
	return 0
}

// update records a response's X-RateLimit-Bucket, -Remaining and
// -Reset-After (or -Reset) headers.
func (l *limiter) update(route string, h http.Header, now time.Time) {
	remaining, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return // no rate-limit headers on this answer
	}
	var reset time.Time
	if after, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64); err == nil && after >= 0 {
		reset = now.Add(time.Duration(after*float64(time.Second)) + headerPrecision)
	} else if at, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset"), 64); err == nil {
		reset = time.Unix(0, int64(at*float64(time.Second))).Add(headerPrecision)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if hash := h.Get("X-RateLimit-Bucket"); hash != "" {
		l.routes[route] = hash + " " + majorOf(route)
	}
	l.buckets[l.key(route)] = bucket{remaining: remaining, reset: reset}
}

// block records a 429: the route's bucket (or everything, when global) is
// closed until until.
func (l *limiter) block(route string, until time.Time, global bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if global {
		if until.After(l.global) {
			l.global = until
		}
		return
	}
	k := l.key(route)
	b := l.buckets[k]
	b.remaining = 0
	if until.After(b.reset) {
		b.reset = until
	}
	l.buckets[k] = b
}

// majorOf returns the major parameter part of a route ("channels/123"),
// "" when it has none.
func majorOf(route string) string {
	_, p, _ := strings.Cut(route, " ")
	segs := strings.SplitN(p, "/", 3)
	if len(segs) >= 2 {
		switch segs[0] {
		case "channels", "guilds", "webhooks":
			return segs[0] + "/" + segs[1]
		}
	}
	return ""
}
