package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
	"digestbot/feeds"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func noJitter(time.Duration) time.Duration { return 0 }

// platform is a fake chat platform: it keeps every message it received
// and, like the real adapters, finds an earlier post by key when a retry
// says one may exist.
type platform struct {
	mu       sync.Mutex
	posts    []bot.Message // in the order the platform received them
	edits    []string      // refs edited
	deletes  []string      // refs deleted
	refs     map[string]string
	failNext []error // errors returned (after receiving the post when lostReply)
	lost     int     // how many of the next posts reach the platform but lose their reply
}

func newPlatform() *platform { return &platform{refs: map[string]string{}} }

func (p *platform) Publish(ctx context.Context, m bot.Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.Retry {
		if ref, ok := p.refs[m.Key]; ok {
			return ref, nil // reconciliation: already there
		}
	}
	if len(p.failNext) > 0 {
		err := p.failNext[0]
		p.failNext = p.failNext[1:]
		return "", err
	}
	ref := fmt.Sprintf("msg-%d", len(p.posts)+1)
	p.posts = append(p.posts, m)
	p.refs[m.Key] = ref
	if p.lost > 0 {
		p.lost--
		return "", errors.New("connection reset after the request was sent")
	}
	return ref, nil
}

func (p *platform) Edit(ctx context.Context, m bot.Message, ref string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.edits = append(p.edits, ref)
	return nil
}

func (p *platform) Delete(ctx context.Context, m bot.Message, ref string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deletes = append(p.deletes, ref)
	return nil
}

// keys returns "part/item@channel" for each received post, in order.
func (p *platform) keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.posts {
		out = append(out, fmt.Sprintf("%s:%s/%d@%s", m.Post.Issue.GUID[len(m.Post.Issue.GUID)-1:], m.Post.Part, m.Post.Item, m.Channel.ID))
	}
	return out
}

func (p *platform) assertNoDuplicates(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, m := range p.posts {
		if seen[m.Key] {
			t.Errorf("post %s (%s %d) reached the platform twice", m.Key, m.Post.Part, m.Post.Item)
		}
		seen[m.Key] = true
	}
}

// feedServer serves a feed with ETag support; body can be swapped.
type feedServer struct {
	mu     sync.Mutex
	body   string
	status int
	hits   int
	srv    *httptest.Server
}

func newFeedServer(t *testing.T, body string) *feedServer {
	fs := &feedServer{body: body}
	fs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.hits++
		if fs.status != 0 {
			http.Error(w, "down", fs.status)
			return
		}
		etag := fmt.Sprintf(`"%x"`, len(fs.body)*31+strings.Count(fs.body, "e"))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, fs.body)
	}))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *feedServer) set(body string, status int) {
	fs.mu.Lock()
	fs.body, fs.status = body, status
	fs.mu.Unlock()
}

// rss builds a feed of issues; each issue is (guid suffix, title, roundup count).
func rss(issues ...issueSpec) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Test Digest</title><link>https://digest.example.org/</link>`)
	for _, is := range issues {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://digest.example.org/%s/</link><guid isPermaLink="false">issue-%s</guid><pubDate>%s</pubDate><description>Summary of %s.</description><content:encoded><![CDATA[`,
			is.title, is.id, is.id, is.date.Format(time.RFC1123Z), is.title)
		fmt.Fprintf(&b, `<p>Lead paragraph about %s, with enough words to be a paragraph. %s</p><p>Second paragraph of the lead.</p>`, is.title, is.extra)
		if is.items > 0 {
			b.WriteString(`<p>Here's a roundup of other noteworthy news and initiatives:</p>`)
			for i := 1; i <= is.items; i++ {
				fmt.Fprintf(&b, `<p><a href="https://src%d.example.com/%s">Source %d</a> reports item %d of issue %s.</p>`, i, is.id, i, i, is.id)
			}
		}
		b.WriteString(`]]></content:encoded></item>`)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

type issueSpec struct {
	id, title string
	date      time.Time
	items     int
	extra     string
}

var t0 = time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	path   string
	store  *sqlite.Store
	clock  *clock
	feed   *feedServer
	plat   *platform
	chans  []bot.Channel
	poller *bot.Poller
	outbox *bot.Outbox
}

