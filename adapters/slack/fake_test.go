package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"digestbot/bot"
)

const testToken = "xoxb-test-0123456789-secretpart"

// testIssue is an invented issue used across tests.
func testIssue() *bot.Issue {
	return &bot.Issue{
		Feed:       "https://news.example.org/rss/",
		Newsletter: "Harbour Notes",
		GUID:       "issue-42",
		Title:      "Tide tables go digital & the pier reopens",
		Link:       "https://news.example.org/issue-42/",
		Published:  time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC),
		Standfirst: "The harbour office swaps paper for sensors, and the old pier is back.",
		Image:      "https://cdn.example.org/img/pier.jpg",
		Lead: bot.Story{Paragraphs: []bot.Paragraph{
			{Spans: []bot.Span{
				{Text: "After two winters of repairs, the "},
				{Text: "old pier", URL: "https://news.example.org/pier"},
				{Text: " opened again on Monday. Fishers said the new decking is "},
				{Text: "much", Bold: true},
				{Text: " sturdier."},
			}},
			{Spans: []bot.Span{{Text: "The tide office now publishes readings every ten minutes."}}},
		}},
		Roundup: []bot.Story{
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
				{Text: "A volunteer group "},
				{Text: "mapped every bollard", URL: "https://maps.example.net/bollards?a=1&b=2"},
				{Text: " in the old town."},
			}}}, URL: "https://maps.example.net/bollards?a=1&b=2"},
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
				{Text: "The ferry timetable changes in April; "},
				{Text: "details here", URL: "https://ferry.example.com/april"},
				{Text: "."},
			}}}, URL: "https://ferry.example.com/april"},
		},
		Split: true,
	}
}

func testMessage(is *bot.Issue, layout bot.Layout, part bot.Part, item int) bot.Message {
	ch := bot.Channel{ID: "slack:C0TEST", Platform: "slack", Target: "C0TEST", Layout: layout}
	return bot.Message{
		Key:     bot.DeliveryKey(is, ch.ID, part, item),
		Channel: ch,
		Post:    bot.Post{Issue: is, Part: part, Item: item},
	}
}

// storedMsg is a message the fake keeps for history and replies.
type storedMsg struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Metadata json.RawMessage
}

// failure is a queued response that replaces the next call of a method.
type failure struct {
	status     int    // HTTP status; 0 means 200
	retryAfter string // Retry-After header
	code       string // ok:false error code
}

// fakeSlack records Web API calls made against a slacktest server.
type fakeSlack struct {
	t   *testing.T
	srv *slacktest.Server

	mu       sync.Mutex
	calls    map[string][]url.Values // method → form of each call, failed or not
	stored   []storedMsg
	failures map[string][]failure
	seq      int
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{t: t, calls: map[string][]url.Values{}, failures: map[string][]failure{}}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.handler("chat.postMessage", f.postMessage))
		c.Handle("/chat.update", f.handler("chat.update", f.update))
		c.Handle("/chat.delete", f.handler("chat.delete", f.delete))
		c.Handle("/conversations.history", f.handler("conversations.history", f.history))
		c.Handle("/conversations.replies", f.handler("conversations.replies", f.replies))
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) url() string { return f.srv.GetAPIURL() }

// fail queues failures for the next calls of method.
func (f *fakeSlack) fail(method string, fs ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[method] = append(f.failures[method], fs...)
}

func (f *fakeSlack) callsOf(method string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls[method]...)
}

// storedMsgs returns the messages posted successfully.
func (f *fakeSlack) storedMsgs() []storedMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]storedMsg(nil), f.stored...)
}

func (f *fakeSlack) handler(method string, ok func(w http.ResponseWriter, form url.Values)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form := r.PostForm
		if len(form) == 0 {
			form = r.Form
		}
		f.mu.Lock()
		f.calls[method] = append(f.calls[method], form)
		var fl *failure
		if q := f.failures[method]; len(q) > 0 {
			fl = &q[0]
			f.failures[method] = q[1:]
		}
		f.mu.Unlock()
		tok := form.Get("token")
		if tok == "" {
			tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		if tok != testToken {
			writeAPI(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		if fl != nil {
			if fl.retryAfter != "" {
				w.Header().Set("Retry-After", fl.retryAfter)
			}
			if fl.status != 0 {
				w.WriteHeader(fl.status)
				_, _ = w.Write([]byte("<html>busy</html>"))
				return
			}
			writeAPI(w, map[string]any{"ok": false, "error": fl.code})
			return
		}
		ok(w, form)
	}
}

func writeAPI(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) postMessage(w http.ResponseWriter, form url.Values) {
	f.mu.Lock()
	f.seq++
	ts := fmt.Sprintf("1700000000.%06d", f.seq)
	m := storedMsg{Channel: form.Get("channel"), TS: ts, ThreadTS: form.Get("thread_ts"), Text: form.Get("text")}
	if md := form.Get("metadata"); md != "" {
		m.Metadata = json.RawMessage(md)
	}
	f.stored = append(f.stored, m)
	f.mu.Unlock()
	writeAPI(w, map[string]any{"ok": true, "channel": m.Channel, "ts": ts, "message": map[string]any{"ts": ts, "text": m.Text}})
}

func (f *fakeSlack) update(w http.ResponseWriter, form url.Values) {
	writeAPI(w, map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts"), "text": form.Get("text")})
}

// delete removes a stored message, or answers message_not_found.
func (f *fakeSlack) delete(w http.ResponseWriter, form url.Values) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, m := range f.stored {
		if m.Channel == form.Get("channel") && m.TS == form.Get("ts") {
			f.stored = append(f.stored[:i], f.stored[i+1:]...)
			writeAPI(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
			return
		}
	}
	writeAPI(w, map[string]any{"ok": false, "error": "message_not_found"})
}

func (f *fakeSlack) messageJSON(m storedMsg, withMeta bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if withMeta && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

func (f *fakeSlack) history(w http.ResponseWriter, form url.Values) {
	ch, meta := form.Get("channel"), form.Get("include_all_metadata") == "1"
	f.mu.Lock()
	var msgs []map[string]any
	for i := len(f.stored) - 1; i >= 0; i-- { // newest first
		m := f.stored[i]
		if m.Channel == ch && m.ThreadTS == "" {
			msgs = append(msgs, f.messageJSON(m, meta))
		}
	}
	f.mu.Unlock()
	writeAPI(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func (f *fakeSlack) replies(w http.ResponseWriter, form url.Values) {
	ch, ts, meta := form.Get("channel"), form.Get("ts"), form.Get("include_all_metadata") == "1"
	f.mu.Lock()
	var found []storedMsg
	for _, m := range f.stored {
		if m.Channel == ch && (m.TS == ts || m.ThreadTS == ts) {
			found = append(found, m)
		}
	}
	f.mu.Unlock()
	sort.Slice(found, func(i, j int) bool { return found[i].TS < found[j].TS })
	msgs := make([]map[string]any, 0, len(found))
	for _, m := range found {
		msgs = append(msgs, f.messageJSON(m, meta))
	}
	writeAPI(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

// fakeClock is a clock whose Sleep advances time at once and records the
// waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func newTestClient(t *testing.T, f *fakeSlack, clk *fakeClock) *Client {
	t.Helper()
	c, err := New(Options{Token: testToken, APIURL: f.url(), Now: clk.Now, Sleep: clk.Sleep})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
