package discord

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// overLimit returns the first arrival time that is the limit+1-th inside
// one window (a sliding window, the strictest count), or false.
func overLimit(arrivals []time.Time, limit int, window time.Duration) (time.Time, bool) {
	a := slices.Clone(arrivals)
	slices.SortFunc(a, func(x, y time.Time) int { return x.Compare(y) })
	for i := limit; i < len(a); i++ {
		if a[i].Sub(a[i-limit]) < window {
			return a[i], true
		}
	}
	return time.Time{}, false
}

// TestGlobalGateAbsorbsNetworkDelays: 100 channels all wanting to send at
// once, each request delayed on its way to Discord and back by up to 40 ms
// at random. Discord, counting in a sliding window, never sees more than 50
// requests in a second, and the gate still lets through nearly 50 a second.
// (Pacing by send times alone, 50 a second, sees 429s here.)
//
// The same with one request in ten given up while it waits for its permit
// (its context ended): it is never sent, and the next request of its lane
// waits for the permit it was waiting for, so Discord still never sees
// more than 50 in a second.
func TestGlobalGateAbsorbsNetworkDelays(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 2000
	arrivals, abandoned := simulateGate(t, t0, n, 0)
	if abandoned != 0 {
		t.Fatalf("%d requests given up, want none", abandoned)
	}
	if at, over := overLimit(arrivals, globalLimit, globalWindow); over {
		t.Fatalf("Discord saw more than %d requests in the second before %v", globalLimit, at.Sub(t0))
	}
	// Each of the 50 lanes runs at one request per second plus a round
	// trip (40 ms on average here): n requests take about n/50 * 1.04 s.
	rate := float64(n-globalLimit) / slices.MaxFunc(arrivals, time.Time.Compare).Sub(t0).Seconds()
	if rate < 0.94*globalLimit {
		t.Errorf("%.1f requests a second got through, want nearly %d", rate, globalLimit)
	}

	arrivals, abandoned = simulateGate(t, t0, n, 10)
	if abandoned < n/20 {
		t.Fatalf("only %d of %d requests given up", abandoned, n)
	}
	if at, over := overLimit(arrivals, globalLimit, globalWindow); over {
		t.Fatalf("with requests given up, Discord saw more than %d requests in the second before %v", globalLimit, at.Sub(t0))
	}
}

// simulateGate runs n requests through a gate one after the other, all
// ready at t0, each delayed on its way to Discord and back by up to 40 ms
// at random; one in abandonOneIn (0: none) is given up instead of sent.
// It returns when the requests sent reached Discord.
func simulateGate(t *testing.T, t0 time.Time, n, abandonOneIn int) (arrivals []time.Time, abandoned int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(13, 13))
	g := newGate(globalLimit, globalWindow)
	for range n {
		tk, prev := g.take()
		if abandonOneIn > 0 && rng.IntN(abandonOneIn) == 0 {
			tk.abandon()
			abandoned++
			continue
		}
		now := t0 // everyone is ready at once: only the gate spaces them
		sleep := func(ctx context.Context, d time.Duration) error { now = now.Add(d); return ctx.Err() }
		// every earlier request has its answer: await never blocks here
		if err := g.await(context.Background(), prev, func() time.Time { return now }, sleep); err != nil {
			t.Fatal(err)
		}
		sent := now
		tk.start(sent)
		arrive := sent.Add(time.Duration(rng.Int64N(int64(40 * time.Millisecond))))
		answer := arrive.Add(time.Duration(rng.Int64N(int64(40 * time.Millisecond))))
		tk.finish(answer)
		arrivals = append(arrivals, arrive)
	}
	return arrivals, abandoned
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestGlobalGateWaitsForTheAnswer: a ticket whose predecessor has been
// sent but not answered waits for the answer, then one window more.
// awaitAnswer runs g.await for the ticket after prev in a goroutine; done
// gets its result. Its sleep, when waiting for prev's answer (a second plus
// globalGrace), closes sleeping and blocks until the answer ends the wait;
// other waits go to clock.
func awaitAnswer(g *gate, prev *ticket, clock *fakeClock) (sleeping <-chan struct{}, done <-chan error) {
	waiting := make(chan struct{})
	var once sync.Once
	sleep := func(ctx context.Context, d time.Duration) error {
		if d == time.Second+globalGrace {
			once.Do(func() { close(waiting) })
			<-ctx.Done()
			return ctx.Err()
		}
		return clock.Sleep(ctx, d)
	}
	result := make(chan error)
	go func() { result <- g.await(context.Background(), prev, clock.Now, sleep) }()
	return waiting, result
}

