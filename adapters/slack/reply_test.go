package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"digestbot/bot"
)

func TestRenderReply(t *testing.T) {
	r := bot.Reply{
		Title: "Search: pier",
		Text:  "Found 2 issues.",
		Sections: []bot.Section{
			{Title: "Tide tables go digital", URL: "https://news.example.org/42", Meta: "14 March 2025 · lead",
				Text: "The pier reopens.", Links: []bot.Link{{Text: "old pier", URL: "https://news.example.org/pier"}}},
			{Title: "No link here", Text: "Plain."},
		},
		Note: "Showing 2 of 2 results.",
	}
	blocks := RenderReply(r, false)
	texts := checkLimits(t, blocks)
	b, _ := json.Marshal(blocks)
	var types []string
	var bs []map[string]any
	_ = json.Unmarshal(b, &bs)
	for _, blk := range bs {
		types = append(types, blk["type"].(string))
	}
	if got, want := strings.Join(types, ","), "header,section,section,context,section,context"; got != want {
		t.Errorf("block types = %s, want %s", got, want)
	}
	want := []string{
		"Found 2 issues.",
		"*<https://news.example.org/42|Tide tables go digital>*\nThe pier reopens.\n• <https://news.example.org/pier|old pier>",
		"14 March 2025 · lead",
		"*No link here*\nPlain.",
		"Showing 2 of 2 results.",
	}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("texts =\n%q\nwant\n%q", texts, want)
	}
	if got := ReplyText(r); got != "Search: pier" {
		t.Errorf("ReplyText = %q", got)
	}
}

func TestRenderReplyHostileAndLarge(t *testing.T) {
	var secs []bot.Section
	for i := range 60 {
		secs = append(secs, bot.Section{
			Title: fmt.Sprintf("<!channel> result %d *x*", i),
			URL:   "javascript:alert(1)",
			Meta:  "<@U123> meta",
			Text:  longText(2000) + " <https://evil.example|click>",
			Links: []bot.Link{{Text: "a|b>", URL: "https://ok.example/?a=1&b=2"}, {Text: "bad", URL: "ftp://x"}},
		})
	}
	r := bot.Reply{Title: strings.Repeat("T", 400), Text: longText(20000), Sections: secs, Note: "<!here>", Error: true}
	blocks := RenderReply(r, false)
	texts := checkLimits(t, blocks)
	all := strings.Join(texts, "\n")
	for _, s := range texts {
		checkMrkdwn(t, s)
	}
	for _, bad := range []string{"<!", "<@", "javascript", "<https://evil", "ftp://"} {
		if strings.Contains(all, bad) {
			t.Errorf("reply contains %q", bad)
		}
	}
	if !strings.Contains(all, "more.") {
		t.Errorf("reply does not say results were left out")
	}
	total := 0
	for _, s := range texts {
		total += slackLen(s)
	}
	if total > maxReplyText+4*maxSectionText {
		t.Errorf("reply totals %d chars", total)
	}
	if got := ReplyText(r); !strings.HasPrefix(got, "⚠ ") || slackLen(got) > maxFallbackText+2 {
		t.Errorf("ReplyText = %q", got)
	}
}

func TestRenderReplyEmpty(t *testing.T) {
	blocks := RenderReply(bot.Reply{}, false)
	if len(blocks) != 1 {
		t.Fatalf("%d blocks for an empty reply, want 1", len(blocks))
	}
	checkLimits(t, blocks)
}

func BenchmarkRenderReply(b *testing.B) {
	var secs []bot.Section
	for i := range 10 {
		secs = append(secs, bot.Section{Title: fmt.Sprintf("Issue %d", i), URL: "https://news.example.org/i",
			Meta: "14 March 2025", Text: longText(400), Links: []bot.Link{{Text: "src", URL: "https://example.com/"}}})
	}
	r := bot.Reply{Title: "Search: harbour", Text: "Found 10.", Sections: secs, Note: "Showing 10 of 23."}
	for b.Loop() {
		_ = RenderReply(r, false)
	}
}

func FuzzRenderReply(f *testing.F) {
	f.Add("Title <!here>", "text *x* & <y>", "sec", "https://a.example/?q=1&r=2", "meta", "link|>", true)
	f.Add("", "", "", "javascript:x", "", "", false)
	f.Fuzz(func(t *testing.T, title, text, secTitle, u, meta, linkText string, isErr bool) {
		r := bot.Reply{Title: title, Text: text, Error: isErr, Note: meta,
			Sections: []bot.Section{{Title: secTitle, URL: u, Meta: meta, Text: text, Links: []bot.Link{{Text: linkText, URL: u}}}}}
		r.Sections[0].Share = bot.StoryRef{IssueID: 7, Part: bot.PartRoundup, Item: 2}
		r.Sections[0].Links[0].Share = bot.StoryRef{IssueID: 7, Part: bot.PartLead}
		for _, private := range []bool{false, true} {
			for _, s := range checkLimits(t, RenderReply(r, private)) {
				checkMrkdwn(t, s)
				if strings.Contains(s, "<!") || strings.Contains(s, "<@") {
					t.Errorf("mention in %q", s)
				}
			}
		}
		if s := ReplyText(r); strings.ContainsAny(s, "<>") {
			t.Errorf("fallback text %q has < or >", s)
		}
	})
}

func TestRenderReplyBoldMatches(t *testing.T) {
	q := bot.ParseQuery(`cambodia "forced labour"`)
	text := "…a potential shift in Cambodia's approach to forced labour, and *stars*."
	r := bot.Reply{Sections: []bot.Section{{Title: "Harbour Watch reports", URL: "https://hw.example/r", Text: text, Bold: bot.Highlight(q, text)}}}
	texts := checkLimits(t, RenderReply(r, false))
	want := "*<https://hw.example/r|Harbour Watch reports>*\n…a potential shift in *Cambodia*'s approach to *forced labour*, and ∗stars∗."
	if len(texts) != 1 || texts[0] != want {
		t.Errorf("texts = %q, want %q", texts, want)
	}
}
