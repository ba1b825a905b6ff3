package bot_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

// pushT0 and pushClock are this file's own, so that it does not depend on
// other test files' helpers.
var pushT0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type pushClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *pushClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *pushClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// listSource serves a fixed list of issues.
type listSource struct {
	mu     sync.Mutex
	issues []bot.Issue
}

func (s *listSource) Fetch(ctx context.Context, f bot.FeedState) (*bot.FetchResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &bot.FetchResult{Title: "Harbour Notes", Issues: append([]bot.Issue(nil), s.issues...)}, nil
}

func pushIssue(guid string, at time.Time) bot.Issue {
	return bot.Issue{GUID: guid, Title: "Issue " + guid, Link: "https://harbour.example.org/" + guid + "/", Published: at,
		Lead: bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Lead of " + guid}}}}}}
}

type pushRig struct {
	store  *sqlite.Store
	clock  *pushClock
	src    *listSource
	poller *bot.Poller
	pusher *bot.Pusher
	feed   string
}

func newPushRig(t *testing.T) *pushRig {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &pushRig{store: st, clock: &pushClock{t: pushT0}, src: &listSource{}, feed: "https://harbour.example.org/rss/"}
	ch := bot.Channel{ID: "team", Platform: "fake", Layout: bot.LayoutThread}
	r.poller = &bot.Poller{Store: st, Source: r.src, Owner: "t", Now: r.clock.Now, Pushes: st,
		Jitter: func(time.Duration) time.Duration { return 0 },
		Feeds:  []bot.FeedPlan{{URL: r.feed, Interval: 5 * time.Minute, DeliverNewest: 1, Channels: []bot.Channel{ch}}}}
	r.pusher = &bot.Pusher{Store: st, Pushes: st, Poller: r.poller, Owner: "t", Now: r.clock.Now}
	if err := r.poller.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *pushRig) poll(t *testing.T) bot.PollResult {
	t.Helper()
	f, err := r.store.Feed(context.Background(), r.feed)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.poller.Poll(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (r *pushRig) push(t *testing.T, ev *bot.PushEvent) {
	t.Helper()
	ev.Feed = r.feed
	if ok, err := r.pusher.Accept(context.Background(), ev); !ok || err != nil {
		t.Fatalf("Accept = %v, %v", ok, err)
	}
	if _, err := r.pusher.ProcessDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// pending counts the (issue, channel) pairs the outbox has yet to bring in
// step: one post each for these roundup-less issues in one channel.
func pending(t *testing.T, st bot.Store) int {
	ts, err := st.Targets(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

// A published push delivers at once; a withdrawn issue that a (cached)
// feed still lists is not archived again within the hour, and is after.
func TestPushPublishAndWithdrawHoldoff(t *testing.T) {
	r := newPushRig(t)
	r.src.issues = []bot.Issue{pushIssue("a", pushT0.Add(-time.Hour))}
	r.poll(t) // first poll: a is delivered
	base := pending(t, r.store)

	b := pushIssue("b", pushT0)
	r.push(t, &bot.PushEvent{Key: "k1", Source: "ghost", Kind: bot.PushPublished, GUID: "b", Issue: &b})
	if got := pending(t, r.store) - base; got != 1 {
		t.Errorf("published push queued %d posts, want 1", got)
	}
	if n, _ := r.store.CountIssues(context.Background(), r.feed); n != 2 {
		t.Errorf("%d issues archived, want 2", n)
	}

	// c is withdrawn before any poll saw it; a cached feed still lists it.
	r.push(t, &bot.PushEvent{Key: "k2", Source: "ghost", Kind: bot.PushWithdrawn, GUID: "c"})
	r.src.issues = append(r.src.issues, pushIssue("c", pushT0.Add(time.Minute)))
	r.clock.Add(10 * time.Minute)
	if res := r.poll(t); res.Inserted != 0 {
		t.Errorf("a poll within the hour archived %d withdrawn issues", res.Inserted)
	}
	r.clock.Add(time.Hour)
	if res := r.poll(t); res.Inserted != 1 {
		t.Errorf("a poll an hour later archived %d, want the issue back (1)", res.Inserted)
	}

	// Republishing clears the hold at once.
	r.push(t, &bot.PushEvent{Key: "k3", Source: "ghost", Kind: bot.PushWithdrawn, GUID: "d"})
	d := pushIssue("d", pushT0.Add(2*time.Hour))
	r.push(t, &bot.PushEvent{Key: "k4", Source: "ghost", Kind: bot.PushPublished, GUID: "d", Issue: &d})
	if n, _ := r.store.CountIssues(context.Background(), r.feed); n != 4 {
		t.Errorf("%d issues archived, want 4 after the republish", n)
	}
}

// Before a feed's first poll, a push does nothing: the first poll decides
// what the backlog becomes (deliver_newest).
func TestPushBeforeFirstPoll(t *testing.T) {
	r := newPushRig(t)
	b := pushIssue("b", pushT0)
	r.push(t, &bot.PushEvent{Key: "k1", Source: "ghost", Kind: bot.PushPublished, GUID: "b", Issue: &b})
	if n, _ := r.store.CountIssues(context.Background(), ""); n != 0 {
		t.Errorf("%d issues archived before the first poll", n)
	}
	counts, _ := r.store.PushCounts(context.Background())
	if counts["done"] != 1 {
		t.Errorf("push counts %v, want the event done", counts)
	}
}

// A failing step is retried with backoff, then given up.
func TestPushRetries(t *testing.T) {
	r := newPushRig(t)
	r.src.issues = []bot.Issue{pushIssue("a", pushT0)}
	r.poll(t)
	calls := 0
	r.pusher.Withdraw = func(ctx context.Context, feed, guid string) error {
		calls++
		return context.DeadlineExceeded
	}
	r.push(t, &bot.PushEvent{Key: "k1", Source: "ghost", Kind: bot.PushWithdrawn, GUID: "a"})
	for range 20 {
		r.clock.Add(15 * time.Minute)
		if _, err := r.pusher.ProcessDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ := r.store.PushCounts(context.Background())
	if calls != 10 || counts["failed"] != 1 {
		t.Errorf("%d attempts, counts %v; want 10 attempts and the event failed", calls, counts)
	}
}
