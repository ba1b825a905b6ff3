package discord

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// Embed colours.
const (
	colorLead    = 0x5865F2 // Discord blurple
	colorRoundup = 0x99AAB5 // grey: secondary to the lead
	colorReply   = 0x5865F2
	colorWarning = 0xFEE75C // yellow: a command that failed
)

// Per-item budget in a combined roundup, so that many short items are
// shown rather than a few long ones.
const maxCombinedItem = 700

// renderPost turns a post into the embeds of one message. key is the
// delivery key, hidden in the first embed as a marker (see marker.go) so a
// retry can find the message again.
func renderPost(m bot.Message) []*discordgo.MessageEmbed {
	is := m.Post.Issue
	switch m.Post.Part {
	case bot.PartRoundup:
		return limitEmbeds([]*discordgo.MessageEmbed{renderItem(m, is)})
	case bot.PartCombined:
		return limitEmbeds(renderCombined(m, is))
	default:
		return limitEmbeds([]*discordgo.MessageEmbed{renderLead(m, is)})
	}
}

// newsletterName is the footer: the newsletter's name (feeds[].name, else
// the feed's title).
func newsletterName(m bot.Message) string {
	return cut(plainText(strings.TrimSpace(m.Post.Issue.Newsletter)), maxFooter/8)
}

// renderLead is the lead post: title linking to the issue, the standfirst
// in italics and the lead paragraphs, the feature image, the date and the
// newsletter's name.
func renderLead(m bot.Message, is *bot.Issue) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title: cut(escapeMarkdown(oneLine(is.Title)), maxTitle),
		Color: colorLead,
	}
	if is.Title == "" {
		e.Title = "New issue"
	}
	if u, ok := safeURL(is.Image); ok {
		e.Image = &discordgo.MessageEmbedImage{URL: u}
	}
	if !is.Published.IsZero() {
		e.Timestamp = is.Published.UTC().Format(time.RFC3339)
	}
	if name := newsletterName(m); name != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: name}
	}
	setMarker(e, is.Link, m.Key)

	var blocks [][]unit
	if sf := strings.TrimSpace(is.Standfirst); sf != "" {
		blocks = append(blocks, spanUnits(bot.Span{Text: sf, Italic: true}))
	}
	for _, p := range is.Lead.Paragraphs {
		if us := paragraphUnits(p); len(us) > 0 {
			blocks = append(blocks, us)
		}
	}
	w := mdWriter{max: min(maxDescription, maxEmbedsTotal-embedLen(e))}
	w.writeBlocks(blocks)
	e.Description = w.String()
	return e
}

// renderItem is one roundup item on its own: its paragraphs, footed with the
// newsletter's name.
func renderItem(m bot.Message, is *bot.Issue) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Color: colorRoundup}
	foot := "Roundup" // never "3/6": an item's message must not change when a sibling goes
	var story bot.Story
	if m.Post.Item >= 0 && m.Post.Item < len(is.Roundup) {
		story = is.Roundup[m.Post.Item]
	}
	if story.Section != "" {
		foot = cut(oneLine(story.Section), 200) + " · " + foot
	}
	if name := newsletterName(m); name != "" {
		foot = name + " · " + foot
	}
	e.Footer = &discordgo.MessageEmbedFooter{Text: foot}
	base := story.URL
	if _, ok := safeURL(base); !ok {
		base = is.Link
	}
	setMarker(e, base, m.Key)
	w := mdWriter{max: min(maxDescription, maxEmbedsTotal-embedLen(e))}
	w.writeBlocks(storyBlocks(story))
	e.Description = w.String()
	if e.Description == "" {
		e.Description = "(empty item)"
	}
	return e
}

