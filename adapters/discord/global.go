package discord

import (
	"context"
	"sync"
	"time"
)

// Discord's global limit: a bot's requests, whatever their routes, at most
// globalLimit in any globalWindow.
const (
	globalLimit  = 50
	globalWindow = time.Second
	// globalGrace is how long past globalWindow a request still without an
	// answer holds its permit; after that it is taken to have reached
	// Discord long ago (a hung request must not hold the others up until
	// the HTTP timeout).
	globalGrace = time.Second
)

// gate keeps the global limit whatever the network's delays and however
// Discord counts (a fixed or a sliding window): it is a semaphore of limit
// permits in which a request holds its permit from the moment it is sent
// until window after its answer came back. A request reaches Discord
// between those two moments, so no window-long stretch at Discord's end
// ever holds more than limit arrivals: the request of any limit+1 that
// started last started while the other limit still held their permits,
// which cannot be. Pacing by send times alone is not enough: one request
// held up on its way by a few milliseconds and the one limit places after
// it not, and Discord sees limit+1 in one second and answers 429, which
// costs a Retry-After wait.
//
// Permits go first come first served, with no burst across window edges:
// ticket n takes over the permit of ticket n-limit, so it waits until that
// request's answer plus window. A request's answer comes back a round trip
// after it was sent, so each of the limit lanes runs at one request per
// window plus a round trip, a little under the limit, and work done
// between two requests of one channel (the outbox's store writes) is
// hidden in the wait for the permit.
type gate struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	last   []*ticket // the last limit tickets handed out, oldest first
}

// ticket is one request's place at the gate.
type ticket struct {
	window  time.Duration
	once    sync.Once     // settles once: finish or abandon
	started chan struct{} // closed once sent is set (or the request was abandoned)
	settled chan struct{} // closed once free is set
	sent    time.Time     // when the request went out
	free    time.Time     // when its permit passes on; zero: never sent
	// prev is the ticket whose permit t takes over (nil for none), kept
	// until t starts: an abandoned t hands prev's permit on to its
	// successor, which then waits for what t would have waited for.
	prev      *ticket
	abandoned bool // set before started is closed, by abandon
}

func newGate(limit int, window time.Duration) *gate {
	return &gate{limit: limit, window: window}
}

// take hands out the next ticket and the earlier one whose permit it takes
// over (nil while fewer than limit were handed out). The caller must
// await prev, then start and finish t, or abandon t.
func (g *gate) take() (t, prev *ticket) {
	t = &ticket{window: g.window, started: make(chan struct{}), settled: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.last) == g.limit {
		prev = g.last[0]
		g.last = g.last[1:]
	}
	g.last = append(g.last, t)
	t.prev = prev
	return t, prev
}

// start records that t's request is sent at now.
func (t *ticket) start(now time.Time) {
	t.sent = now
	t.prev = nil // t holds the permit now: no chain of old tickets is kept
	close(t.started)
}

// finish records that t's request was answered (or failed) at now: its
// permit passes on window later.
func (t *ticket) finish(now time.Time) {
	t.once.Do(func() {
		t.free = now.Add(t.window)
		close(t.settled)
	})
}

// abandon withdraws t: its request was never sent. The permit t was
// waiting for (its prev's) is not t's to give on at once, since prev may
// still be in flight or within window of its answer: t's successor waits
// for prev's permit instead (await follows the chain).
func (t *ticket) abandon() {
	t.once.Do(func() {
		t.abandoned = true
		close(t.settled) // before started: a waiter that sees started finds it settled
		close(t.started)
	})
}

// permitAt is when the permit of prev, a ticket that has started, passes
// on: its free time once settled, else grace past window after it was sent.
// settled reports which.
func (g *gate) permitAt(prev *ticket) (at time.Time, settled bool) {
	select {
	case <-prev.settled:
		return prev.free, true
	default:
		return prev.sent.Add(g.window + globalGrace), false
	}
}

// await waits, on the caller's clock, until the permit of prev (from
// take) passes on: after prev's request started, then until its answer
// plus window. A request still unanswered globalGrace past window after
// it was sent holds the permit no longer. When prev was abandoned, the
// permit is the one prev was waiting for, and so on down the lane.
func (g *gate) await(ctx context.Context, prev *ticket, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	for {
		if prev == nil {
			return nil
		}
		select {
		case <-prev.started:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !prev.abandoned {
			break
		}
		prev = prev.prev
	}
	at, settled := g.permitAt(prev)
	if !settled {
		if err := sleepOr(ctx, sleep, at.Sub(now()), prev.settled); err != nil {
			return err
		}
		at, _ = g.permitAt(prev)
	}
	if d := at.Sub(now()); d > 0 {
		return sleep(ctx, d)
	}
	return ctx.Err()
}

// sleepOr sleeps d on the caller's clock or until done is closed; only
// ctx's end is an error.
func sleepOr(ctx context.Context, sleep func(context.Context, time.Duration) error, d time.Duration, done <-chan struct{}) error {
	if d <= 0 {
		return ctx.Err()
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-wctx.Done():
		}
	}()
	_ = sleep(wctx, d) // woken early by done: not an error
	return ctx.Err()
}
