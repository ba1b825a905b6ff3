package console

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

func testIssue() *bot.Issue {
	return &bot.Issue{
		GUID: "g1", Title: "Rivers rise", Link: "https://news.example.org/rivers",
		Newsletter: "Example Digest", Published: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC),
		Standfirst: "A short summary.",
		Lead: bot.Story{Paragraphs: []bot.Paragraph{
			{Spans: []bot.Span{{Text: "Water levels "}, {Text: "rose", URL: "https://src.example.com/a"}, {Text: " again."}}},
			{Spans: []bot.Span{{Text: "Evil \x1b[31mred\x1b[0m text"}}},
		}},
		Roundup: []bot.Story{
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "First item."}}}}, URL: "https://one.example.com/"},
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Second item."}}}}},
		},
		Split: true,
	}
}

func TestPublishLayouts(t *testing.T) {
	is := testIssue()
	tests := []struct {
		layout bot.Layout
		posts  int
		want   []string
	}{
		{bot.LayoutThread, 3, []string{"── Example Digest · 4 Mar 2025", "RIVERS RISE", "rose <https://src.example.com/a>", "↳ Roundup\n  ↳ First item.", "→ https://one.example.com/", "Read the full issue: https://news.example.org/rivers"}},
		{bot.LayoutSeparate, 3, []string{"Roundup\nSecond item."}},
		{bot.LayoutCombined, 2, []string{"Roundup (2 items)", " 1. First item.", " 2. Second item."}},
	}
	for _, tt := range tests {
		t.Run(string(tt.layout), func(t *testing.T) {
			var buf bytes.Buffer
			c := New(&buf)
			ch := bot.Channel{ID: "console", Platform: "console", Layout: tt.layout}
			posts := bot.PostsFor(is, tt.layout)
			if len(posts) != tt.posts {
				t.Fatalf("got %d posts, want %d", len(posts), tt.posts)
			}
			for _, p := range posts {
				ref, err := c.Publish(context.Background(), bot.Message{Key: "k", Channel: ch, Post: p})
				if err != nil || ref != "console:k" {
					t.Fatalf("Publish = %q, %v", ref, err)
				}
			}
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.ContainsRune(out, '\x1b') {
				t.Errorf("escape sequence reached the output:\n%q", out)
			}
			for _, line := range strings.Split(out, "\n") {
				if n := len([]rune(line)); n > Width && !strings.Contains(line, "http") {
					t.Errorf("line of %d runes exceeds %d: %q", n, Width, line)
				}
			}
		})
	}
}

func TestFormatReply(t *testing.T) {
	r := bot.Reply{Title: "Search: water", Sections: []bot.Section{{
		Title: "Rivers rise", URL: "https://news.example.org/rivers", Meta: "4 Mar 2025 · lead story",
		Text: "Water levels rose", Links: []bot.Link{{Text: "Source", URL: "https://src.example.com/a"}},
	}}, Note: "Showing the top 5."}
	var buf bytes.Buffer
	if err := (Responder{W: &buf}).Respond(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := "\n── Search: water " + strings.Repeat("─", Width-17) + "\n\n" +
		"Rivers rise <https://news.example.org/rivers>\n  4 Mar 2025 · lead story\n  Water levels rose\n" +
		"  • Source <https://src.example.com/a>\n\nShowing the top 5.\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if _, err := New(&buf).Publish(ctx, bot.Message{Post: bot.Post{Issue: testIssue(), Part: bot.PartLead}}); err == nil {
		t.Fatal("Publish with a cancelled context succeeded")
	}
	if buf.Len() != 0 {
		t.Errorf("printed %q after cancellation", buf.String())
	}
}

func TestFormatPostSharedAndFollowed(t *testing.T) {
	is := testIssue()
	ch := bot.Channel{ID: "c", Platform: "console", Layout: bot.LayoutSeparate}
	posts := bot.PostsFor(is, bot.LayoutSeparate)
	plain := FormatPost(posts[1], ch, "")
	if strings.Contains(plain, "Shared by") || strings.Contains(plain, "Matches your follow") {
		t.Errorf("a plain post names a sharer or a follow:\n%s", plain)
	}
	shared := posts[1]
	shared.SharedBy = bot.Person{ID: "U1", Name: "Ann \x1b[31m"}
	if out := FormatPost(shared, ch, ""); !strings.HasSuffix(out, "First item.\n→ https://one.example.com/\nShared by Ann [31m\n") {
		t.Errorf("shared post:\n%q", out)
	}
	shared.SharedBy.Name = ""
	if out := FormatPost(shared, ch, ""); !strings.Contains(out, "Shared by U1\n") {
		t.Errorf("shared by someone without a name:\n%s", out)
	}
	followed := posts[0]
	followed.Follow = `"rivers rise"`
	if out := FormatPost(followed, ch, ""); !strings.HasSuffix(out, "Matches your follow “\"rivers rise\"”\n") {
		t.Errorf("followed post:\n%s", out)
	}
}
