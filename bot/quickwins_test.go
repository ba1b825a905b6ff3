package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNotModifiedIsNoError(t *testing.T) {
	h := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0}), thread("a"))
	h.poll()
	f, err := h.store.Feed(context.Background(), h.poller.Feeds[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.poller.Poll(context.Background(), f)
	if err != nil || !res.NotModified {
		t.Fatalf("Poll of an unchanged feed = %+v, %v; want NotModified and no error", res, err)
	}
	f, _ = h.store.Feed(context.Background(), h.poller.Feeds[0].URL)
	if f.LastError != "" || f.ConsecutiveFailures != 0 {
		t.Errorf("a 304 was recorded as a failure: %+v", f)
	}
}

func TestDuplicateGUIDFirstWins(t *testing.T) {
	first := issueSpec{id: "1", title: "First copy", date: t0, items: 2}
	second := issueSpec{id: "1", title: "Second copy", date: t0, items: 1}
	h := newHarness(t, rss(first, second), thread("a"))
	f, _ := h.store.Feed(context.Background(), h.poller.Feeds[0].URL)
	res, err := h.poller.Poll(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 1 || res.Updated != 0 || res.Duplicates != 1 {
		t.Fatalf("first poll %+v, want 1 inserted, 0 updated, 1 duplicate", res)
	}
	h.send()
	if n := len(h.plat.posts); n != 3 {
		t.Fatalf("%d posts, want the first copy's lead and 2 roundup items: %v", n, h.plat.keys())
	}
	if got := h.plat.posts[0].Post.Issue.Title; got != "First copy" {
		t.Errorf("posted %q, want the first occurrence", got)
	}
	// Later polls (the body differs in white space, so it is fetched
	// again) keep the first copy: nothing is edited.
	for i := range 3 {
		h.feed.set(rss(first, second)+strings.Repeat(" ", i+1), 0)
		h.clock.Add(6 * time.Minute)
		h.poll()
		h.send()
	}
	if len(h.plat.edits) != 0 {
		t.Errorf("edits %v after later polls, want none", h.plat.edits)
	}
	is, err := h.store.LatestIssue(context.Background())
	if err != nil || is.Title != "First copy" {
		t.Errorf("archived %v, %v; want the first copy", is, err)
	}
}
