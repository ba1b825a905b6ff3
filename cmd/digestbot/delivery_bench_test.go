package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/discord"
	"digestbot/adapters/slack"
	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

// The delivery benchmark: 50 Slack and 50 Discord channels behind fakes
// that enforce the platforms' limits, 20 issues of 8 posts each.
//
//	go test -run '^$' -bench DeliveryRate -benchtime 1x ./cmd/digestbot It runs
//
// in real time: the limits allow 160 s per channel. DIGESTBOT_BENCH_SCALE=N
// makes time run N times faster (every limit and Retry-After divided by
// N); the bot's own costs then weigh N times more, so such a figure is a
// lower bound (and at N=10 measures SQLite's write latency, not pacing).
var benchScale = benchScaleFromEnv()

func benchScaleFromEnv() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("DIGESTBOT_BENCH_SCALE")); err == nil && n > 0 {
		return time.Duration(n)
	}
	return 1
}

const (
	benchChannels = 50 // per platform
	benchIssues   = 20
	benchItems    = 7 // roundup items: 8 posts an issue
)

// limitFakes is fake Slack and Discord APIs with their limits (divided by
// benchScale): Slack one message per second per channel (bursts of 3);
// Discord 5 messages per 5 s per channel and 50 per second in all, with
// rate-limit headers, and 429 with Retry-After beyond. blocked names a
// channel that answers 429 until blockedUntil.
type limitFakes struct {
	mu           sync.Mutex
	start        time.Time
	slackLast    map[string]time.Time
	discBucket   map[string]discBucket
	globalWindow []time.Time
	posts        map[string][]time.Time // channel → arrival of each accepted post
	refused      map[string]int         // platform → 429s
	blocked      string
	blockedUntil time.Time
	seq          int
	done         chan struct{}
	total, want  int

	slackSrv, discordSrv *httptest.Server
}

type discBucket struct {
	count int
	reset time.Time
}

func scaled(d time.Duration) time.Duration { return d / benchScale }

func newLimitFakes(b testing.TB, want int) *limitFakes {
	f := &limitFakes{slackLast: map[string]time.Time{}, discBucket: map[string]discBucket{},
		posts: map[string][]time.Time{}, refused: map[string]int{}, done: make(chan struct{}), want: want}
	f.slackSrv = httptest.NewServer(http.HandlerFunc(f.serveSlack))
	f.discordSrv = httptest.NewServer(http.HandlerFunc(f.serveDiscord))
	b.Cleanup(f.slackSrv.Close)
	b.Cleanup(f.discordSrv.Close)
	return f
}

// accept records a post; the caller holds mu.
func (f *limitFakes) accept(ch string, now time.Time) {
	f.posts[ch] = append(f.posts[ch], now)
	f.total++
	if f.total == f.want {
		close(f.done)
	}
}

func (f *limitFakes) serveSlack(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasSuffix(r.URL.Path, "chat.postMessage") {
		fmt.Fprint(w, `{"ok":true,"messages":[],"has_more":false}`)
		return
	}
	ch := r.FormValue("channel")
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch == f.blocked && now.Before(f.blockedUntil) {
		f.refused["slack"]++
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(f.blockedUntil.Sub(now).Seconds()))))
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
		return
	}
	// About one per second, short bursts allowed: a bucket of 3 messages
	// refilled at one a second (slackLast is when the bucket is empty again).
	empty := f.slackLast[ch]
	if empty.Before(now) {
		empty = now
	}
	if empty.Sub(now) > scaled(2*time.Second) {
		f.refused["slack"]++
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
		return
	}
	f.slackLast[ch] = empty.Add(scaled(time.Second))
	f.seq++
	f.accept("slack:"+ch, now)
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1772400000.%06d"}`, ch, f.seq)
}

// window drops times older than d before now and returns the rest.
func window(ts []time.Time, now time.Time, d time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= d {
		i++
	}
	return ts[i:]
}

