package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

const (
	maxReplyText     = 12000 // all of a reply's sections; keeps Socket Mode acks well under 20 KB
	maxSectionLinks  = 10
	maxReplyLinkText = 200
	maxMetaText      = 300
)

// RenderReply renders a command's reply as Block Kit blocks: the title as a
// header, the text as sections, each result as a section (linked title,
// text, links) with its meta line as context, and the note as context.
// Everything is escaped and cut to Slack's limits.
func RenderReply(r bot.Reply) []slack.Block {
	var blocks []slack.Block
	if t := strings.TrimSpace(r.Title); t != "" {
		if r.Error {
			t = "⚠ " + t
		}
		blocks = append(blocks, header(t))
	}
	budget := maxReplyText
	if t := strings.TrimSpace(r.Text); t != "" {
		text := t
		if r.Error && len(blocks) == 0 {
			text = "⚠ " + text
		}
		ex, _ := excerpt(plainPieces(text), 4*maxSectionText)
		for _, s := range packSections(ex, maxSectionText) {
			blocks = append(blocks, section(s))
			budget -= slackLen(s)
		}
	}
	tail := 0
	if strings.TrimSpace(r.Note) != "" {
		tail = 1
	}
	for i, sec := range r.Sections {
		need := 1
		if strings.TrimSpace(sec.Meta) != "" {
			need = 2
		}
		// one block for "…and N more" if this is not the last section
		more := 0
		if i < len(r.Sections)-1 {
			more = 1
		}
		text := sectionText(sec, min(maxSectionText, budget))
		if len(blocks)+need+more+tail > maxBlocks || budget < 200 || text == "" {
			blocks = append(blocks, contextBlock(escapeText(fmt.Sprintf("…and %d more.", len(r.Sections)-i))))
			break
		}
		budget -= slackLen(text)
		blocks = append(blocks, section(text))
		if m := strings.TrimSpace(sec.Meta); m != "" {
			blocks = append(blocks, contextBlock(escapeText(cutPlain(m, maxMetaText))))
		}
	}
	if n := strings.TrimSpace(r.Note); n != "" {
		blocks = append(blocks, contextBlock(escapeText(cutPlain(n, maxContextText-50))))
	}
	if len(blocks) == 0 {
		blocks = append(blocks, section(escapeText("(no answer)")))
	}
	return blocks
}

// ReplyText is the plain fallback text of a reply (notifications, clients
// without blocks), escaped for mrkdwn.
func ReplyText(r bot.Reply) string {
	t := strings.TrimSpace(r.Title)
	if t == "" {
		t = strings.TrimSpace(r.Text)
	}
	if t == "" && len(r.Sections) > 0 {
		t = r.Sections[0].Title
	}
	if t == "" {
		t = "digest"
	}
	if r.Error {
		t = "⚠ " + t
	}
	return guardLineStart(escapeText(cutPlain(t, maxFallbackText)))
}

// sectionText renders one result: a bold (linked) title line, its text and
// its links, within limit units; "" when not even the title fits.
func sectionText(s bot.Section, limit int) string {
	title := strings.TrimSpace(s.Title)
	var head string
	if title != "" {
		title = cutPlain(title, 300)
		if u, ok := safeURL(s.URL); ok {
			head = "*" + mrkdwnLink(u, title) + "*"
		} else {
			ps := paragraphPieces(bot.Paragraph{Spans: []bot.Span{{Text: title, Bold: true}}})
			head = render(ps)
		}
	}
	var links []string
	for _, l := range s.Links {
		if len(links) == maxSectionLinks {
			break
		}
		u, ok := safeURL(l.URL)
		if !ok {
			continue
		}
		label := l.Text
		if strings.TrimSpace(label) == "" {
			label = hostOf(u)
		}
		links = append(links, "• "+mrkdwnLink(u, cutPlain(label, maxReplyLinkText)))
	}
	used := slackLen(head)
	if used > limit {
		return ""
	}
	// Links are dropped from the end while they crowd out the text.
	linkLen := func() int {
		n := 0
		for _, l := range links {
			n += slackLen(l) + 1
		}
		return n
	}
	for len(links) > 0 && used+linkLen()+200 > limit {
		links = links[:len(links)-1]
	}
	var body string
	if t := strings.TrimSpace(s.Text); t != "" {
		room := limit - used - linkLen() - 4
		if room > 0 {
			ex, _ := excerpt(sectionPieces(s), room)
			parts := make([]string, len(ex))
			for i, p := range ex {
				parts[i] = render(p)
			}
			body = strings.Join(parts, "\n\n")
		}
	}
	var out []string
	for _, p := range []string{head, body, strings.Join(links, "\n")} {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

// sectionPieces renders a section's text as paragraphs of pieces, with
// its Bold ranges (the words a search matched) in bold.
func sectionPieces(s bot.Section) [][]piece {
	if len(s.Bold) == 0 {
		return plainPieces(strings.TrimSpace(s.Text))
	}
	var out [][]piece
	for _, p := range s.TextParagraphs() {
		if ps := paragraphPieces(p); len(ps) > 0 {
			out = append(out, ps)
		}
	}
	return out
}