func TestGlobalGateWaitsForTheAnswer(t *testing.T) {
	g := newGate(1, time.Second)
	clock := newClock()
	t0 := clock.Now()
	first, _ := g.take()
	first.start(t0)
	second, prev := g.take()
	if prev != first {
		t.Fatal("the second ticket does not take over the first one's permit")
	}
	sleeping, done := awaitAnswer(g, prev, clock)
	<-sleeping
	first.finish(t0.Add(30 * time.Millisecond))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(t0); got != 1030*time.Millisecond {
		t.Errorf("the second request went out %v after the first, want 1.03s (its answer plus a second)", got)
	}
	second.abandon()
}

// TestGlobalGateHungRequest: a request with no answer holds its permit
// only globalGrace past the window, not until the HTTP timeout.
func TestGlobalGateHungRequest(t *testing.T) {
	g := newGate(1, time.Second)
	clock := newClock()
	t0 := clock.Now()
	first, _ := g.take()
	first.start(t0)
	_, prev := g.take()
	if err := g.await(context.Background(), prev, clock.Now, clock.Sleep); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(t0); got != time.Second+globalGrace {
		t.Errorf("waited %v for a hung request, want %v", got, time.Second+globalGrace)
	}
}

// TestGlobalGateAbandonedTicket: a request never sent (its context ended)
// passes its permit on at once.
func TestGlobalGateAbandonedTicket(t *testing.T) {
	g := newGate(1, time.Second)
	clock := newClock()
	first, _ := g.take()
	first.abandon()
	_, prev := g.take()
	if err := g.await(context.Background(), prev, clock.Now, clock.Sleep); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("waited %v behind a request never sent", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	third, _ := g.take()
	third.start(clock.Now())
	_, prev = g.take()
	if err := g.await(ctx, prev, clock.Now, clock.Sleep); err == nil {
		t.Error("await with an ended context succeeded")
	}
}

// TestGlobalGateAbandonKeepsLane: a request given up while it waits for
// the permit of one still in flight hands that wait on: the next request
// of its lane waits for the first one's answer plus the window, not for
// nothing (two requests of one lane inside a window can make 51 in a
// second at Discord, a global 429).
func TestGlobalGateAbandonKeepsLane(t *testing.T) {
	g := newGate(1, time.Second)
	clock := newClock()
	t0 := clock.Now()
	first, _ := g.take()
	first.start(t0) // in flight, not answered yet

	second, prev := g.take()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // its caller gives up: shutdown, a lost lease, a client gone
	if err := g.await(ctx, prev, clock.Now, clock.Sleep); err == nil {
		t.Fatal("await with an ended context succeeded")
	}
	second.abandon()

	third, prev := g.take()
	if err := g.await(context.Background(), prev, clock.Now, clock.Sleep); err != nil {
		t.Fatal(err)
	}
	third.start(clock.Now())
	// first never answered: it holds the permit for window plus grace.
	if got := clock.Now().Sub(t0); got != time.Second+globalGrace {
		t.Errorf("the third request went out %v after the first (still unanswered), want %v", got, time.Second+globalGrace)
	}
}

// TestGlobalGateAbandonChain: requests given up one after the other, even
// before the request they waited behind was sent, all hand the same wait
// on: the next one sent waits for the first one's answer plus the window.
func TestGlobalGateAbandonChain(t *testing.T) {
	g := newGate(1, time.Second)
	clock := newClock()
	t0 := clock.Now()
	first, _ := g.take() // not sent yet: waiting for its own turn
	for range 3 {
		tk, _ := g.take()
		tk.abandon()
	}
	last, prev := g.take()
	sleeping, done := awaitAnswer(g, prev, clock)
	first.start(t0)
	select {
	case <-sleeping:
	case err := <-done:
		t.Fatalf("the request behind three given-up ones did not wait for the first one's answer (err %v)", err)
	}
	first.finish(t0.Add(30 * time.Millisecond))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	last.start(clock.Now())
	if got := clock.Now().Sub(t0); got != 1030*time.Millisecond {
		t.Errorf("the request behind three given-up ones went out %v after the first, want 1.03s (its answer plus a second)", got)
	}
}

// answeringRest is a rest client on clock for a server that answers {} to
// every request, after calling seen with it; the server ends with the test.
func answeringRest(t *testing.T, clock *fakeClock, seen func(*http.Request)) *rest {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen(r)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	r, err := newRest(srv.URL+"/api/v10/", testToken, nil, clock.Now, clock.Sleep, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGlobalLimitSpreadsBursts: 120 requests on routes without buckets, at
// once: 50 go out, the next 50 a second after the first ones' answers, and
// Discord never counts more than 50 in a second.
func TestGlobalLimitSpreadsBursts(t *testing.T) {
	clock := newClock()
	var mu sync.Mutex
	var arrivals []time.Time
	r := answeringRest(t, clock, func(*http.Request) {
		mu.Lock()
		arrivals = append(arrivals, clock.Now())
		mu.Unlock()
	})
	t0 := clock.Now()
	for i := range 120 {
		if err := r.do(context.Background(), call{method: "GET", path: "users/@me", auth: true, what: "request " + string(rune('0'+i%10))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := clock.Sleeps(), []time.Duration{time.Second, time.Second}; !slices.Equal(got, want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
	if at, over := overLimit(arrivals, globalLimit, globalWindow); over {
		t.Errorf("more than %d requests in the second before %v", globalLimit, at.Sub(t0))
	}
}

// saturateGate hands out every permit of r's gate to requests that are in
// flight and stay unanswered.
func saturateGate(r *rest, now time.Time) {
	for range globalLimit {
		tk, _ := r.limits.gate.take()
		tk.start(now)
	}
}

// TestInteractionsSkipTheGlobalLimit: an interaction's callback and its
// follow-ups, which Discord does not bind to the global rate limit, go out
// at once while every permit of the gate is held and a global 429 is being
// waited out; a post to a channel waits. Their own route's bucket still
// holds them.
func TestInteractionsSkipTheGlobalLimit(t *testing.T) {
	clock := newClock()
	var mu sync.Mutex
	var got []string
	r := answeringRest(t, clock, func(req *http.Request) {
		mu.Lock()
		got = append(got, req.Method+" "+strings.TrimPrefix(req.URL.Path, "/api/v10/"))
		mu.Unlock()
	})
	saturateGate(r, clock.Now())
	r.limits.block("POST channels/1/messages", clock.Now().Add(5*time.Second), true)

	calls := []call{
		{method: "POST", path: "interactions/7001/itoken/callback", body: &response{Type: respMessage}, interaction: true, what: "answer"},
		{method: "PATCH", path: "webhooks/" + testAppID + "/itoken/messages/@original", body: map[string]string{}, interaction: true, what: "edit"},
		{method: "POST", path: "webhooks/" + testAppID + "/itoken", body: map[string]string{}, interaction: true, what: "follow up"},
	}
	for _, c := range calls {
		if err := r.do(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("interaction requests waited %v behind the global limit", s)
	}
	if len(got) != len(calls) {
		t.Fatalf("sent %v, want the %d interaction requests", got, len(calls))
	}

	// The gate is full and a global 429 is on: an ordinary post waits.
	if err := r.do(context.Background(), call{method: "POST", path: "channels/1/messages", body: map[string]string{}, auth: true, what: "post"}, nil); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) == 0 {
		t.Error("a channel post did not wait for the global limit: the test saturates nothing")
	}

	// A callback's own bucket, once empty, holds it until it resets.
	before := len(clock.Sleeps())
	r.limits.block(routeOf("POST", "interactions/7002/itoken2/callback"), clock.Now().Add(300*time.Millisecond), false)
	if err := r.do(context.Background(), calls[0], nil); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps()[before:]; !slices.Equal(s, []time.Duration{300 * time.Millisecond}) {
		t.Errorf("a callback with its bucket empty waited %v, want 300ms", s)
	}
}
