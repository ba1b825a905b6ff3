package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/adapters/ghost"
	"digestbot/bot"
)

// fixturePost is a Ghost post of the tests' own invented newsletter.
type fixturePost struct {
	ID, UUID, Title, Slug, Excerpt, Image string
	Published                             time.Time
	Paras                                 []string // lead paragraphs (HTML)
	Items                                 []string // roundup items (HTML)
}

func (p fixturePost) html() string {
	var b strings.Builder
	for _, s := range p.Paras {
		b.WriteString("<p>" + s + "</p>")
	}
	if len(p.Items) > 0 {
		b.WriteString("<p>Here’s a roundup of other noteworthy news and initiatives:</p>")
		for _, s := range p.Items {
			b.WriteString("<p>" + s + "</p>")
		}
	}
	return b.String()
}

// webhookPost is the post as Ghost 5 puts it in a webhook: raw UTF-8 HTML,
// no ref tags, authors with emails.
func (p fixturePost) webhookPost(site, status string) map[string]any {
	u := site + p.Slug + "/"
	if status != "published" {
		u = site + "p/" + p.UUID + "/"
	}
	return map[string]any{
		"id": p.ID, "uuid": p.UUID, "title": p.Title, "slug": p.Slug, "html": p.html(),
		"plaintext": "(plain text)", "custom_excerpt": p.Excerpt, "excerpt": p.Excerpt,
		"feature_image": p.Image, "featured": false, "status": status, "visibility": "public",
		"url": u, "published_at": p.Published.UTC().Format("2006-01-02T15:04:05.000Z"),
		"updated_at": p.Published.UTC().Format("2006-01-02T15:04:05.000Z"),
		"authors":    []any{map[string]any{"id": "1", "name": "Desk Editor", "email": "desk@harbour.example.org"}},
		"tags":       []any{}, "mobiledoc": nil,
	}
}

var hrefRE = regexp.MustCompile(`href="(https?://[^"]+)"`)

