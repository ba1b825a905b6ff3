package bot

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReplyCacheSharesConcurrentMisses(t *testing.T) {
	c := newReplyCache(10, time.Minute)
	now := func() time.Time { return time.Unix(1000, 0) }
	release := make(chan struct{})
	started := make(chan struct{})
	var runs atomic.Int32
	f := func() (Reply, error) {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return Reply{Title: "hits"}, nil
	}
	var wg sync.WaitGroup
	results := make(chan Reply, 8)
	wg.Add(1)
	go func() { defer wg.Done(); r, _ := c.do(context.Background(), "q", now, f); results <- r }()
	<-started
	for i := 0; i < 7; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); r, _ := c.do(context.Background(), "q", now, f); results <- r }()
	}
	// Wait until the seven are waiting for the first one's search.
	for {
		c.mu.Lock()
		joined := c.flight["q"].waiting
		c.mu.Unlock()
		if joined == 7 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	close(results)
	for r := range results {
		if r.Title != "hits" {
			t.Errorf("got %+v", r)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("search ran %d times for concurrent identical queries, want 1", n)
	}
	// Cached now; errors are not cached.
	if r, _ := c.do(context.Background(), "q", now, func() (Reply, error) { t.Error("ran again"); return Reply{}, nil }); r.Title != "hits" {
		t.Errorf("cached %+v", r)
	}
	boom := errors.New("boom")
	if _, err := c.do(context.Background(), "e", now, func() (Reply, error) { return Reply{}, boom }); err != boom {
		t.Errorf("err %v", err)
	}
	if _, ok := c.get("e", now()); ok {
		t.Error("an error was cached")
	}
	// Expiry.
	if _, ok := c.get("q", now().Add(2*time.Minute)); ok {
		t.Error("entry outlived its TTL")
	}
}

// Cached replies carry a Key that names their content: the same while the
// entry lives, a new one once it is cached again after a reset.
func TestReplyCacheKeys(t *testing.T) {
	c := newReplyCache(10, time.Minute)
	now := func() time.Time { return time.Unix(1000, 0) }
	search := func() (Reply, error) { return Reply{Title: "hits"}, nil }
	first, _ := c.do(context.Background(), "q", now, search)
	again, _ := c.do(context.Background(), "q", now, search)
	if first.Key == "" || again.Key != first.Key {
		t.Fatalf("keys %q then %q, want one non-empty key", first.Key, again.Key)
	}
	other, _ := c.do(context.Background(), "other", now, search)
	if other.Key == first.Key {
		t.Errorf("two queries share key %q", other.Key)
	}
	c.reset()
	after, _ := c.do(context.Background(), "q", now, search)
	if after.Key == "" || after.Key == first.Key {
		t.Errorf("key after reset %q, want a new one (was %q)", after.Key, first.Key)
	}
}

// A caller waiting for another's search gives up with its own context, and
// when the search it waited for ended with its starter's context, it runs
// the search itself.
func TestReplyCacheWaitersHonourTheirOwnContext(t *testing.T) {
	c := newReplyCache(10, time.Minute)
	now := func() time.Time { return time.Unix(1000, 0) }
	release := make(chan struct{})
	started := make(chan struct{})
	leaderCtx, leaderCancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.do(leaderCtx, "q", now, func() (Reply, error) {
			close(started)
			<-release
			return Reply{}, leaderCtx.Err()
		})
		leaderErr <- err
	}()
	<-started
	waitFor := func(n int) {
		for {
			c.mu.Lock()
			joined := 0
			if cl := c.flight["q"]; cl != nil {
				joined = cl.waiting
			}
			c.mu.Unlock()
			if joined >= n {
				return
			}
			runtime.Gosched()
		}
	}
	// A waiter whose own context ends stops waiting at once.
	gone, goneCancel := context.WithCancel(context.Background())
	goneErr := make(chan error, 1)
	go func() {
		_, err := c.do(gone, "q", now, func() (Reply, error) { t.Error("a cancelled waiter searched"); return Reply{}, nil })
		goneErr <- err
	}()
	waitFor(1)
	goneCancel()
	if err := <-goneErr; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter: err %v, want context.Canceled", err)
	}
	// A waiter whose context lives searches again when the starter's ended.
	var ran atomic.Int32
	got := make(chan Reply, 1)
	go func() {
		r, err := c.do(context.Background(), "q", now, func() (Reply, error) { ran.Add(1); return Reply{Title: "hits"}, nil })
		if err != nil {
			t.Errorf("live waiter: %v", err)
		}
		got <- r
	}()
	waitFor(2)
	leaderCancel()
	close(release)
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("starter: err %v", err)
	}
	if r := <-got; r.Title != "hits" || ran.Load() != 1 {
		t.Errorf("live waiter got %+v after %d searches of its own, want the hits from one", r, ran.Load())
	}
}
