package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// sentEmbeds decodes the embeds of every message body sent.
func sentEmbeds(t *testing.T, rs []recorded) [][]*discordgo.MessageEmbed {
	t.Helper()
	var out [][]*discordgo.MessageEmbed
	for _, r := range rs {
		var b struct {
			Embeds  []*discordgo.MessageEmbed `json:"embeds"`
			Message *struct {
				Embeds []*discordgo.MessageEmbed `json:"embeds"`
			} `json:"message"`
		}
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatal(err)
		}
		if b.Message != nil {
			b.Embeds = b.Message.Embeds
		}
		out = append(out, b.Embeds)
	}
	return out
}

// checkLimits fails the test for any of Discord's limits exceeded.
func checkLimits(t *testing.T, es []*discordgo.MessageEmbed) {
	t.Helper()
	if len(es) > maxEmbeds {
		t.Errorf("%d embeds, limit %d", len(es), maxEmbeds)
	}
	if n := embedsLen(es); n > maxEmbedsTotal {
		t.Errorf("embeds total %d characters, limit %d", n, maxEmbedsTotal)
	}
	for i, e := range es {
		if n := textLen(e.Title); n > maxTitle {
			t.Errorf("embed %d: title %d characters", i, n)
		}
		if n := textLen(e.Description); n > maxDescription {
			t.Errorf("embed %d: description %d characters", i, n)
		}
		if e.Footer != nil && textLen(e.Footer.Text) > maxFooter {
			t.Errorf("embed %d: footer %d characters", i, textLen(e.Footer.Text))
		}
		for _, f := range e.Fields {
			if textLen(f.Name) > maxFieldName || textLen(f.Value) > maxFieldValue {
				t.Errorf("embed %d: field over its limits", i)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("Long words keep coming here. ", 345)[:10000]
	tests := []struct {
		name   string
		layout bot.Layout
		edit   func(is *bot.Issue)
		check  func(t *testing.T, sent [][]*discordgo.MessageEmbed)
	}{
		{
			name: "10,000-character lead paragraph", layout: bot.LayoutThread,
			edit: func(is *bot.Issue) {
				is.Lead.Paragraphs = []bot.Paragraph{{Spans: []bot.Span{{Text: long}}}}
				is.Title = strings.Repeat("Title ", 60)
				is.Newsletter = strings.Repeat("N", 3000)
			},
			check: func(t *testing.T, sent [][]*discordgo.MessageEmbed) {
				d := sent[0][0].Description
				if !strings.HasSuffix(d, "…") || textLen(d) < 3000 {
					t.Errorf("lead description: %d characters ending %q, want cut near 4,096 with …", textLen(d), d[len(d)-10:])
				}
				if !strings.HasSuffix(sent[0][0].Title, "…") {
					t.Errorf("long title not cut: %q", sent[0][0].Title)
				}
			},
		},
		{
			name: "10,000-character roundup item", layout: bot.LayoutSeparate,
			edit: func(is *bot.Issue) {
				is.Roundup[1].Paragraphs = []bot.Paragraph{{Spans: []bot.Span{{Text: long, URL: "https://a.example/x"}}}}
			},
			check: func(t *testing.T, sent [][]*discordgo.MessageEmbed) {
				if d := sent[2][0].Description; !strings.HasSuffix(d, "…") {
					t.Errorf("long item not cut: %d characters", textLen(d))
				}
			},
		},
		{
			name: "40 roundup items combined", layout: bot.LayoutCombined,
			edit: func(is *bot.Issue) {
				is.Roundup = nil
				for i := range 40 {
					is.Roundup = append(is.Roundup, bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
						{Text: strings.Repeat("Item text that goes on. ", 12)},
						{Text: "source", URL: "https://src.example.com/" + strings.Repeat("p", i)},
					}}}})
				}
			},
			check: func(t *testing.T, sent [][]*discordgo.MessageEmbed) {
				es := sent[1]
				if len(es) < 2 {
					t.Errorf("combined roundup in %d embed(s), want it spread over several", len(es))
				}
				last := es[len(es)-1].Description
				if !strings.Contains(last, "more in [the full issue](https://news.example.org/issues/42/)") {
					t.Errorf("no closing count of the items left out: %q", last[max(0, len(last)-120):])
				}
				items := 0
				for _, e := range es {
					items += strings.Count(e.Description, "• ")
				}
				if items < 10 {
					t.Errorf("only %d items shown", items)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			is := testIssue()
			tt.edit(is)
			publishIssue(t, env.c, is, testChannel(textChannel, tt.layout))
			var msgs []recorded
			for _, r := range env.f.Requests("POST", "channels/") {
				if strings.HasSuffix(r.Path, "/messages") {
					msgs = append(msgs, r)
				}
			}
			sent := sentEmbeds(t, msgs)
			for _, es := range sent {
				checkLimits(t, es)
			}
			tt.check(t, sent)
		})
	}
}

