package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

// notices records what Alerts sends.
type notices struct {
	mu   sync.Mutex
	sent []string
}

func (n *notices) Notify(_ context.Context, ch bot.Channel, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, ch.ID+": "+text)
	return nil
}

func (n *notices) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent...)
}

func withAlerts(h *harness, n *notices, events *[]string) *bot.Alerts {
	a := &bot.Alerts{Channel: bot.Channel{ID: "alerts", Platform: "fake", Target: "alerts"}, Notifier: n, Now: h.clock.Now,
		Observe: func(kind, event string) { *events = append(*events, kind+" "+event) }}
	h.poller.Alerts, h.outbox.Alerts = a, a
	return a
}

func TestAlertFeedFailing(t *testing.T) {
	h := newHarness(t, "", thread("a"))
	var n notices
	var events []string
	withAlerts(h, &n, &events)
	h.feed.set("", http.StatusInternalServerError)
	url := h.poller.Feeds[0].URL
	pollAgain := func() {
		t.Helper()
		f, err := h.store.Feed(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Add(f.NextPoll.Sub(h.clock.Now()))
		h.poll()
	}
	h.poll()
	pollAgain()
	if got := n.all(); len(got) != 0 {
		t.Fatalf("alert after 2 failures: %q", got)
	}
	pollAgain()
	got := n.all()
	if len(got) != 1 || !strings.Contains(got[0], "failed 3 polls in a row") || !strings.Contains(got[0], "500") || !strings.Contains(got[0], "Next try at") {
		t.Fatalf("after 3 failures: %q, want one alert with the error and the next try", got)
	}
	// A restart does not repeat it; 50 failures are still one incident.
	h.store.Close()
	h.open()
	withAlerts(h, &n, &events)
	for range 47 {
		pollAgain()
	}
	if got := n.all(); len(got) != 1 {
		t.Fatalf("after 50 failures: %d alerts, want 1: %q", len(got), got)
	}
	h.feed.set(rss(issueSpec{id: "1", title: "First", date: t0, items: 1}), 0)
	pollAgain()
	got = n.all()
	if len(got) != 2 || !strings.Contains(got[1], "works again") || !strings.Contains(got[1], "after 50 failed polls") {
		t.Fatalf("after recovery: %q, want one end message", got)
	}
	pollAgain()
	if got := n.all(); len(got) != 2 {
		t.Errorf("a second success sent more: %q", got)
	}
	if fmt.Sprint(events) != "[feed_failing opened feed_failing closed]" {
		t.Errorf("incident events %v", events)
	}
}

func TestAlertPostGivenUp(t *testing.T) {
	h := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 2}), thread("a"))
	var n notices
	var events []string
	withAlerts(h, &n, &events)
	h.poll()
	h.plat.failNext = []error{bot.Permanent(errors.New("channel_not_found")), bot.Permanent(errors.New("channel_not_found"))}
	if s := h.send(); s.Failed != 2 || s.Sent != 1 {
		t.Fatalf("%+v, want 2 given up, 1 sent", s)
	}
	failed, err := h.store.Deliveries(context.Background(), 10, bot.StateFailed)
	if err != nil || len(failed) != 2 {
		t.Fatal(failed, err)
	}
	got := n.all()
	first := failed[len(failed)-1].ID // newest first
	if len(got) < 1 || !strings.Contains(got[0], "given up") || !strings.Contains(got[0], "channel_not_found") ||
		!strings.Contains(got[0], fmt.Sprintf("`digestbot retry %d`", first)) {
		t.Fatalf("alerts %q: want one naming the reason and `digestbot retry %d`", got, first)
	}
	// The third post went out: the incident ends, naming both to retry.
	if len(got) != 2 || !strings.Contains(got[1], "go out again") || !strings.Contains(got[1], fmt.Sprintf("%d %d", first, failed[0].ID)) {
		t.Fatalf("alerts %q: want the end naming both given-up posts", got)
	}
	// digestbot retry sends it again.
	for _, d := range failed {
		if err := h.store.RetryDelivery(context.Background(), d.ID, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if s := h.send(); s.Sent != 2 {
		t.Errorf("after retry: %+v, want 2 sent", s)
	}
}

func TestAlertNoRoundup(t *testing.T) {
	h := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 2}), thread("a"))
	var n notices
	var events []string
	withAlerts(h, &n, &events)
	h.poll()
	h.feed.set(rss(issueSpec{id: "2", title: "Second", date: t0.Add(24 * time.Hour)}, issueSpec{id: "1", title: "First", date: t0, items: 2}), 0)
	h.clock.Add(time.Hour)
	h.poll()
	got := n.all()
	if len(got) != 1 || !strings.Contains(got[0], "“Second”") || !strings.Contains(got[0], "without a recognisable roundup") {
		t.Fatalf("alerts %q, want one about issue Second", got)
	}
	h.feed.set(rss(issueSpec{id: "3", title: "Third", date: t0.Add(48 * time.Hour), items: 1}, issueSpec{id: "2", title: "Second", date: t0.Add(24 * time.Hour)}, issueSpec{id: "1", title: "First", date: t0, items: 2}), 0)
	h.clock.Add(time.Hour)
	h.poll()
	if got := n.all(); len(got) != 2 || !strings.Contains(got[1], "recognised again") {
		t.Fatalf("alerts %q, want the end", got)
	}
}

func TestAlertStoreAndRateLimit(t *testing.T) {
	now := t0
	var n notices
	a := &bot.Alerts{Channel: bot.Channel{ID: "alerts"}, Notifier: &n, Now: func() time.Time { return now }, MaxPerHour: 3}
	ctx := context.Background()
	a.StoreFailed(ctx, errors.New("sqlite: save issue: database or disk is full (13)"))
	a.StoreFailed(ctx, errors.New("sqlite: heartbeat: database or disk is full (13)"))
	if re := a.StoreError(); re == nil || re.Reason != bot.ReasonNoSpace {
		t.Fatalf("StoreError = %v", re)
	}
	a.StoreFailed(ctx, errors.New("context deadline exceeded")) // not a refusal
	a.StoreOK(ctx)
	a.StoreOK(ctx)
	if a.StoreError() != nil {
		t.Error("StoreError after StoreOK")
	}
	got := n.all()
	if len(got) != 2 || !strings.Contains(got[0], "no space left on device") || !strings.Contains(got[1], "accepts writes again") {
		t.Fatalf("store alerts %q", got)
	}
	// Third notice in the hour is the last; the next are held and counted.
	for i := range 5 {
		a.IssueArchived(ctx, &bot.Issue{Feed: fmt.Sprintf("https://f%d.example.org/", i), Title: "x"}, true)
	}
	if got := n.all(); len(got) != 3 {
		t.Fatalf("%d notices in an hour with MaxPerHour 3: %q", len(got), got)
	}
	now = now.Add(61 * time.Minute)
	a.StoreFailed(ctx, errors.New("attempt to write a readonly database (8)"))
	got = n.all()
	if len(got) != 4 || !strings.Contains(got[3], "read-only") || !strings.Contains(got[3], "4 more alerts were held back") {
		t.Fatalf("after the hour: %q", got[len(got)-1])
	}
}
