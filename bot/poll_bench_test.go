package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
	"digestbot/feeds"
)

// BenchmarkPoll1000Unchanged polls 1,000 feeds that all answer 304 Not
// Modified, once each: the CPU time one unchanged feed costs (fetch,
// lease, record), and whether a cycle over all of them fits in the
// shortest poll interval (bot.MinInterval).
//
//	go test -run '^$' -bench Poll1000Unchanged -benchtime 3x ./bot
func BenchmarkPoll1000Unchanged(b *testing.B) {
	const n = 1000
	body := rss(issueSpec{id: "1", title: "First", date: t0, items: 2})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bot.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clk := &clock{now: t0}
	var plans []bot.FeedPlan
	for i := range n {
		plans = append(plans, bot.FeedPlan{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i), Interval: bot.MinInterval})
	}
	p := &bot.Poller{Store: st, Source: feeds.NewFetcher(feeds.Options{Egress: feeds.Egress{AllowPrivateHosts: []string{"127.0.0.1"}}}), Feeds: plans, Owner: "bench", Now: clk.Now, Jitter: noJitter}
	if err := p.Register(ctx); err != nil {
		b.Fatal(err)
	}
	if k, err := p.PollDue(ctx); err != nil || k != n { // first poll: 200 with the feed
		b.Fatalf("first cycle polled %d, %v", k, err)
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var wall, used time.Duration
	b.ResetTimer()
	for range b.N {
		clk.Add(2 * bot.MinInterval)
		c0, w0 := cpu(), time.Now()
		k, err := p.PollDue(ctx)
		wall += time.Since(w0)
		used += cpu() - c0
		if err != nil || k != n {
			b.Fatalf("cycle polled %d, %v", k, err)
		}
	}
	b.StopTimer()
	f, _ := st.Feed(ctx, plans[0].URL)
	if f.LastError != "" {
		b.Fatalf("a 304 recorded as an error: %q", f.LastError)
	}
	perFeed := used / time.Duration(b.N*n)
	cycle := wall / time.Duration(b.N)
	b.ReportMetric(float64(perFeed.Microseconds()), "cpu-µs/feed")
	b.ReportMetric(cycle.Seconds(), "s/cycle")
	b.Logf("%d unchanged feeds: %v CPU per feed (process, server included), %v wall per cycle (shortest interval %v)", n, perFeed, cycle.Round(time.Millisecond), bot.MinInterval)
	if cycle > bot.MinInterval {
		b.Errorf("a cycle over %d feeds took %v, longer than the shortest interval %v", n, cycle, bot.MinInterval)
	}
}
