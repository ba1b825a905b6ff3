package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testIssue is an invented issue: a lead of three paragraphs and three
// roundup items.
func testIssue() *bot.Issue {
	return &bot.Issue{
		Feed:       "https://news.example.org/rss/",
		Newsletter: "Example Weekly",
		GUID:       "issue-42",
		Title:      "Solar co-ops spread across river towns",
		Link:       "https://news.example.org/issues/42/",
		Published:  time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC),
		Standfirst: "Community energy schemes doubled in a year.",
		Image:      "https://news.example.org/img/solar.jpg",
		Lead: bot.Story{Paragraphs: []bot.Paragraph{
			{Spans: []bot.Span{{Text: "In the valley towns, "}, {Text: "forty co-operatives", Bold: true}, {Text: " now sell power to the grid."}}},
			{Spans: []bot.Span{{Text: "A "}, {Text: "regional report", URL: "https://energy.example.net/report"}, {Text: " counts 1,200 members."}}},
			{Heading: true, Spans: []bot.Span{{Text: "What comes next"}}},
			{Bullet: true, Spans: []bot.Span{{Text: "Storage pilots in two towns."}}},
		}},
		Roundup: []bot.Story{
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "A library lends "}, {Text: "heat cameras", URL: "https://lib.example.com/cameras"}, {Text: "."}}}},
				URL: "https://lib.example.com/cameras"},
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Bike lanes open on the north bridge."}}}}},
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Rain gardens", Italic: true}, {Text: " cut flooding, "}, {Text: "says a study", URL: "https://uni.example.edu/study"}, {Text: "."}}}},
				URL: "https://uni.example.edu/study"},
		},
		Split: true,
	}
}

func testChannel(target string, layout bot.Layout) bot.Channel {
	return bot.Channel{ID: "discord:" + target, Platform: "discord", Target: target, Layout: layout}
}

// message builds the Message the outbox would hand over.
func message(is *bot.Issue, ch bot.Channel, p bot.Post, parent string) bot.Message {
	return bot.Message{Key: bot.DeliveryKey(is, ch.ID, p.Part, p.Item), Channel: ch, Post: p, ParentRef: parent}
}

type clientEnv struct {
	c     *Client
	f     *fakeDiscord
	clock *fakeClock
	logs  *bytes.Buffer
}

// newEnv starts a fake Discord and a client for it; edit changes the
// options before New.
func newEnv(t *testing.T, edit func(*Options)) clientEnv {
	t.Helper()
	clock := newClock()
	f := newFake(t, clock)
	logs := &bytes.Buffer{}
	opts := Options{
		BotToken: testToken,
		APIURL:   f.APIURL(),
		Now:      clock.Now,
		Sleep:    clock.Sleep,
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return clientEnv{c: c, f: f, clock: clock, logs: logs}
}

// publishIssue publishes every post of is in ch the way the outbox does,
// returning the refs in order.
func publishIssue(t *testing.T, c *Client, is *bot.Issue, ch bot.Channel) []string {
	t.Helper()
	var refs []string
	parent := ""
	for _, p := range bot.PostsFor(is, ch.Layout) {
		r, err := c.Publish(context.Background(), message(is, ch, p, parent))
		if err != nil {
			t.Fatalf("Publish %s %d: %v", p.Part, p.Item, err)
		}
		if p.Part == bot.PartLead {
			parent = r
		}
		refs = append(refs, r)
	}
	return refs
}

// golden compares got (indented JSON) with testdata/name, or rewrites it
// with -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was sent; run go test -update if the change is intended.\ngot:\n%s", path, got)
	}
}

// exchange is one request as kept in the golden files.
type exchange struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
}

func exchanges(rs []recorded) []exchange {
	out := make([]exchange, 0, len(rs))
	for _, r := range rs {
		e := exchange{Method: r.Method, Path: redactPath(r.Path), Query: strings.ReplaceAll(r.Query, testWebhookToken, "***")}
		if len(bytes.TrimSpace(r.Body)) > 0 {
			e.Body = r.Body
		}
		out = append(out, e)
	}
	return out
}