func (f *limitFakes) serveDiscord(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v10/"), "/")
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	refuse := func(after time.Duration, global bool) {
		scope := "user"
		if global {
			f.refused["discord-global"]++
			scope = "global"
			w.Header().Set("X-RateLimit-Global", "true")
		}
		f.refused["discord"]++
		w.Header().Set("Retry-After", fmt.Sprintf("%.3f", after.Seconds()))
		w.Header().Set("X-RateLimit-Scope", scope)
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.", "retry_after": after.Seconds(), "global": global})
	}
	// The global limit counts every request a bot makes, whatever its
	// route: 50 in any second (a sliding window, the strictest reading of
	// Discord's "50 requests per second").
	f.globalWindow = window(f.globalWindow, now, scaled(time.Second))
	if len(f.globalWindow) >= 50 {
		refuse(scaled(time.Second)-now.Sub(f.globalWindow[0]), true)
		return
	}
	if r.Method == http.MethodGet && len(parts) == 2 {
		f.globalWindow = append(f.globalWindow, now)
		fmt.Fprintf(w, `{"id":%q,"type":0,"guild_id":"111111111111111111"}`, parts[1])
		return
	}
	if r.Method != http.MethodPost || len(parts) != 3 || parts[2] != "messages" {
		f.globalWindow = append(f.globalWindow, now)
		fmt.Fprint(w, `[]`)
		return
	}
	ch := parts[1]
	per, perWindow := 5, scaled(5*time.Second)
	// A channel's bucket, as Discord keeps it: 5 messages, all back when
	// the bucket resets, 5 s after the first of them.
	bk := f.discBucket[ch]
	if !now.Before(bk.reset) {
		bk = discBucket{reset: now.Add(perWindow)}
	}
	headers := func() {
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(per-bk.count))
		w.Header().Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", bk.reset.Sub(now).Seconds()))
		w.Header().Set("X-RateLimit-Bucket", "msg")
	}
	if bk.count >= per {
		f.discBucket[ch] = bk
		headers()
		refuse(bk.reset.Sub(now), false)
		return
	}
	bk.count++
	f.discBucket[ch] = bk
	f.globalWindow = append(f.globalWindow, now)
	headers()
	f.seq++
	f.accept("discord:"+ch, now)
	fmt.Fprintf(w, `{"id":"13%016d","channel_id":%q}`, f.seq, ch)
}

func benchIssue(i int) *bot.Issue {
	para := func(s string) bot.Paragraph { return bot.Paragraph{Spans: []bot.Span{{Text: s}}} }
	is := &bot.Issue{Feed: "https://digest.example.org/rss/", Newsletter: "Bench Digest",
		GUID: fmt.Sprintf("bench-%02d", i), Title: fmt.Sprintf("Issue %d", i), Link: fmt.Sprintf("https://digest.example.org/%d/", i),
		Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i),
		Lead:      bot.Story{Paragraphs: []bot.Paragraph{para(fmt.Sprintf("Lead story of issue %d.", i))}}, Split: true}
	for j := range benchItems {
		u := fmt.Sprintf("https://src%d.example.com/%d", j, i)
		is.Roundup = append(is.Roundup, bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Source", URL: u}, {Text: fmt.Sprintf(" item %d.", j)}}}}, URL: u, Links: []string{u}})
	}
	return is
}

