package bot_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
	"digestbot/feeds"
)

// answers records what a command answered.
type answers struct {
	mu  sync.Mutex
	got []bot.Reply
}

func (r *answers) Respond(_ context.Context, rep bot.Reply) error {
	r.mu.Lock()
	r.got = append(r.got, rep)
	r.mu.Unlock()
	return nil
}

func (r *answers) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, rep := range r.got {
		b.WriteString(rep.Title + "\n" + rep.Text + "\n")
		for _, s := range rep.Sections {
			b.WriteString(s.Title + " | " + s.Meta + " | " + s.Text + "\n")
		}
	}
	return b.String()
}

// subBot is the bot with no configured feed, taking subscriptions from chat.
type subBot struct {
	t       *testing.T
	store   *sqlite.Store
	path    string
	clock   *clock
	plat    *platform
	fetcher *feeds.Fetcher
	svc     *bot.Service
	poller  *bot.Poller
	outbox  *bot.Outbox
	woken   int
}

func newSubBot(t *testing.T) *subBot {
	b := &subBot{t: t, path: filepath.Join(t.TempDir(), "bot.db"), clock: &clock{now: t0}, plat: newPlatform()}
	// The admin allowed 127.0.0.1, where the test's feed servers listen;
	// every other private address stays refused.
	b.fetcher = feeds.NewFetcher(feeds.Options{Egress: feeds.Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
	b.open()
	return b
}

// open (re)starts the bot on the same database, as a restart would.
func (b *subBot) open() {
	st, err := sqlite.Open(context.Background(), b.path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { st.Close() })
	b.store = st
	b.svc = &bot.Service{Store: st, Finder: b.fetcher, Now: b.clock.Now, CacheTTL: -1, Subscribed: func() { b.woken++ }}
	b.poller = &bot.Poller{Store: st, Source: b.fetcher, Owner: "test", Now: b.clock.Now, Jitter: noJitter,
		SubscriptionDefaults: bot.FeedPlan{Interval: 5 * time.Minute, DeliverNewest: 1}}
	b.outbox = &bot.Outbox{Store: st, Publishers: map[string]bot.Publisher{"slack": b.plat}, Owner: "test", Now: b.clock.Now, Jitter: noJitter}
}

func (b *subBot) run(admin bool, channel, text string) *answers {
	c := bot.ParseCommand(text)
	c.Platform, c.Channel, c.User, c.UserName, c.Admin = "slack", channel, "U0ADMIN", "ana", admin
	if !admin {
		c.User, c.UserName = "U0READER", "rui"
	}
	r := &answers{}
	b.svc.Mux().ServeCommand(context.Background(), r, c)
	return r
}

func (b *subBot) cycle() {
	b.t.Helper()
	if _, err := b.poller.PollDue(context.Background()); err != nil {
		b.t.Fatalf("PollDue: %v", err)
	}
	if _, err := b.outbox.SendDue(context.Background()); err != nil {
		b.t.Fatalf("SendDue: %v", err)
	}
}

func TestSubscribeFromChat(t *testing.T) {
	feed := newFeedServer(t, rss(
		issueSpec{id: "2", title: "Second", date: t0.Add(-24 * time.Hour), items: 2},
		issueSpec{id: "1", title: "First", date: t0.Add(-8 * 24 * time.Hour), items: 1},
	))
	feedURL := feed.srv.URL + "/rss/"
	b := newSubBot(t)
	ctx := context.Background()

	// A reader is refused, privately, and told who can do it.
	r := b.run(false, "C0SUB", "subscribe "+feedURL)
	if len(r.got) != 1 || !r.got[0].Error || !r.got[0].Private || !strings.Contains(r.got[0].Text, "workspace admins") {
		t.Fatalf("non-admin subscribe answered %+v, want a private refusal naming who can", r.got)
	}
	if subs, _ := b.store.Subscriptions(ctx, ""); len(subs) != 0 {
		t.Fatalf("refused subscribe stored %+v", subs)
	}

	// An admin subscribes; the feed is polled next and its newest issue posted.
	r = b.run(true, "C0SUB", "subscribe <"+feedURL+"> separate")
	if len(r.got) != 1 || r.got[0].Error || !strings.Contains(r.got[0].Text, "posts only the newest") {
		t.Fatalf("admin subscribe answered %q", r.text())
	}
	if b.woken != 1 {
		t.Errorf("Subscribed called %d times, want 1", b.woken)
	}
	b.cycle()
	want := "sub:slack:separate:C0SUB"
	if got := strings.Join(b.plat.keys(), " "); got != "2:lead/0@"+want+" 2:roundup/0@"+want+" 2:roundup/1@"+want {
		t.Fatalf("posts %q, want the newest issue's lead and 2 roundup items in C0SUB", got)
	}
	if m := b.plat.posts[0]; m.Channel.Platform != "slack" || m.Channel.Target != "C0SUB" || m.Channel.Layout != bot.LayoutSeparate {
		t.Errorf("posted to %+v", m.Channel)
	}

	// /digest feeds in that channel lists it with who subscribed; another channel has none.
	if txt := b.run(false, "C0SUB", "feeds").text(); !strings.Contains(txt, "Test Digest") || !strings.Contains(txt, "subscribed by U0ADMIN (ana)") {
		t.Errorf("feeds in C0SUB:\n%s", txt)
	}
	if txt := b.run(false, "C0OTHER", "feeds").text(); !strings.Contains(txt, "No feed posts to this channel") {
		t.Errorf("feeds in C0OTHER:\n%s", txt)
	}

	// After a restart, a new issue still reaches the channel.
	b.open()
	feed.set(rss(
		issueSpec{id: "3", title: "Third", date: t0.Add(time.Hour), items: 1},
		issueSpec{id: "2", title: "Second", date: t0.Add(-24 * time.Hour), items: 2},
	), 0)
	b.clock.Add(6 * time.Minute)
	b.cycle()
	if got := strings.Join(b.plat.keys()[3:], " "); got != "3:lead/0@"+want+" 3:roundup/0@"+want {
		t.Fatalf("after restart, posts %q, want issue 3 in C0SUB", got)
	}

	// A reader cannot unsubscribe; an admin can, and nothing more is posted.
	if r := b.run(false, "C0SUB", "unsubscribe "+feedURL); len(r.got) != 1 || !r.got[0].Error {
		t.Fatalf("non-admin unsubscribe answered %q", r.text())
	}
	if txt := b.run(true, "C0SUB", "unsubscribe "+feedURL).text(); !strings.Contains(txt, "no longer receives") {
		t.Fatalf("unsubscribe answered %q", txt)
	}
	feed.set(rss(
		issueSpec{id: "4", title: "Fourth", date: t0.Add(2 * time.Hour), items: 1},
		issueSpec{id: "3", title: "Third", date: t0.Add(time.Hour), items: 1},
	), 0)
	b.clock.Add(6 * time.Minute)
	b.cycle()
	if n := len(b.plat.keys()); n != 5 {
		t.Errorf("after unsubscribe, %d posts, want still 5: %v", n, b.plat.keys())
	}
	if n, _ := b.store.CountIssues(ctx, feedURL); n != 4 {
		t.Errorf("archived %d issues, want 4 (the feed is still archived)", n)
	}
	b.plat.assertNoDuplicates(t)
}

func TestSubscribeRefusesPrivateAddresses(t *testing.T) {
	feed := newFeedServer(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 1}))
	u, _ := url.Parse(feed.srv.URL)
	b := newSubBot(t)
	tests := []struct{ url, rule string }{
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://127.0.0.2:" + u.Port() + "/rss/", "loopback"},
		{"http://[::1]:" + u.Port() + "/rss/", "loopback"},
		{"http://10.0.0.8/rss/", "private"},
		{"http://2130706434:" + u.Port() + "/rss/", "loopback"},
		{"http://[fd00::8]/rss/", "unique-local"},
	}
	for _, tt := range tests {
		r := b.run(true, "C0SUB", "subscribe "+tt.url)
		txt := r.text()
		if len(r.got) != 1 || !r.got[0].Error || !strings.Contains(txt, tt.rule) || !strings.Contains(txt, "allow_private_hosts") {
			t.Errorf("subscribe %s answered %q, want a refusal naming %q and the setting", tt.url, txt, tt.rule)
		}
	}
	// Only web addresses: no local files, no other schemes.
	for _, bad := range []string{"file:///etc/passwd", "testdata/sample-feed.xml", "gopher://example.org/"} {
		if r := b.run(true, "C0SUB", "subscribe "+bad); len(r.got) != 1 || !r.got[0].Error {
			t.Errorf("subscribe %s answered %q, want a refusal", bad, r.text())
		}
	}
	if subs, _ := b.store.Subscriptions(context.Background(), ""); len(subs) != 0 {
		t.Errorf("refused subscriptions stored: %+v", subs)
	}
	if feeds, _ := b.store.Feeds(context.Background()); len(feeds) != 0 {
		t.Errorf("refused feeds stored: %+v", feeds)
	}
}

