package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

// openReplicas opens n stores (n connection pools) on one new database.
func openReplicas(t *testing.T, n int) []*Store {
	t.Helper()
	dsn := newDatabase(t)
	var out []*Store
	for range n {
		s, err := Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// TestClaimChannelOneOwner hammers ClaimChannel from six workers on three
// pools, each claiming, holding and releasing channels: at no moment do
// two workers hold one channel.
func TestClaimChannelOneOwner(t *testing.T) {
	stores := openReplicas(t, 3)
	ctx := context.Background()
	now := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)
	channels := []string{"a", "b", "c"}
	var (
		mu     sync.Mutex
		holder = map[string]string{}
		wins   int
		wg     sync.WaitGroup
	)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%len(stores)]
			owner := fmt.Sprintf("r%d", w)
			for i := range 60 {
				ch := channels[(w+i)%len(channels)]
				_, ok, err := s.ClaimChannel(ctx, ch, owner, now, time.Hour, now.Add(-time.Hour))
				if err != nil {
					t.Errorf("%s: ClaimChannel: %v", owner, err)
					return
				}
				if !ok {
					continue
				}
				mu.Lock()
				if h := holder[ch]; h != "" {
					t.Errorf("channel %s claimed by %s while %s holds it", ch, owner, h)
				}
				holder[ch] = owner
				wins++
				mu.Unlock()
				mu.Lock()
				holder[ch] = ""
				mu.Unlock()
				if err := s.ReleaseChannel(ctx, ch, owner); err != nil {
					t.Errorf("%s: ReleaseChannel: %v", owner, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if wins == 0 {
		t.Error("no claim ever succeeded")
	}
}

// fakeSource serves one issue per feed and counts fetches. A fetch of the
// feed named in hang blocks until release is closed.
type fakeSource struct {
	mu      sync.Mutex
	fetches map[string]int
	hang    string
	hung    chan struct{} // closed when the hanging fetch starts
	release chan struct{}
}

func (f *fakeSource) Fetch(ctx context.Context, fs bot.FeedState) (*bot.FetchResult, error) {
	f.mu.Lock()
	f.fetches[fs.URL]++
	hang := fs.URL == f.hang && f.fetches[fs.URL] == 1
	f.mu.Unlock()
	if hang {
		close(f.hung)
		<-f.release
		return nil, fmt.Errorf("fake source: the replica was killed")
	}
	is := replicaIssue(0, time.Date(2025, 11, 20, 8, 0, 0, 0, time.UTC), 2)
	is.Feed, is.GUID = fs.URL, fs.URL+"#1"
	return &bot.FetchResult{Title: "Feed " + fs.URL, ETag: `"v1"`, Issues: []bot.Issue{*is}}, nil
}

func (f *fakeSource) count(url string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches[url]
}

// TestPollersShareFeeds runs three replicas' pollers at once: every feed
// is fetched once, and the feed of a replica killed during its fetch is
// taken over when its lease expires, not before.
func TestPollersShareFeeds(t *testing.T) {
	stores := openReplicas(t, 3)
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)}
	src := &fakeSource{fetches: map[string]int{}, hung: make(chan struct{}), release: make(chan struct{})}
	var plans []bot.FeedPlan
	for i := range 30 {
		plans = append(plans, bot.FeedPlan{URL: fmt.Sprintf("https://feed%02d.example.org/rss", i),
			Interval: 5 * time.Minute, Channels: []bot.Channel{{ID: "a", Platform: "fake", Layout: bot.LayoutThread}}})
	}
	src.hang = plans[17].URL
	pollers := make([]*bot.Poller, len(stores))
	for i, s := range stores {
		pollers[i] = &bot.Poller{Store: s, Source: src, Feeds: plans, Owner: fmt.Sprintf("r%d", i),
			Now: clock.Now, Jitter: noJitter}
		if err := pollers[i].Register(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Round 1: all three poll at once; the one that fetches the hanging
	// feed is "killed": its PollDue does not return until the test ends.
	type result struct {
		owner string
		n     int
		err   error
	}
	results := make(chan result, len(pollers))
	for _, p := range pollers {
		go func() {
			n, err := p.PollDue(ctx)
			results <- result{p.Owner, n, err}
		}()
	}
	<-src.hung
	defer func() { close(src.release); <-results }()
	// The two others return when nothing is due any more: every other
	// feed has been polled and recorded by then.
	for range len(pollers) - 1 {
		r := <-results
		if r.err != nil {
			t.Errorf("%s: PollDue: %v", r.owner, r.err)
		}
	}
	for _, p := range plans {
		want := 1
		if got := src.count(p.URL); got != want {
			t.Errorf("%s fetched %d times in round 1, want %d", p.URL, got, want)
		}
	}
	f, err := stores[0].Feed(ctx, src.hang)
	if err != nil {
		t.Fatal(err)
	}
	if f.LeaseOwner == "" || !f.LeaseUntil.After(clock.Now()) {
		t.Fatalf("hanging feed: lease %q until %v, want a live lease", f.LeaseOwner, f.LeaseUntil)
	}
	if due, ok, err := stores[1].NextFeedDue(ctx); err != nil || !ok || !due.Equal(f.LeaseUntil) {
		t.Errorf("NextFeedDue = %v, %v, %v; want the lease's expiry %v", due, ok, err, f.LeaseUntil)
	}

	// Round 2, a minute later: nothing is due, the lease still holds.
	clock.Add(time.Minute)
	for _, p := range pollers {
		if p.Owner == f.LeaseOwner {
			continue
		}
		if n, err := p.PollDue(ctx); err != nil || n != 0 {
			t.Errorf("%s one minute later: polled %d, %v; want nothing", p.Owner, n, err)
		}
	}
	// Round 3: the lease expired; a live replica takes the feed over.
	clock.Add(f.LeaseUntil.Sub(clock.Now()))
	took := 0
	for _, p := range pollers {
		if p.Owner == f.LeaseOwner {
			continue
		}
		n, err := p.PollDue(ctx)
		if err != nil {
			t.Errorf("%s after the lease: %v", p.Owner, err)
		}
		took += n
	}
	if took != 1 || src.count(src.hang) != 2 {
		t.Errorf("after the lease expired: polled %d, hanging feed fetched %d times; want 1 and 2", took, src.count(src.hang))
	}
	if n, err := stores[2].CountIssues(ctx, ""); err != nil || n != len(plans) {
		t.Errorf("CountIssues = %d, %v; want %d", n, err, len(plans))
	}
}

// TestSaveIssueRace saves the same new issue from three pools at once:
// one inserts it, the others find it unchanged, and its targets exist
// once.
func TestSaveIssueRace(t *testing.T) {
	stores := openReplicas(t, 3)
	ctx := context.Background()
	channels := []bot.Channel{{ID: "a", Layout: bot.LayoutThread}}
	for round := range 5 {
		var wg sync.WaitGroup
		results := make([]bot.SaveResult, len(stores))
		errs := make([]error, len(stores))
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				is := replicaIssue(round, time.Date(2025, 11, 20, 8, 0, 0, 0, time.UTC), 2)
				results[i], errs[i] = s.SaveIssue(ctx, is, bot.Deliveries(is, channels))
			}()
		}
		wg.Wait()
		inserted := 0
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("round %d: SaveIssue #%d: %v", round, i, errs[i])
			}
			if r.Status == bot.SaveInserted {
				inserted++
			} else if r.Status != bot.SaveUnchanged {
				t.Errorf("round %d: SaveIssue #%d = %+v, want inserted or unchanged", round, i, r)
			}
			if r.ID != results[0].ID {
				t.Errorf("round %d: IDs %d and %d for one issue", round, r.ID, results[0].ID)
			}
		}
		if inserted != 1 {
			t.Errorf("round %d: %d saves inserted the issue, want 1", round, inserted)
		}
	}
	ts, err := stores[0].Targets(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := stores[0].CountIssues(ctx, ""); err != nil || n != 5 || len(ts) != 5 {
		t.Errorf("%d issues (%v), targets %d; want 5 issues, 5 targets (one channel each)", n, err, len(ts))
	}
}