// renderCombined lists every roundup item in one message: items packed into
// as few embeds as the 4,096-character description allows, within the
// message's 10 embeds and 6,000 characters. Items that do not fit are
// counted in a closing line pointing at the full issue.
func renderCombined(m bot.Message, is *bot.Issue) []*discordgo.MessageEmbed {
	first := &discordgo.MessageEmbed{
		Title: cut("Roundup: "+escapeMarkdown(oneLine(is.Title)), maxTitle),
		Color: colorRoundup,
	}
	if is.Title == "" {
		first.Title = "Roundup"
	}
	if name := newsletterName(m); name != "" {
		first.Footer = &discordgo.MessageEmbedFooter{Text: name}
	}
	setMarker(first, is.Link, m.Key)

	items := make([]string, 0, len(is.Roundup))
	for _, st := range is.Roundup {
		w := mdWriter{max: maxCombinedItem}
		w.writeUnits([]unit{{md: "• ", plain: "• "}})
		blocks := storyBlocks(st)
		for i, bl := range blocks {
			if i > 0 && !w.write("\n", "") {
				break
			}
			if !w.writeUnits(bl) {
				break
			}
		}
		if s := w.String(); s != "•" {
			items = append(items, s)
		}
	}

	const noteRoom = 80 // "…and 12 more items in the full issue."
	budget := maxEmbedsTotal - embedLen(first) - noteRoom
	embeds := []*discordgo.MessageEmbed{first}
	cur := first
	shown := 0
	for _, it := range items {
		l := textLen(it)
		sep := 0
		if cur.Description != "" {
			sep = 2
		}
		if l+sep > budget {
			break
		}
		if textLen(cur.Description)+sep+l > maxDescription {
			if len(embeds) == maxEmbeds {
				break
			}
			cur = &discordgo.MessageEmbed{Color: colorRoundup}
			embeds = append(embeds, cur)
			sep = 0
		}
		if sep > 0 {
			cur.Description += "\n\n"
		}
		cur.Description += it
		budget -= l + sep
		shown++
	}
	if rest := len(items) - shown; rest > 0 {
		note := fmt.Sprintf("…and %d more in the full issue.", rest)
		if is.Link != "" {
			note = fmt.Sprintf("…and %d more in %s.", rest, link("the full issue", is.Link))
		}
		if textLen(note) > noteRoom {
			note = fmt.Sprintf("…and %d more.", rest)
		}
		if cur.Description != "" && textLen(cur.Description)+2+textLen(note) > maxDescription {
			cur = &discordgo.MessageEmbed{Color: colorRoundup}
			embeds = append(embeds, cur)
		}
		if cur.Description != "" {
			cur.Description += "\n\n"
		}
		cur.Description += note
	}
	if first.Description == "" && len(embeds) == 1 {
		first.Description = "(no items)"
	}
	return embeds
}

// storyBlocks renders a story's paragraphs as blocks of units.
func storyBlocks(st bot.Story) [][]unit {
	var blocks [][]unit
	for _, p := range st.Paragraphs {
		if us := paragraphUnits(p); len(us) > 0 {
			blocks = append(blocks, us)
		}
	}
	return blocks
}

// paragraphUnits renders one paragraph: headings bold, list items with a
// bullet, spans with their formatting and links.
func paragraphUnits(p bot.Paragraph) []unit {
	var us []unit
	if p.Bullet {
		us = append(us, unit{md: "• ", plain: "• "})
	}
	n := len(us)
	for _, s := range p.Spans {
		if p.Heading {
			s.Bold = true
		}
		us = append(us, spanUnits(s)...)
	}
	// No spaces at the paragraph's edges.
	for len(us) > n && us[n].md == " " {
		us = append(us[:n], us[n+1:]...)
	}
	for len(us) > n && us[len(us)-1].md == " " {
		us = us[:len(us)-1]
	}
	if len(us) == n {
		return nil
	}
	return us
}

// spanUnits renders one span. Surrounding spaces stay outside the
// formatting markers, which Discord would not honour otherwise; a long
// plain span becomes one unit per word so a cut falls between words.
func spanUnits(s bot.Span) []unit {
	text := oneLineKeepBreaks(s.Text)
	core := strings.TrimSpace(text)
	if core == "" {
		if text != "" {
			return []unit{{md: " ", plain: " "}}
		}
		return nil
	}
	lead := text[:strings.Index(text, core)]
	trail := text[len(lead)+len(core):]
	esc := escapeMarkdown(core)
	md := esc
	if s.URL != "" {
		md = link(core, s.URL)
	}
	wrap := ""
	switch {
	case s.Bold && s.Italic:
		wrap = "***"
	case s.Bold:
		wrap = "**"
	case s.Italic:
		wrap = "*"
	}
	var us []unit
	if lead != "" {
		us = append(us, unit{md: " ", plain: " "})
	}
	if wrap == "" && md == esc {
		// Plain text: word by word, so the budget cuts between words.
		for _, word := range strings.SplitAfter(esc, " ") {
			us = append(us, unit{md: word, plain: word})
		}
	} else {
		us = append(us, unit{md: wrap + md + wrap, plain: esc})
	}
	if trail != "" {
		us = append(us, unit{md: " ", plain: " "})
	}
	return us
}

// oneLine folds a title onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// oneLineKeepBreaks collapses runs of spaces and tabs but keeps single line
// breaks (a <br> in the source), dropping blank lines that would start a
// new paragraph.
func oneLineKeepBreaks(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		f := strings.Join(strings.Fields(l), " ")
		if f == "" {
			continue
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			f = " " + f
		}
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			f += " "
		}
		out = append(out, f)
	}
	return strings.Join(out, "\n")
}

// markerURL returns base with the delivery key as its fragment, or false
// when base is not a safe URL or already has a fragment of its own.
func markerURL(base, key string) (string, bool) {
	u, ok := safeURL(base)
	if !ok || key == "" {
		return "", false
	}
	p, err := url.Parse(u)
	if err != nil || p.Fragment != "" || strings.Contains(u, "#") {
		return "", false
	}
	return u + "#" + key, true
}