// A third chat platform needs nothing in the core: its users follow and
// its channels subscribe as Slack's do; the console does neither.
func TestAnyChatPlatformFollowsAndSubscribes(t *testing.T) {
	feed := newFeedServer(t, rss(issueSpec{id: "1", title: "First", date: t0, items: 1}))
	b := newSubBot(t)
	ctx := context.Background()
	for _, tc := range []struct {
		platform string
		ok       bool
	}{{"teams", true}, {"console", false}} {
		for _, text := range []string{"follow cambodia", "subscribe " + feed.srv.URL + "/rss/"} {
			c := bot.ParseCommand(text)
			c.Platform, c.Channel, c.User, c.Admin = tc.platform, "T0CHAN", "T0USER", true
			r := &answers{}
			b.svc.Mux().ServeCommand(ctx, r, c)
			if ok := len(r.got) == 1 && !r.got[0].Error; ok != tc.ok {
				t.Errorf("%s from %s answered %q; want accepted %v", text, tc.platform, r.text(), tc.ok)
			}
		}
	}
	if subs, err := b.store.Subscriptions(ctx, ""); err != nil || len(subs) != 1 || subs[0].Platform != "teams" {
		t.Errorf("subscriptions %+v, %v; want the teams channel's", subs, err)
	}
}
