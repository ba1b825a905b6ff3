package discord

import (
	"fmt"
	"strings"
	"testing"

	"digestbot/bot"
)

func BenchmarkRenderLead(b *testing.B) {
	is := testIssue()
	m := message(is, testChannel(textChannel, ""), bot.Post{Issue: is, Part: bot.PartLead}, "")
	for b.Loop() {
		renderPost(m)
	}
}

func BenchmarkRenderCombined40(b *testing.B) {
	is := testIssue()
	is.Roundup = nil
	for i := range 40 {
		is.Roundup = append(is.Roundup, bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
			{Text: strings.Repeat("Item text that goes on. ", 12)},
			{Text: "source", URL: fmt.Sprintf("https://src.example.com/%d", i)},
		}}}})
	}
	m := message(is, testChannel(textChannel, bot.LayoutCombined), bot.Post{Issue: is, Part: bot.PartCombined}, "")
	for b.Loop() {
		renderPost(m)
	}
}

func BenchmarkEscapeMarkdown(b *testing.B) {
	s := strings.Repeat("Plain *text* with @everyone, [links](https://x) and > quotes.\n", 100)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		escapeMarkdown(s)
	}
}