// runDeliveryBench delivers everything once and reports the rates.
func runDeliveryBench(b *testing.B, blockOne bool) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var chans []bot.Channel
	for i := range benchChannels {
		chans = append(chans,
			bot.Channel{ID: fmt.Sprintf("slack-%02d", i), Platform: "slack", Target: fmt.Sprintf("C0BENCH%03d", i), Layout: bot.LayoutSeparate},
			bot.Channel{ID: fmt.Sprintf("discord-%02d", i), Platform: "discord", Target: fmt.Sprintf("2%017d", i), Layout: bot.LayoutSeparate})
	}
	total := 2 * benchChannels * benchIssues * (1 + benchItems)
	f := newLimitFakes(b, total)
	sc, err := slack.New(slack.Options{Token: "xoxb-bench", APIURL: f.slackSrv.URL + "/api/", Pace: scaled(time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	dc, err := discord.New(discord.Options{BotToken: "bench-token", APIURL: f.discordSrv.URL + "/api/v10/"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchIssues {
		is := benchIssue(i)
		if _, err := st.SaveIssue(ctx, is, bot.Deliveries(is, chans)); err != nil {
			b.Fatal(err)
		}
	}
	ob := &bot.Outbox{Store: st, Publishers: map[string]bot.Publisher{"slack": sc, "discord": dc},
		Channels: chans, Owner: "bench", MaxAttempts: 1000}
	start := time.Now()
	f.mu.Lock()
	f.start = start
	if blockOne {
		f.blocked, f.blockedUntil = "C0BENCH000", start.Add(scaled(60*time.Second))
	}
	f.mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ob.Run(rctx, nil, 10*time.Millisecond) }()
	select {
	case <-f.done:
	case <-time.After(10 * time.Minute):
		b.Fatal("not delivered in 10 minutes")
	}
	cancel()
	<-done
	elapsed := time.Since(start)

	f.mu.Lock()
	defer f.mu.Unlock()
	perChannel := benchIssues * (1 + benchItems)
	// A channel's rate: its posts over the time from the start to its
	// last post, against one post per (scaled) second.
	var rates []float64
	worst, worstCh := math.Inf(1), ""
	for ch, ts := range f.posts {
		if len(ts) != perChannel {
			b.Errorf("%s got %d posts, want %d", ch, len(ts), perChannel)
		}
		if blockOne && ch == "slack:C0BENCH000" {
			continue
		}
		// Allowed: perChannel posts take perChannel-1 intervals after the first.
		r := float64(perChannel-1) / (ts[len(ts)-1].Sub(start).Seconds() / scaled(time.Second).Seconds())
		rates = append(rates, r)
		if r < worst {
			worst, worstCh = r, ch
		}
	}
	sort.Float64s(rates)
	allowed := float64(total) / 2 / float64(benchChannels) // posts per channel
	overall := float64(total) / (elapsed.Seconds() / scaled(time.Second).Seconds()) / float64(2*benchChannels)
	b.ReportMetric(100*overall, "%overall")
	b.ReportMetric(100*rates[len(rates)/2], "%median-channel")
	b.ReportMetric(100*worst, "%worst-channel")
	b.ReportMetric(float64(f.refused["slack"]+f.refused["discord"]), "429s")
	b.Logf("blocked=%v: %d posts in %v wall (%v at platform speed, %d per channel allowed at 1/s); overall %.1f %% of the allowed rate; channels median %.1f %%, worst %.1f %% (%s); 429s slack %d, discord %d (global %d)",
		blockOne, total, elapsed.Round(time.Millisecond), (elapsed * benchScale).Round(time.Second), int(allowed), 100*overall, 100*rates[len(rates)/2], 100*worst, worstCh, f.refused["slack"], f.refused["discord"], f.refused["discord-global"])
	if ts := f.posts[worstCh]; len(ts) > 1 {
		// Where the slowest channel lost its time: its first post and its
		// longest gaps between two posts.
		var gaps []time.Duration
		for i := 1; i < len(ts); i++ {
			gaps = append(gaps, ts[i].Sub(ts[i-1]))
		}
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] > gaps[j] })
		b.Logf("slowest channel %s: first post after %v, longest gaps %v", worstCh, ts[0].Sub(start).Round(time.Millisecond), gaps[:min(5, len(gaps))])
	}
	if worst < 0.9 {
		b.Errorf("channel %s reached %.1f %% of the allowed rate, want at least 90 %%", worstCh, 100*worst)
	}
	if blockOne {
		ts := f.posts["slack:C0BENCH000"]
		if first := ts[0].Sub(start); first < scaled(60*time.Second) {
			b.Errorf("the blocked channel posted after %v, inside its 429 period", first)
		}
	}
}

// BenchmarkDeliveryRate: go test -run '^$' -bench DeliveryRate -benchtime 1x ./cmd/digestbot
func BenchmarkDeliveryRate(b *testing.B) {
	for _, blocked := range []bool{false, true} {
		name := "all-channels"
		if blocked {
			name = "one-channel-429-60s"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				runDeliveryBench(b, blocked)
			}
		})
	}
}
