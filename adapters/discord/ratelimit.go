package discord

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter remembers Discord's rate-limit buckets from the X-RateLimit-*
// headers so that a request which would surely be refused waits first, and
// remembers global limits announced by 429s. Waiting itself is the
// caller's, on the injectable clock.
type limiter struct {
	mu      sync.Mutex
	routes  map[string]string // route -> bucket key, once Discord named the bucket
	buckets map[string]bucket
	global  time.Time // no request at all before this
	// recent are the start times of the last globalPerSecond requests:
	// Discord allows 50 requests a second in all, and many channels
	// bursting their 5-message buckets at once would otherwise meet
	// global 429s.
	recent []time.Time
}

// globalPerSecond is Discord's global limit for a bot.
const globalPerSecond = 50

type bucket struct {
	remaining int
	reset     time.Time
}

func newLimiter() *limiter {
	return &limiter{routes: map[string]string{}, buckets: map[string]bucket{}}
}

// key is the bucket a route belongs to: Discord's bucket hash plus the
// route's major parameter, or the route itself until a hash is known.
func (l *limiter) key(route string) string {
	if k, ok := l.routes[route]; ok {
		return k
	}
	return route
}

// wait returns how long to wait before sending on route.
func (l *limiter) wait(route string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.global.Sub(now)
	if b, ok := l.buckets[l.key(route)]; ok && b.remaining <= 0 {
		d = max(d, b.reset.Sub(now))
	}
	d = max(d, 0)
	// Reserve a start time at or after the moment the bucket allows, with
	// at most globalPerSecond starts in any second.
	slot := now.Add(d)
	if len(l.recent) == globalPerSecond {
		if free := l.recent[0].Add(time.Second); free.After(slot) {
			slot = free
		}
		l.recent = l.recent[1:]
	}
	i := len(l.recent)
	for i > 0 && l.recent[i-1].After(slot) {
		i--
	}
	l.recent = append(l.recent, time.Time{})
	copy(l.recent[i+1:], l.recent[i:])
	l.recent[i] = slot
	return slot.Sub(now)
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
		reset = now.Add(time.Duration(after * float64(time.Second)))
	} else if at, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset"), 64); err == nil {
		reset = time.Unix(0, int64(at*float64(time.Second)))
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
