package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

// urlSource answers each feed URL with its own issues or error, and
// remembers which URLs were fetched.
type urlSource struct {
	mu      sync.Mutex
	issues  map[string][]bot.Issue
	errs    map[string]error
	fetched []string
}

func (s *urlSource) Fetch(ctx context.Context, f bot.FeedState) (*bot.FetchResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetched = append(s.fetched, f.URL)
	if err := s.errs[f.URL]; err != nil {
		return nil, err
	}
	return &bot.FetchResult{Title: "Letter", Issues: append([]bot.Issue(nil), s.issues[f.URL]...)}, nil
}

// failingStore is a store whose Feed or Subscriptions fail on demand.
type failingStore struct {
	*sqlite.Store
	feedErr map[string]error // Feed(url) fails
	subsErr error            // Subscriptions fails
}

func (s *failingStore) Feed(ctx context.Context, url string) (bot.FeedState, error) {
	if err := s.feedErr[url]; err != nil {
		return bot.FeedState{}, err
	}
	return s.Store.Feed(ctx, url)
}

func (s *failingStore) Subscriptions(ctx context.Context, feed string) ([]bot.Subscription, error) {
	if s.subsErr != nil {
		return nil, s.subsErr
	}
	return s.Store.Subscriptions(ctx, feed)
}

const (
	feedA = "https://a.example.org/rss/" // configured
	feedB = "https://b.example.org/rss/" // configured, answers 304
	feedC = "https://c.example.org/rss/" // subscribed from chat only
	feedD = "https://d.example.org/rss/" // subscribed from chat only, fails
)

type pollAllRig struct {
	store  *failingStore
	src    *urlSource
	poller *bot.Poller
}

// newPollAllRig: feeds A and B configured (channel "team"), C and D
// subscribed from chat (channel C0SUB); C's subscription was saved
// without its feed row. D fails to fetch, B answers 304.
func newPollAllRig(t *testing.T) *pollAllRig {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &pushClock{t: pushT0}
	src := &urlSource{
		issues: map[string][]bot.Issue{feedA: {pushIssue("a1", pushT0)}, feedC: {pushIssue("c1", pushT0.Add(-time.Hour))}, feedD: {pushIssue("d1", pushT0)}},
		errs:   map[string]error{feedB: fmt.Errorf("fetch b: %w", bot.ErrNotModified), feedD: errors.New("fetch d: 502 bad gateway")},
	}
	fs := &failingStore{Store: st}
	ch := bot.Channel{ID: "team", Platform: "fake", Layout: bot.LayoutThread}
	p := &bot.Poller{Store: fs, Source: src, Owner: "t", Now: clock.Now, Jitter: noJitter,
		Feeds:                []bot.FeedPlan{{URL: feedA, Channels: []bot.Channel{ch}}, {URL: feedB, Channels: []bot.Channel{ch}}},
		SubscriptionDefaults: bot.FeedPlan{Interval: 5 * time.Minute, DeliverNewest: 1}}
	if err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	for _, feed := range []string{feedC, feedD, feedA} { // A: configured and subscribed, polled once
		sub := bot.Subscription{Feed: feed, Platform: "fake", Target: subTarget, Layout: bot.LayoutSeparate, AddedBy: "U0ADMIN (ana)", AddedAt: pushT0}
		if _, err := st.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.EnsureFeed(ctx, feedD); err != nil { // not C's: a subscription without its feed row
		t.Fatal(err)
	}
	return &pollAllRig{store: fs, src: src, poller: p}
}

// PollAll polls every feed the poller serves, once each, due or not:
// the configured ones and those known only from chat subscriptions. A
// failing feed is returned and recorded, and does not stop the others; a
// 304 is no failure.
func TestPollAllPollsConfiguredAndSubscribedFeeds(t *testing.T) {
	r := newPollAllRig(t)
	ctx := context.Background()
	failures, err := r.poller.PollAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{feedA, feedB, feedC, feedD}; !slices.Equal(r.src.fetched, want) {
		t.Errorf("fetched %q, want %q", r.src.fetched, want)
	}
	if len(failures) != 1 || !strings.Contains(failures[0].Error(), "502 bad gateway") {
		t.Errorf("failures = %v, want D's alone", failures)
	}
	if f, err := r.store.Feed(ctx, feedD); err != nil || !strings.Contains(f.LastError, "502") {
		t.Errorf("D's recorded state = %+v, %v; want its error", f, err)
	}
	// C's issue (older than A's, so first) waits for the subscribed channel.
	if tg, _, ok, err := r.store.NextTarget(ctx, subChannel); err != nil || !ok || tg.Title != "Issue c1" {
		t.Errorf("next in the subscribed channel %s: %+v, %v, %v; want issue c1", subChannel, tg, ok, err)
	}

	// Polled again at once (not due): every feed is fetched again.
	r.src.fetched = nil
	if _, err := r.poller.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.src.fetched) != 4 {
		t.Errorf("second PollAll fetched %q, want all four feeds", r.src.fetched)
	}
}

// A store that cannot say which feeds to poll, or a feed's state, ends
// the run at once: no feed after it is fetched.
func TestPollAllStopsOnStoreErrors(t *testing.T) {
	t.Run("subscriptions", func(t *testing.T) {
		r := newPollAllRig(t)
		r.store.subsErr = errors.New("disk I/O error")
		failures, err := r.poller.PollAll(context.Background())
		if err == nil || !strings.Contains(err.Error(), "disk I/O error") || len(failures) != 0 {
			t.Fatalf("PollAll = %v, %v; want the store's error", failures, err)
		}
		if len(r.src.fetched) != 0 {
			t.Errorf("fetched %q before knowing every feed", r.src.fetched)
		}
	})
	t.Run("feed", func(t *testing.T) {
		r := newPollAllRig(t)
		r.store.feedErr = map[string]error{feedB: errors.New("disk I/O error")}
		_, err := r.poller.PollAll(context.Background())
		if err == nil || !strings.Contains(err.Error(), "disk I/O error") {
			t.Fatalf("PollAll error = %v, want the store's", err)
		}
		if want := []string{feedA}; !slices.Equal(r.src.fetched, want) {
			t.Errorf("fetched %q, want %q (the run ends at B)", r.src.fetched, want)
		}
	})
}
