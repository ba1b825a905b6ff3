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
//
// A reply shown privately (ephemeral) carries a "Share in channel" button
// for every story it names: a result's own as its section's accessory, a
// link's as the accessory of a section of its own under the result. When
// the blocks run short, links stay in the result's text without buttons and the
// note says for how many stories. A reply shown in the channel carries none.
func RenderReply(r bot.Reply, private bool) []slack.Block {
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
	note := strings.TrimSpace(r.Note)
	tail := 0
	if note != "" || (private && hasShareLinks(r.Sections)) {
		tail = 1 // the note, or the note on Share buttons left out
	}
	// rest[i] is the blocks the results from i on need at least.
	rest := make([]int, len(r.Sections)+1)
	for i := len(r.Sections) - 1; i >= 0; i-- {
		rest[i] = rest[i+1] + sectionNeed(r.Sections[i])
	}
	unshared := 0 // stories listed without their Share button
	for i, sec := range r.Sections {
		need := sectionNeed(sec)
		// one block for "…and N more" if this is not the last section
		more := 0
		if i < len(r.Sections)-1 {
			more = 1
		}
		var linkBlocks []slack.Block
		cut, used := 0, 0
		if private {
			room := maxBlocks - len(blocks) - need - tail - rest[i+1]
			sec.Links, linkBlocks, cut, used = shareLinkBlocks(sec.Links, room, budget-minSectionRoom)
		}
		text := sectionText(sec, min(maxSectionText, budget-used))
		if len(blocks)+need+len(linkBlocks)+more+tail > maxBlocks || budget-used < 200 || text == "" {
			blocks = append(blocks, contextBlock(escapeText(fmt.Sprintf("…and %d more.", len(r.Sections)-i))))
			break
		}
		budget -= used + slackLen(text)
		unshared += cut
		sb := section(text)
		if private && !sec.Share.IsZero() {
			sb.Accessory = slack.NewAccessory(shareButton(sec.Share))
		}
		blocks = append(blocks, sb)
		if m := strings.TrimSpace(sec.Meta); m != "" {
			blocks = append(blocks, contextBlock(escapeText(cutPlain(m, maxMetaText))))
		}
		blocks = append(blocks, linkBlocks...)
	}
	if unshared > 0 {
		cutNote := fmt.Sprintf("Share buttons left out for %d %s: too many for one message.", unshared, plural(unshared, "story", "stories"))
		if note != "" {
			note += " " + cutNote
		} else {
			note = cutNote
		}
	}
	if note != "" {
		blocks = append(blocks, contextBlock(escapeText(cutPlain(note, maxContextText-50))))
	}
	if len(blocks) == 0 {
		blocks = append(blocks, section(escapeText("(no answer)")))
	}
	return blocks
}

// minSectionRoom is the part of a reply's text budget that a result's own
// text keeps when its links take buttons.
const minSectionRoom = 400

// maxShareLinks bounds the links of one result that get a block (and a
// Share button) of their own.
const maxShareLinks = 15

// sectionNeed is how many blocks a result takes without its links' own.
func sectionNeed(s bot.Section) int {
	if strings.TrimSpace(s.Meta) != "" {
		return 2
	}
	return 1
}

// hasShareLinks reports whether any result has a link naming a story.
func hasShareLinks(secs []bot.Section) bool {
	for _, s := range secs {
		for _, l := range s.Links {
			if !l.Share.IsZero() {
				return true
			}
		}
	}
	return false
}

// shareLinkBlocks gives links that name a story a section of their own
// with a Share button, at most room blocks and budget units of text; the
// links left (those that name no story, and those with no room) stay in
// the result's text. cut counts the stories left without a button, used
// the units the blocks take.
func shareLinkBlocks(links []bot.Link, room, budget int) (left []bot.Link, blocks []slack.Block, cut, used int) {
	for _, l := range links {
		if l.Share.IsZero() {
			left = append(left, l)
			continue
		}
		text := shareLinkText(l)
		n := slackLen(text)
		if len(blocks) >= room || len(blocks) >= maxShareLinks || used+n > budget {
			left = append(left, l)
			cut++
			continue
		}
		sb := section(text)
		sb.Accessory = slack.NewAccessory(shareButton(l.Share))
		blocks = append(blocks, sb)
		used += n
	}
	return left, blocks, cut, used
}

// shareLinkText is a link's line in its own section: "• <url|label>", or
// the label alone when the URL cannot be linked.
func shareLinkText(l bot.Link) string {
	label := strings.TrimSpace(l.Text)
	if u, ok := safeURL(l.URL); ok {
		if label == "" {
			label = hostOf(u)
		}
		return "• " + mrkdwnLink(u, cutPlain(label, maxReplyLinkText))
	}
	if label == "" {
		label = "(untitled)"
	}
	return "• " + escapeText(cutPlain(label, maxReplyLinkText))
}

// shareButton is the "Share in channel" button of one story.
func shareButton(ref bot.StoryRef) *slack.ButtonBlockElement {
	f := false
	return &slack.ButtonBlockElement{
		Type:     slack.METButton,
		Text:     &slack.TextBlockObject{Type: slack.PlainTextType, Text: plainText(bot.ShareButtonLabel, maxButtonText), Emoji: &f},
		ActionID: bot.ShareActionID,
		Value:    ref.String(),
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