func newHarness(t *testing.T, body string, chans ...bot.Channel) *harness {
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "bot.db"), clock: &clock{now: t0}, plat: newPlatform(), chans: chans}
	h.feed = newFeedServer(t, body)
	h.open()
	return h
}

// open (re)starts the bot on the same database file, as a restart would.
func (h *harness) open() {
	st, err := sqlite.Open(context.Background(), h.path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	h.store = st
	plan := bot.FeedPlan{URL: h.feed.srv.URL + "/rss/", Interval: 5 * time.Minute, DeliverNewest: 1, Channels: h.chans}
	h.poller = &bot.Poller{Store: st, Source: feeds.NewFetcher(feeds.Options{Egress: feeds.Egress{AllowPrivateHosts: []string{"127.0.0.1"}}}), Feeds: []bot.FeedPlan{plan},
		Owner: "test", Now: h.clock.Now, Jitter: noJitter}
	h.outbox = &bot.Outbox{Store: st, Publishers: map[string]bot.Publisher{"fake": h.plat}, Channels: h.chans,
		Owner: "test", Now: h.clock.Now, Jitter: noJitter}
	if err := h.poller.Register(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) poll() int {
	h.t.Helper()
	n, err := h.poller.PollDue(context.Background())
	if err != nil {
		h.t.Fatalf("PollDue: %v", err)
	}
	return n
}

func (h *harness) send() bot.SendStats {
	h.t.Helper()
	st, err := h.outbox.SendDue(context.Background())
	if err != nil {
		h.t.Fatalf("SendDue: %v", err)
	}
	return st
}

func thread(id string) bot.Channel {
	return bot.Channel{ID: id, Platform: "fake", Target: id, Layout: bot.LayoutThread}
}

func TestFirstPollDeliversOnlyNewestInOrder(t *testing.T) {
	body := rss(
		issueSpec{id: "3", title: "Third", date: t0, items: 2},
		issueSpec{id: "2", title: "Second", date: t0.Add(-7 * 24 * time.Hour), items: 3},
		issueSpec{id: "1", title: "First", date: t0.Add(-14 * 24 * time.Hour), items: 1},
	)
	h := newHarness(t, body, thread("a"), bot.Channel{ID: "b", Platform: "fake", Layout: bot.LayoutCombined})
	if n := h.poll(); n != 1 {
		t.Fatalf("polled %d feeds, want 1", n)
	}
	if n, _ := h.store.CountIssues(context.Background(), ""); n != 3 {
		t.Fatalf("archived %d issues, want 3", n)
	}
	stats := h.send()
	got := strings.Join(h.plat.keys(), " ")
	// Channels run in parallel, so compare each channel's sequence.
	for _, want := range []string{"3:lead/0@a 3:roundup/0@a 3:roundup/1@a", "3:lead/0@b 3:combined/0@b"} {
		if !strings.Contains(filterChannel(got, want), want) {
			t.Errorf("posts %q, want the sequence %q", got, want)
		}
	}
	if stats.Sent != 5 {
		t.Errorf("sent %d, want 5", stats.Sent)
	}
	// Roundup replies go under the lead: ParentRef is the lead's ref.
	for _, m := range h.plat.posts {
		if m.Channel.ID == "a" && m.Post.Part == bot.PartRoundup && m.ParentRef == "" {
			t.Errorf("roundup item %d has no ParentRef", m.Post.Item)
		}
	}
	// Nothing more to send, and a second poll is a 304 with nothing new.
	if s := h.send(); s.Sent != 0 {
		t.Errorf("second pass sent %d", s.Sent)
	}
	h.clock.Add(6 * time.Minute)
	hits := h.feed.hits
	h.poll()
	if h.feed.hits != hits+1 {
		t.Fatalf("feed not fetched again")
	}
	if s := h.send(); s.Sent != 0 {
		t.Errorf("after a 304, sent %d", s.Sent)
	}
	h.plat.assertNoDuplicates(t)
}

// filterChannel keeps the posts of the channel named in want.
func filterChannel(got, want string) string {
	ch := want[strings.LastIndex(want, "@"):]
	var keep []string
	for _, k := range strings.Fields(got) {
		if strings.HasSuffix(k, ch) {
			keep = append(keep, k)
		}
	}
	return strings.Join(keep, " ")
}

func TestNewAndChangedIssues(t *testing.T) {
	one := issueSpec{id: "1", title: "First", date: t0, items: 1}
	h := newHarness(t, rss(one), thread("a"))
	h.poll()
	h.send()
	if len(h.plat.posts) != 2 {
		t.Fatalf("first issue: %d posts, want 2", len(h.plat.posts))
	}
	// A new issue arrives and the first one is corrected.
	two := issueSpec{id: "2", title: "Second", date: t0.Add(time.Hour), items: 2}
	one.extra = "Corrected."
	h.feed.set(rss(two, one), 0)
	h.clock.Add(5 * time.Minute)
	h.poll()
	stats := h.send()
	if stats.Sent != 3 || stats.Edited != 1 {
		t.Errorf("sent %d and edited %d, want 3 and 1", stats.Sent, stats.Edited)
	}
	// Only the lead changed: its roundup item's message is left alone.
	if len(h.plat.edits) != 1 || h.plat.edits[0] != "msg-1" {
		t.Errorf("edits %v, want only the lead of issue 1 (msg-1)", h.plat.edits)
	}
	h.plat.assertNoDuplicates(t)
}

func TestRetriesAndGivingUp(t *testing.T) {
	h := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 2}), thread("a"))
	h.poll()
	h.plat.failNext = []error{errors.New("503 from the platform"), &bot.RateLimitError{What: "fake", After: 30 * time.Second}}
	s := h.send()
	if s.Retried != 1 || s.Sent != 0 {
		t.Fatalf("first pass %+v, want one retry", s)
	}
	// Backoff: not due before 5 s.
	h.clock.Add(4 * time.Second)
	if s := h.send(); s.Sent+s.Retried != 0 {
		t.Fatalf("retried before the backoff: %+v", s)
	}
	h.clock.Add(time.Second)
	if s := h.send(); s.Retried != 1 {
		t.Fatalf("second pass %+v, want the rate limit retry", s)
	}
	// Retry-After 30 s is honoured over the 10 s backoff.
	h.clock.Add(29 * time.Second)
	if s := h.send(); s.Sent != 0 {
		t.Fatalf("sent before Retry-After: %+v", s)
	}
	h.clock.Add(time.Second)
	if s := h.send(); s.Sent != 3 {
		t.Fatalf("after Retry-After %+v, want 3 sent", s)
	}

	// A permanent error gives the post up at once, visibly.
	h2 := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0}), thread("a"))
	h2.poll()
	h2.plat.failNext = []error{bot.Permanent(errors.New("channel_not_found"))}
	if s := h2.send(); s.Failed != 1 {
		t.Fatalf("permanent error: %+v, want 1 failed", s)
	}
	failed, err := h2.store.Deliveries(context.Background(), 10, bot.StateFailed)
	if err != nil || len(failed) != 1 || !strings.Contains(failed[0].LastError, "channel_not_found") {
		t.Fatalf("failed deliveries %+v, %v", failed, err)
	}

	// MaxAttempts bounds retries.
	h3 := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0}), thread("a"))
	h3.outbox.MaxAttempts = 3
	h3.poll()
	for i := 0; i < 3; i++ {
		h3.plat.failNext = []error{errors.New("timeout")}
		h3.send()
		h3.clock.Add(time.Hour)
	}
	if c, _ := h3.store.DeliveryCounts(context.Background()); c[bot.StateFailed] != 1 {
		t.Errorf("after 3 attempts: %v, want 1 failed", c)
	}
}