func TestHostileTextIsNeutralised(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	is.Title = "@everyone # Big news"
	is.Standfirst = "Ping <@123> and <@&456> and @here"
	is.Lead.Paragraphs = []bot.Paragraph{
		{Spans: []bot.Span{{Text: "See [click](https://evil.example) now, **really** ||secret|| `code` ~~gone~~ _under_"}}},
		{Spans: []bot.Span{{Text: "> quoted"}}},
		{Spans: []bot.Span{{Text: "# heading"}}},
		{Spans: []bot.Span{{Text: "- listed"}}},
		{Spans: []bot.Span{{Text: "bad link", URL: "javascript:alert(1)"}, {Text: " and "}, {Text: "paren", URL: "https://x.example/a_(b)"}}},
	}
	is.Image = "javascript:alert(1)"
	is.Link = "data:text/html,hi"
	is.Newsletter = "@everyone weekly"
	if _, err := env.c.Publish(context.Background(), message(is, testChannel(textChannel, ""), bot.Post{Issue: is, Part: bot.PartLead}, "")); err != nil {
		t.Fatal(err)
	}
	body := string(env.f.Requests("POST", "channels/100/messages")[0].Body)
	var b messagePayload
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	e := b.Embeds[0]
	all := e.Title + "\n" + e.Description + "\n" + e.Footer.Text + "\n" + e.URL
	for _, bad := range []string{"@everyone", "@here", "<@123>", "<@&456>", "click](https://evil", "](javascript", "javascript:", "data:", "||secret||", "`code`", "**really**"} {
		if strings.Contains(all, bad) {
			t.Errorf("rendered text contains %q:\n%s", bad, all)
		}
	}
	for _, want := range []string{`\[click\](https://evil.example)`, `\> quoted`, `\# heading`, `\- listed`, "[paren](https://x.example/a_%28b%29)", "bad link"} {
		if !strings.Contains(e.Description, want) {
			t.Errorf("description lacks %q:\n%s", want, e.Description)
		}
	}
	if e.Image != nil || e.URL != "" {
		t.Errorf("unsafe image or link kept: image %+v, url %q", e.Image, e.URL)
	}
	if !strings.Contains(e.Footer.Text, "ref "+bot.DeliveryKey(is, "discord:"+textChannel, bot.PartLead, 0)) {
		t.Errorf("no marker in the footer when the issue has no usable link: %q", e.Footer.Text)
	}
	if string(mustJSON(t, b.AllowedMentions)) != `{"parse":[]}` {
		t.Errorf("allowed_mentions = %s", mustJSON(t, b.AllowedMentions))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRenderReply(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
		check func(t *testing.T, es []*discordgo.MessageEmbed)
	}{
		{
			name:  "text only",
			reply: bot.Reply{Text: "Nothing found for @everyone."},
			check: func(t *testing.T, es []*discordgo.MessageEmbed) {
				if len(es) != 1 || es[0].Description != "Nothing found for @\u200beveryone." || es[0].Color != colorReply {
					t.Errorf("got %+v", es[0])
				}
			},
		},
		{
			name: "matched words bold",
			reply: bot.Reply{Sections: []bot.Section{{Title: "Harbour Watch reports", Text: "A shift in Cambodia's approach to forced labour, and *stars*.",
				Bold: bot.Highlight(bot.ParseQuery(`cambodia "forced labour"`), "A shift in Cambodia's approach to forced labour, and *stars*.")}}},
			check: func(t *testing.T, es []*discordgo.MessageEmbed) {
				want := `A shift in **Cambodia**'s approach to **forced labour**, and \*stars\*.`
				if len(es) != 1 || es[0].Description != want {
					t.Errorf("description = %q, want %q", es[len(es)-1].Description, want)
				}
			},
		},
		{
			name:  "error is a warning",
			reply: bot.Reply{Text: "Search failed.", Error: true},
			check: func(t *testing.T, es []*discordgo.MessageEmbed) {
				if es[0].Color != colorWarning {
					t.Errorf("color = %#x, want %#x", es[0].Color, colorWarning)
				}
			},
		},
		{
			name: "sections",
			reply: bot.Reply{Title: "Results for *solar*", Sections: []bot.Section{
				{Title: "Issue 42", URL: "https://news.example.org/42", Meta: "1 May 2024 · lead", Text: "Solar co-ops spread.",
					Links: []bot.Link{{Text: "report", URL: "https://r.example"}, {Text: "bad", URL: "javascript:x"}}},
				{Title: "Issue 41", URL: "ftp://x", Text: "Older."},
			}, Note: "Showing 2 of 2 results."},
			check: func(t *testing.T, es []*discordgo.MessageEmbed) {
				if len(es) != 3 {
					t.Fatalf("%d embeds, want heading + 2 sections", len(es))
				}
				if es[0].Title != `Results for \*solar\*` {
					t.Errorf("title = %q", es[0].Title)
				}
				if es[1].URL != "https://news.example.org/42" || es[2].URL != "" {
					t.Errorf("section URLs = %q, %q", es[1].URL, es[2].URL)
				}
				want := "*1 May 2024 · lead*\n\nSolar co-ops spread.\n\n• [report](https://r.example)\n• bad"
				if es[1].Description != want {
					t.Errorf("section = %q, want %q", es[1].Description, want)
				}
				if es[2].Footer == nil || es[2].Footer.Text != "Showing 2 of 2 results." {
					t.Errorf("note not in the last footer: %+v", es[2].Footer)
				}
			},
		},
		{
			name: "too many long sections",
			reply: func() bot.Reply {
				r := bot.Reply{Title: "Many", Text: strings.Repeat("intro ", 2000)}
				for range 30 {
					r.Sections = append(r.Sections, bot.Section{Title: strings.Repeat("T", 300), Text: strings.Repeat("body ", 1000)})
				}
				return r
			}(),
			check: func(t *testing.T, es []*discordgo.MessageEmbed) {
				checkLimits(t, es)
				if f := es[len(es)-1].Footer; f == nil || !strings.Contains(f.Text, "21 more not shown") {
					t.Errorf("footer = %+v, want the count of sections left out", f)
				}
			},
		},
		{
			name:  "empty",
			reply: bot.Reply{},
			check: func(t *testing.T, es []*discordgo.MessageEmbed) {
				if len(es) != 1 || es[0].Description != "Nothing to show." {
					t.Errorf("got %+v", es)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := RenderReply(tt.reply)
			checkLimits(t, es)
			tt.check(t, es)
		})
	}
}