// ghostRSS renders posts the way Ghost's /rss/ does: non-ASCII as hex
// entities, outbound links tagged ?ref=<site host>, the feature image
// inserted before the first paragraph, <ttl>60</ttl>.
func ghostRSS(site string, built time.Time, posts ...fixturePost) string {
	host := strings.TrimSuffix(strings.TrimPrefix(site, "http://"), "/")
	host, _, _ = strings.Cut(host, ":")
	entities := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r > 127 {
				fmt.Fprintf(&b, "&#x%X;", r)
			} else {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom" version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title><![CDATA[Harbour Notes]]></title><description><![CDATA[News from the docks.]]></description><link>%s</link><generator>Ghost 5.130</generator><lastBuildDate>%s</lastBuildDate><atom:link href="%srss/" rel="self" type="application/rss+xml"/><ttl>60</ttl>`,
		site, built.Format(time.RFC1123), site)
	for _, p := range posts {
		body := hrefRE.ReplaceAllStringFunc(p.html(), func(m string) string {
			u := hrefRE.FindStringSubmatch(m)[1]
			if strings.Contains(u, host) {
				return m
			}
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			return `href="` + u + sep + "ref=" + host + `"`
		})
		body = entities(body)
		if p.Image != "" {
			body = `<img src="` + p.Image + `" alt="` + p.Title + `">` + body
		}
		fmt.Fprintf(&b, `<item><title><![CDATA[%s]]></title><description><![CDATA[%s]]></description><link>%s%s/</link><guid isPermaLink="false">%s</guid><dc:creator><![CDATA[Desk Editor]]></dc:creator><pubDate>%s</pubDate>`,
			p.Title, p.Excerpt, site, p.Slug, p.ID, p.Published.UTC().Format(time.RFC1123))
		if p.Image != "" {
			fmt.Fprintf(&b, `<media:content url="%s" medium="image"/>`, p.Image)
		}
		fmt.Fprintf(&b, `<content:encoded><![CDATA[%s]]></content:encoded></item>`, body)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// ghostSite is a fake Ghost: /rss/ with a weak ETag that changes when the
// site "restarts", and the posts it lists.
type ghostSite struct {
	mu    sync.Mutex
	posts []fixturePost
	boot  int
	built time.Time
	srv   *httptest.Server
}

func newGhostSite(t testing.TB) *ghostSite {
	g := &ghostSite{boot: 1, built: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if r.URL.Path == "/ghost/api/content/posts/" {
			g.contentAPI(w, r)
			return
		}
		if r.URL.Path != "/rss/" {
			http.NotFound(w, r) // no /rss/2/, like Ghost
			return
		}
		etag := fmt.Sprintf(`W/"%d-%d"`, g.boot, len(g.posts))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "public, max-age=0")
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, ghostRSS(g.srv.URL+"/", g.built, g.posts...))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// contentAPI serves /ghost/api/content/posts/ (g.mu held): every post,
// newest first, limit per page, dates with +00:00; the key is contentKey.
func (g *ghostSite) contentAPI(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	if q.Get("key") != contentKey {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"message":"Unknown Content API Key","type":"UnauthorizedError","code":"UNKNOWN_CONTENT_API_KEY"}]}`)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	page, _ := strconv.Atoi(q.Get("page"))
	site := g.srv.URL + "/"
	var posts []map[string]any
	for i := (page - 1) * limit; i >= 0 && i < page*limit && i < len(g.posts); i++ {
		p := g.posts[i].webhookPost(site, "published")
		delete(p, "authors")
		p["published_at"] = g.posts[i].Published.UTC().Format("2006-01-02T15:04:05.000+00:00")
		posts = append(posts, p)
	}
	if posts == nil {
		posts = []map[string]any{}
	}
	pages := (len(g.posts) + limit - 1) / limit
	var next any
	if page < pages {
		next = page + 1
	}
	json.NewEncoder(w).Encode(map[string]any{"posts": posts, "meta": map[string]any{"pagination": map[string]any{
		"page": page, "limit": limit, "pages": pages, "total": len(g.posts), "next": next, "prev": nil}}})
}

const contentKey = "5f1e2d3c4b5a69788796a5b4c3"

func (g *ghostSite) publish(p fixturePost) {
	g.mu.Lock()
	g.posts = append([]fixturePost{p}, g.posts...)
	g.mu.Unlock()
}

func (g *ghostSite) restart() {
	g.mu.Lock()
	g.boot++
	g.built = g.built.Add(time.Hour)
	g.mu.Unlock()
}

// chatAPIs is a fake of both Slack's Web API and Discord's REST API that
// counts posts, edits and deletes.
type chatAPIs struct {
	mu                    sync.Mutex
	posts, edits, deletes map[string]int // by platform
	slack, discord        *httptest.Server
	seq                   atomic.Int64
	postedTexts           []string
	onPost                func() // called at every post (benchmark)
}

func newChatAPIs(t testing.TB) *chatAPIs {
	c := &chatAPIs{posts: map[string]int{}, edits: map[string]int{}, deletes: map[string]int{}}
	c.slack = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		n := c.seq.Add(1)
		switch method {
		case "chat.postMessage":
			c.count("slack", c.posts, r.FormValue("blocks")+r.FormValue("text"))
			fmt.Fprintf(w, `{"ok":true,"channel":"C0123ABCD","ts":"1772400000.%06d"}`, n)
		case "chat.update":
			c.count("slack", c.edits, "")
			fmt.Fprintf(w, `{"ok":true,"channel":"C0123ABCD","ts":%q}`, r.FormValue("ts"))
		case "chat.delete":
			c.count("slack", c.deletes, "")
			fmt.Fprintf(w, `{"ok":true,"channel":"C0123ABCD","ts":%q}`, r.FormValue("ts"))
		case "conversations.open": // a follower's direct messages
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, r.FormValue("users"))
		default:
			io.WriteString(w, `{"ok":true,"messages":[],"has_more":false}`)
		}
	}))
	c.discord = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "4")
		w.Header().Set("X-RateLimit-Reset-After", "1")
		w.Header().Set("X-RateLimit-Bucket", "b1")
		n := c.seq.Add(1)
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages"):
			c.count("discord", c.posts, string(b))
			fmt.Fprintf(w, `{"id":"13%015d","channel_id":"123456789012345678","content":""}`, n)
		case r.Method == http.MethodPatch:
			c.count("discord", c.edits, "")
			fmt.Fprintf(w, `{"id":%q,"channel_id":"123456789012345678"}`, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
		case r.Method == http.MethodDelete:
			c.count("discord", c.deletes, "")
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodGet && strings.Count(strings.TrimPrefix(r.URL.Path, "/api/v10/channels/"), "/") == 0:
			fmt.Fprintf(w, `{"id":%q,"type":0,"guild_id":"111111111111111111"}`, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
		default:
			io.WriteString(w, `[]`)
		}
	}))
	t.Cleanup(c.slack.Close)
	t.Cleanup(c.discord.Close)
	return c
}

func (c *chatAPIs) count(platform string, m map[string]int, text string) {
	c.mu.Lock()
	m[platform]++
	if text != "" {
		c.postedTexts = append(c.postedTexts, text)
	}
	var f func()
	if text != "" {
		f = c.onPost
	}
	c.mu.Unlock()
	if f != nil {
		f()
	}
}

func (c *chatAPIs) snapshot() (posts, edits, deletes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range []string{"slack", "discord"} {
		posts += c.posts[p]
		edits += c.edits[p]
		deletes += c.deletes[p]
	}
	return
}

const webhookSecret = "harbour-webhook-secret-7d1c9e"

// pushBot is the bot built from a config with a Ghost site, fake Slack
// and Discord, and its HTTP server.
type pushBot struct {
	a    *testApp
	base string
	logs *bytes.Buffer
}

// e2eChannels: Slack (thread), Discord (separate) and an editors'
// channel for previews.
const e2eChannels = "channels:\n" +
	"  - {name: team, platform: slack, id: C0123ABCD, layout: thread}\n" +
	"  - {name: community, platform: discord, id: \"123456789012345678\", layout: separate}\n" +
	"  - {name: editors, platform: slack, id: C0EDITORS, layout: thread}\n" +
	"editors_channel: editors\n"

func newPushBot(t testing.TB, site string, chat *chatAPIs, channels string) *pushBot {
	tb := newTestBot(t, "") // the fake Ghost is on 127.0.0.1: private feeds allowed
	yaml := "feeds:\n  - url: " + site + "rss/\n" + channels
	if strings.Contains(channels, "editors_channel") {
		yaml = strings.Replace(yaml, "rss/\n", "rss/\n    channels: [team, community]\n", 1)
	}
	tb.writeConfig(yaml)
	for k, v := range map[string]string{
		"DIGESTBOT_HTTP_ADDR":               "127.0.0.1:0",
		"DIGESTBOT_SLACK_BOT_TOKEN":         "xoxb-test-token",
		"DIGESTBOT_SLACK_COMMANDS":          "off",
		"DIGESTBOT_SLACK_API_URL":           chat.slack.URL + "/api/",
		"DIGESTBOT_DISCORD_BOT_TOKEN":       "discord-test-token",
		"DIGESTBOT_DISCORD_COMMANDS":        "off",
		"DIGESTBOT_DISCORD_API_URL":         chat.discord.URL + "/api/v10/",
		"DIGESTBOT_GHOST_WEBHOOK_SECRET":    webhookSecret,
		"DIGESTBOT_LOG_LEVEL":               "debug",
		"DIGESTBOT_DELIVER_NEWEST":          "1",
		"DIGESTBOT_OUTBOX_MAX_ATTEMPTS":     "3",
		"DIGESTBOT_REPLICA_ID":              "test",
		"DIGESTBOT_INTERVAL":                "5m",
		"DIGESTBOT_FETCH_TIMEOUT":           "10s",
		"DIGESTBOT_USER_AGENT":              "digestbot-test",
		"DIGESTBOT_DISCORD_REPLIES":         "ephemeral",
		"DIGESTBOT_SLACK_REPLIES":           "ephemeral",
		"DIGESTBOT_LOG_FORMAT":              "json",
		"DIGESTBOT_GHOST_LEGACY_SIGNATURES": "false",
	} {
		tb.vars[k] = v
	}
	logs := &bytes.Buffer{}
	a := tb.appLogging(&lockedWriter{w: logs})
	t.Cleanup(a.close)
	if err := a.poller.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := a.serve()
	return &pushBot{a: a, base: base, logs: logs}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// webhook sends a signed webhook as Ghost would and returns the status.
func (b *pushBot) webhook(t testing.TB, cur, prev map[string]any) int {
	if cur == nil {
		cur = map[string]any{}
	}
	if prev == nil {
		prev = map[string]any{}
	}
	body, _ := json.Marshal(map[string]any{"post": map[string]any{"current": cur, "previous": prev}})
	req, _ := http.NewRequest(http.MethodPost, b.base+ghost.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Ghost/5.130 (https://github.com/TryGhost/Ghost)")
	req.Header.Set("Content-Version", "v5.130")
	req.Header.Set("X-Ghost-Signature", ghost.Sign(webhookSecret, body, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// settle processes pushed events, then sends what the outbox holds.
func (b *pushBot) settle(t testing.TB) {
	ctx := context.Background()
	if _, err := b.a.pusher.ProcessDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.a.outbox.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
}

// poll polls the feed now, due or not.
func (b *pushBot) poll(t testing.TB) {
	ctx := context.Background()
	for _, p := range b.a.poller.Feeds {
		f, err := b.a.store.Feed(ctx, p.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.a.poller.Poll(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.a.outbox.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
}

func issueFixture(n int) fixturePost {
	return fixturePost{
		ID:        fmt.Sprintf("65e2c0ffee00000000%06d", n),
		UUID:      fmt.Sprintf("0d6f3a52-1b7e-4c55-9a0e-%012d", n),
		Title:     fmt.Sprintf("Harbour crews win safety charter, week %d", n),
		Slug:      fmt.Sprintf("harbour-week-%d", n),
		Excerpt:   "Crews sign a charter on night shifts; a crane report and a seafarers’ helpline.",
		Image:     "https://harbour.example.org/content/images/2026/03/docks.jpg",
		Published: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Add(time.Duration(n) * 24 * time.Hour),
		Paras: []string{
			"Port unions and the harbour authority signed a safety charter on Monday after a year of talks, covering night shifts, heat and lone working.",
			"The charter’s first review is due in six months; <a href=\"https://ports.example.com/charter\">the full text</a> is online.",
		},
		Items: []string{
			`<a href="https://cranes.example.com/report">A survey of crane operators</a> counts near misses across four terminals.`,
			`<a href="https://help.example.net/seafarers?lang=en">A new helpline</a> opens for seafarers stranded abroad.`,
			`<a href="https://wages.example.org/tracker">The wage tracker</a> adds data for tug crews.`,
		},
	}
}

// TestGhostPushEndToEnd: a published webhook posts at once to Slack and
// Discord; the next RSS poll (ref tags, entities, inserted image), a
// Ghost restart's new ETag and a republish post nothing; an edit edits;
// an unpublish withdraws and a later poll does not bring it back.
func TestGhostPushEndToEnd(t *testing.T) {
	g := newGhostSite(t)
	chat := newChatAPIs(t)
	site := g.srv.URL + "/"
	old := issueFixture(1)
	g.publish(old)
	b := newPushBot(t, site, chat, e2eChannels)

	b.poll(t) // first poll: the newest issue is delivered
	p0, _, _ := chat.snapshot()
	if p0 == 0 {
		t.Fatalf("the first poll posted nothing:\n%s", b.logs)
	}

	// Scheduled: a preview in the editors' channel only.
	fresh := issueFixture(2)
	if code := b.webhook(t, fresh.webhookPost(site, "scheduled"), map[string]any{"status": "draft"}); code != 202 {
		t.Fatalf("scheduled webhook: %d\n%s", code, b.logs)
	}
	b.settle(t)
	p1, _, _ := chat.snapshot()
	if p1-p0 != 1+len(fresh.Items) {
		t.Errorf("scheduled: %d posts, want a preview of %d posts in the editors' channel", p1-p0, 1+len(fresh.Items))
	}

	// Published: posted at once in both channels.
	if code := b.webhook(t, fresh.webhookPost(site, "published"), map[string]any{"status": "scheduled"}); code != 202 {
		t.Fatalf("published webhook: %d\n%s", code, b.logs)
	}
	b.settle(t)
	p2, e2, _ := chat.snapshot()
	want := 2 * (1 + len(fresh.Items)) // thread in Slack, separate in Discord
	if p2-p1 != want || e2 != 0 {
		t.Fatalf("published: %d posts and %d edits, want %d posts\n%s", p2-p1, e2, want, b.logs)
	}
	chat.mu.Lock()
	slackPosts, discordPosts := chat.posts["slack"], chat.posts["discord"]
	chat.mu.Unlock()
	if n := 1 + len(fresh.Items); discordPosts != 2*n || slackPosts != 3*n {
		t.Errorf("posts: slack %d, discord %d; want the old issue in each, the preview in Slack and the new issue in both", slackPosts, discordPosts)
	}

	// The feed now lists it, Ghost's way: nothing posted or edited.
	g.publish(fresh)
	b.poll(t)
	g.restart() // new ETag and lastBuildDate, same items
	b.poll(t)
	if p, e, _ := chat.snapshot(); p != p2 || e != 0 {
		t.Errorf("polls after the push: %d new posts, %d edits; want none", p-p2, e)
	}

	// Republished (unpublish missed): nothing new.
	if code := b.webhook(t, fresh.webhookPost(site, "published"), map[string]any{"status": "draft"}); code != 202 {
		t.Fatalf("republish webhook: %d", code)
	}
	b.settle(t)
	if p, e, _ := chat.snapshot(); p != p2 || e != 0 {
		t.Errorf("republish: %d new posts, %d edits; want none", p-p2, e)
	}

	// Edited: one roundup item changes.
	edited := fresh
	edited.Items = append([]string(nil), fresh.Items...)
	edited.Items[1] = `<a href="https://help.example.net/seafarers?lang=en">A new helpline</a> opens for seafarers stranded abroad, day and night.`
	if code := b.webhook(t, edited.webhookPost(site, "published"), map[string]any{"html": fresh.html(), "updated_at": "2026-03-03T09:00:00.000Z"}); code != 202 {
		t.Fatalf("edited webhook: %d", code)
	}
	b.settle(t)
	p3, e3, _ := chat.snapshot()
	if p3 != p2 || e3 == 0 {
		t.Errorf("edited: %d new posts, %d edits; want edits only", p3-p2, e3)
	}
	checkOneEditPerChannel(t, e3)

	// Unpublished, then deleted (Ghost sends both when a post is deleted).
	if code := b.webhook(t, edited.webhookPost(site, "draft"), map[string]any{"status": "published"}); code != 202 {
		t.Fatalf("unpublished webhook: %d", code)
	}
	gone := edited.webhookPost(site, "published")
	delete(gone, "url")
	if code := b.webhook(t, nil, gone); code != 202 {
		t.Fatalf("deleted webhook: %d", code)
	}
	b.settle(t)
	checkWithdrawn(t, b, chat, len(fresh.Items))

	// A cached feed still lists it: not brought back.
	g.restart()
	b.poll(t)
	if p, _, _ := chat.snapshot(); p != p3 {
		t.Errorf("a poll after the withdrawal posted %d again", p-p3)
	}
	// Republished after the withdrawal: it comes back and is posted again.
	if code := b.webhook(t, edited.webhookPost(site, "published"), map[string]any{"status": "draft"}); code != 202 {
		t.Fatalf("republish webhook: %d", code)
	}
	b.settle(t)
	if p, _, _ := chat.snapshot(); p-p3 != 2*(1+len(edited.Items)) {
		t.Errorf("republished after a withdrawal: %d posts, want the issue again in both channels (%d)", p-p3, 2*(1+len(edited.Items)))
	}
	resp, err := http.Get(b.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), `digestbot_push_requests_total{result="accepted",source="ghost"} 7`) {
		t.Errorf("/metrics does not count the 7 accepted webhooks")
	}
	if strings.Contains(b.logs.String(), "desk@harbour.example.org") {
		t.Error("the logs show an author's email from the payload")
	}
}

// checkOneEditPerChannel: a change to one roundup item edits that item's
// message in each channel, nothing else.
func checkOneEditPerChannel(t *testing.T, edits int) {
	t.Helper()
	if edits != 2 {
		t.Errorf("edited one roundup item: %d edits, want 2 (that item's message in Slack and in Discord)", edits)
	}
}

// checkWithdrawn: every message of the issue is deleted (on_remove
// defaults to delete) and the issue leaves search.
func checkWithdrawn(t *testing.T, b *pushBot, chat *chatAPIs, items int) {
	t.Helper()
	if b.a.pusher.Withdraw == nil {
		t.Fatal("the store has no WithdrawIssue")
	}
	if _, _, d := chat.snapshot(); d != 2*(1+items) {
		t.Errorf("withdrawn: %d messages deleted, want %d (the issue's posts in both channels)", d, 2*(1+items))
	}
	hits, err := b.a.store.Search(context.Background(), bot.ParseQuery("seafarers stranded"), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.IssueGUID == issueFixture(2).ID {
			t.Errorf("the withdrawn issue is still found by search: %+v", h)
		}
	}
}

// BenchmarkWebhookToFirstPost measures, over 100 published webhooks, the
// time from sending the request to the chat API receiving the issue's
// first post, with the bot's own loops (push processing, outbox) running
// as in `digestbot run`. Fakes answer at once; the channel is Discord
// (Slack's 1 message/s per channel pacing would measure the pacing).
func BenchmarkWebhookToFirstPost(b *testing.B) {
	g := newGhostSite(b)
	chat := newChatAPIs(b)
	site := g.srv.URL + "/"
	pb := newPushBot(b, site, chat, "channels:\n  - {name: community, platform: discord, id: \"123456789012345678\", layout: combined}\n")
	pb.poll(b) // the first poll of the (empty) feed
	posted := make(chan time.Time, 16)
	chat.mu.Lock()
	chat.onPost = func() { posted <- time.Now() }
	chat.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pb.a.pusher.Run(ctx, pb.a.pushWake, 5*time.Second)
	go pb.a.outbox.Run(ctx, pb.a.wake, 5*time.Second)

	const webhooks = 100
	var lat []time.Duration
	n := 0
	b.ResetTimer()
	for range b.N {
		for range webhooks {
			n++
			p := issueFixture(1000 + n)
			p.Items = nil // one post per issue: the first post is the whole issue
			start := time.Now()
			if code := pb.webhook(b, p.webhookPost(site, "published"), map[string]any{"status": "draft"}); code != 202 {
				b.Fatalf("webhook: %d", code)
			}
			select {
			case at := <-posted:
				lat = append(lat, at.Sub(start))
			case <-time.After(30 * time.Second):
				b.Fatalf("no post 30 s after webhook %d\n%s", n, pb.logs)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// Backfill of a Ghost site: without a key it archives the feed's posts
// and says how to get the rest; with the Content API key it archives
// every post, and the first run afterwards posts nothing.
func TestBackfillGhost(t *testing.T) {
	g := newGhostSite(t)
	for i := 1; i <= 120; i++ {
		g.publish(issueFixture(i))
	}
	full := g.posts
	g.mu.Lock()
	g.posts = full[:15] // the feed: newest 15
	g.mu.Unlock()
	feed := g.srv.URL + "/rss/"
	vars := map[string]string{
		"DIGESTBOT_FEED_URL":            feed,
		"DIGESTBOT_DB":                  filepath.Join(t.TempDir(), "bot.db"),
		"DIGESTBOT_HTTP_ADDR":           "off",
		"DIGESTBOT_ALLOW_PRIVATE_HOSTS": "127.0.0.1", // the fake Ghost
	}
	code, out, stderr := digestbot(t, vars, "backfill", feed)
	if code != 0 || !strings.Contains(out, "15 issues read, 15 archived") {
		t.Fatalf("backfill without a key: exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "only the newest 15 issues") || !strings.Contains(stderr, "--ghost-key") {
		t.Errorf("backfill without a key does not explain the Content API key:\n%s", stderr)
	}

	g.mu.Lock()
	g.posts = full // the Content API has them all; the feed keeps showing 15 (see below)
	g.mu.Unlock()
	code, _, stderr = digestbot(t, vars, "backfill", "--ghost-key", "not-the-key", feed)
	if code == 0 || !strings.Contains(stderr, "UNKNOWN_CONTENT_API_KEY") || strings.Contains(stderr, "not-the-key") {
		t.Errorf("wrong key: exit %d, stderr:\n%s", code, stderr)
	}
	vars["DIGESTBOT_GHOST_CONTENT_API_KEY"] = contentKey
	code, out, stderr = digestbot(t, vars, "backfill", feed)
	if code != 0 || !strings.Contains(out, "120 issues read, 105 archived, 0 updated; nothing was posted") {
		t.Fatalf("backfill with the key: exit %d\n%s%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, contentKey) {
		t.Error("backfill shows the Content API key")
	}
	g.mu.Lock()
	g.posts = full[:15]
	g.mu.Unlock()
	code, out, stderr = digestbot(t, vars, "run", "--once")
	if code != 0 || strings.Contains(out, "Harbour crews") {
		t.Errorf("run --once after backfill: exit %d, posted:\n%s%s", code, out, stderr)
	}
}

// With public_url, the WebSub callbacks are served: unknown ids are 404
// for GET (verification) and POST (content).
func TestWebSubRoute(t *testing.T) {
	b := newTestBot(t, sampleFeed)
	b.vars["DIGESTBOT_HTTP_ADDR"] = "127.0.0.1:0"
	b.vars["DIGESTBOT_PUBLIC_URL"] = "https://bot.example.org"
	a := b.app()
	defer a.close()
	if a.websub == nil {
		t.Fatal("public_url set, but no WebSub manager")
	}
	base := a.serve()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, base+"/websub/0123abcd?hub.mode=subscribe", strings.NewReader("<rss/>"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s /websub/<unknown>: %d, want 404", method, resp.StatusCode)
		}
	}
}