func TestCrashBetweenSendAndRecord(t *testing.T) {
	h := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 3}), thread("a"))
	h.poll()
	// The lead reaches the platform but the reply is lost.
	h.plat.lost = 1
	if s := h.send(); s.Retried != 1 {
		t.Fatalf("%+v, want a retry", s)
	}
	// The process dies; a new one starts on the same database.
	h.store.Close()
	h.open()
	h.clock.Add(time.Minute)
	h.send()
	if n := len(h.plat.posts); n != 4 {
		t.Errorf("platform has %d posts, want 4: %v", n, h.plat.keys())
	}
	h.plat.assertNoDuplicates(t)
}

func TestRestartTakesOverStaleLease(t *testing.T) {
	h := newHarness(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 1}), thread("a"))
	h.poll()
	ctx := context.Background()
	// A replica leases the channel, starts the lead and dies before sending it.
	if err := h.store.Heartbeat(ctx, "dead", "test", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := h.store.ClaimChannel(ctx, "a", "dead", h.clock.Now(), 30*time.Second, h.clock.Now().Add(-time.Minute)); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	tg, _, ok, err := h.store.NextTarget(ctx, "a")
	if err != nil || !ok {
		t.Fatalf("NextTarget: %v %v", ok, err)
	}
	if _, err := h.store.StartDelivery(ctx, bot.Delivery{IssueID: tg.IssueID, Channel: "a", Key: bot.KeyLead, Part: bot.PartLead}, false); err != nil {
		t.Fatal(err)
	}
	h.store.Close()
	h.open()
	h.clock.Add(5 * time.Second)
	if s := h.send(); s.Sent != 0 {
		t.Fatalf("sent %d while the other replica's lease is live and its heartbeat fresh", s.Sent)
	}
	// Its heartbeat goes stale long before its lease would end by itself.
	h.clock.Add(bot.DefaultStaleAfter)
	if s := h.send(); s.Sent != 2 {
		t.Fatalf("after the heartbeat went stale: %+v, want 2 sent", s)
	}
	if !h.plat.posts[0].Retry {
		t.Error("the second attempt at the lead was not marked Retry")
	}
	h.plat.assertNoDuplicates(t)
}

