package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DedupeHandler is a slog.Handler that logs a repeated warning or error
// once, then counts its repeats: a record at level Warn or above that is
// identical to one logged less than Every ago (same level, message and
// text attributes; numbers and times are ignored) is not logged but
// counted, and the next one logged after Every carries "repeated" (how
// many were held back). Flush logs the counts still held. Records below
// Warn pass through. Wrap the real handler with NewDedupeHandler.
type DedupeHandler struct {
	next   slog.Handler
	prefix string // attributes and groups added with WithAttrs / WithGroup
	st     *dedupeState
}

type dedupeState struct {
	mu    sync.Mutex
	every time.Duration
	seen  map[string]*dedupeEntry
}

type dedupeEntry struct {
	logged  time.Time    // when this record was last logged
	held    int          // identical records held back since
	last    slog.Record  // the last one held, for Flush
	handler slog.Handler // the handler it came through
}

// maxDedupeKeys bounds the memory of distinct records.
const maxDedupeKeys = 1024

// NewDedupeHandler wraps next; every ≤ 0 means 5 minutes.
func NewDedupeHandler(next slog.Handler, every time.Duration) *DedupeHandler {
	if every <= 0 {
		every = 5 * time.Minute
	}
	return &DedupeHandler{next: next, st: &dedupeState{every: every, seen: map[string]*dedupeEntry{}}}
}

// Enabled implements slog.Handler.
func (h *DedupeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// WithAttrs implements slog.Handler.
func (h *DedupeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		keyText(&b, "", a)
	}
	return &DedupeHandler{next: h.next.WithAttrs(as), prefix: b.String(), st: h.st}
}

// WithGroup implements slog.Handler.
func (h *DedupeHandler) WithGroup(name string) slog.Handler {
	return &DedupeHandler{next: h.next.WithGroup(name), prefix: h.prefix + "[" + name + "]", st: h.st}
}

// Handle implements slog.Handler.
func (h *DedupeHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte('|')
	b.WriteString(r.Message)
	b.WriteByte('|')
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		keyText(&b, "", a)
		return true
	})
	key := b.String()
	now := r.Time
	if now.IsZero() {
		now = time.Now()
	}
	s := h.st
	s.mu.Lock()
	e, ok := s.seen[key]
	if ok && now.Sub(e.logged) < s.every {
		e.held++
		e.last = r.Clone()
		e.handler = h.next
		s.mu.Unlock()
		return nil
	}
	held := 0
	if ok {
		held = e.held
		e.logged, e.held = now, 0
	} else {
		if len(s.seen) >= maxDedupeKeys {
			s.evict(now)
		}
		s.seen[key] = &dedupeEntry{logged: now}
	}
	s.mu.Unlock()
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", held))
	}
	return h.next.Handle(ctx, r)
}

// evict drops entries with nothing held, or failing that the oldest.
func (s *dedupeState) evict(now time.Time) {
	var oldest string
	var at time.Time
	for k, e := range s.seen {
		if e.held == 0 && now.Sub(e.logged) >= s.every {
			delete(s.seen, k)
			continue
		}
		if oldest == "" || e.logged.Before(at) {
			oldest, at = k, e.logged
		}
	}
	if len(s.seen) >= maxDedupeKeys {
		delete(s.seen, oldest)
	}
}

// Flush logs the last held record of every repeated warning or error with
// its count, e.g. at shutdown, and forgets them.
func (h *DedupeHandler) Flush(ctx context.Context) {
	s := h.st
	s.mu.Lock()
	type out struct {
		r slog.Record
		h slog.Handler
	}
	var pending []out
	for k, e := range s.seen {
		if e.held > 0 {
			r := e.last.Clone()
			r.AddAttrs(slog.Int("repeated", e.held))
			pending = append(pending, out{r, e.handler})
		}
		delete(s.seen, k)
	}
	s.mu.Unlock()
	for _, p := range pending {
		_ = p.h.Handle(ctx, p.r)
	}
}

// keyText appends the text attributes of a to b: strings, booleans,
// errors and other values, not numbers, times or durations, which change
// from one repeat to the next (attempt counts, next retry times).
func keyText(b *strings.Builder, group string, a slog.Attr) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindTime, slog.KindDuration:
		return
	case slog.KindGroup:
		for _, g := range v.Group() {
			keyText(b, group+a.Key+".", g)
		}
		return
	}
	b.WriteString(group)
	b.WriteString(a.Key)
	b.WriteByte('=')
	if v.Kind() == slog.KindAny {
		fmt.Fprint(b, v.Any())
	} else {
		b.WriteString(v.String())
	}
	b.WriteByte(' ')
}