func TestFeedFailuresBackOff(t *testing.T) {
	h := newHarness(t, "", thread("a"))
	h.feed.set("", http.StatusInternalServerError)
	url := h.poller.Feeds[0].URL
	var waits []time.Duration
	for i := 0; i < 3; i++ {
		h.poll()
		f, err := h.store.Feed(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		if f.ConsecutiveFailures != i+1 || !strings.Contains(f.LastError, "500") {
			t.Fatalf("after %d failures: %d failures recorded, error %q", i+1, f.ConsecutiveFailures, f.LastError)
		}
		waits = append(waits, f.NextPoll.Sub(h.clock.Now()))
		h.clock.Add(f.NextPoll.Sub(h.clock.Now()))
	}
	if want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("backoff %v, want %v", waits, want)
	}
	h.feed.set(rss(issueSpec{id: "1", title: "First", date: t0}), 0)
	h.poll()
	f, _ := h.store.Feed(context.Background(), url)
	if f.ConsecutiveFailures != 0 || f.LastError != "" || f.Title != "Test Digest" {
		t.Errorf("after recovery: %+v", f)
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// blockingPlatform holds its first send until released, so a test can
// shut the outbox down while a send is under way.
type blockingPlatform struct {
	*platform
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingPlatform) Publish(ctx context.Context, m bot.Message) (string, error) {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.entered)
		<-b.release
	}
	return b.platform.Publish(ctx, m)
}

func TestShutdownDrainsAndReleases(t *testing.T) {
	h := newHarness(t, rss(
		issueSpec{id: "2", title: "Second", date: t0, items: 1},
		issueSpec{id: "1", title: "First", date: t0.Add(-time.Hour), items: 1},
	), thread("a"))
	h.poller.Feeds[0].DeliverNewest = 2
	h.poll()
	bp := &blockingPlatform{platform: h.plat, entered: make(chan struct{}), release: make(chan struct{})}
	h.outbox.Publishers["fake"] = bp
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := h.outbox.SendDue(ctx); done <- err }()
	<-bp.entered // the first lead is being sent; the second is claimed behind it
	cancel()
	close(bp.release)
	<-done
	// The send under way finished and was recorded; the other claim was handed back.
	if n := len(h.plat.posts); n != 1 {
		t.Fatalf("%d posts after shutdown, want the one under way", n)
	}
	counts, _ := h.store.DeliveryCounts(context.Background())
	if counts[bot.StateSent] != 1 {
		t.Errorf("counts %v, want the drained send recorded", counts)
	}
	h.outbox.Owner = "restarted"
	if s := h.send(); s.Sent != 3 {
		t.Errorf("after restart %+v, want the 3 remaining posts at once, without waiting for a lease", s)
	}
	h.plat.assertNoDuplicates(t)
}
