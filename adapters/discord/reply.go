package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// RenderReply renders a command's reply as the embeds of one message: a
// heading embed with the title and text, then one embed per section (its
// title linking to its URL, a meta line, its text and links), the note in
// the last footer. Everything is escaped and fits Discord's limits: at most
// ten embeds and 6,000 characters; sections that do not fit are counted in
// the note. A failed command's embeds are yellow.
func RenderReply(r bot.Reply) []*discordgo.MessageEmbed {
	color := colorReply
	if r.Error {
		color = colorWarning
	}
	var embeds []*discordgo.MessageEmbed
	secs := shownSections(r)
	note := plainText(oneLine(r.Note))
	if more := len(r.Sections) - len(secs); more > 0 {
		note = strings.TrimSpace(note + fmt.Sprintf(" (%d more not shown)", more))
	}
	note = cut(note, maxFooter/8)
	budget := maxEmbedsTotal - textLen(note)

	if r.Title != "" || r.Text != "" || len(secs) == 0 {
		head := &discordgo.MessageEmbed{Title: cut(escapeMarkdown(oneLine(r.Title)), maxTitle), Color: color}
		room := min(maxDescription, budget-textLen(head.Title))
		if len(secs) > 0 {
			room = min(room, budget/3)
		}
		w := mdWriter{max: room}
		w.writeBlocks(textBlocks(r.Text))
		head.Description = w.String()
		if head.Title == "" && head.Description == "" {
			head.Description = "Nothing to show."
		}
		budget -= embedLen(head)
		embeds = append(embeds, head)
	}

	for i, s := range secs {
		e := &discordgo.MessageEmbed{Title: cut(escapeMarkdown(oneLine(s.Title)), maxTitle), Color: color}
		if u, ok := safeURL(s.URL); ok {
			e.URL = u
		}
		share := budget / (len(secs) - i)
		room := min(maxDescription, share-textLen(e.Title))
		if room < 0 {
			e.Title = cut(e.Title, max(share, 0))
			room = 0
		}
		var blocks [][]unit
		if meta := strings.TrimSpace(s.Meta); meta != "" {
			blocks = append(blocks, spanUnits(bot.Span{Text: oneLine(meta), Italic: true}))
		}
		blocks = append(blocks, sectionBlocks(s)...)
		if len(s.Links) > 0 {
			var us []unit
			for j, l := range s.Links {
				if j > 0 {
					us = append(us, unit{md: "\n", plain: "\n"})
				}
				text := l.Text
				if text == "" {
					text = l.URL
				}
				us = append(us, unit{md: "• " + link(oneLine(text), l.URL), plain: "• " + escapeMarkdown(oneLine(text))})
			}
			blocks = append(blocks, us)
		}
		w := mdWriter{max: room}
		w.writeBlocks(blocks)
		e.Description = w.String()
		budget -= embedLen(e)
		embeds = append(embeds, e)
	}
	if note != "" {
		last := embeds[len(embeds)-1]
		last.Footer = &discordgo.MessageEmbedFooter{Text: note}
	}
	return limitEmbeds(embeds)
}

// shownSections returns the sections RenderReply shows: as many as fit in
// a message's embeds beside the heading.
func shownSections(r bot.Reply) []bot.Section {
	if len(r.Sections) > maxEmbeds-1 {
		return r.Sections[:maxEmbeds-1]
	}
	return r.Sections
}

// textBlocks splits plain text into paragraphs at blank lines; single line
// breaks stay.
func textBlocks(text string) [][]unit {
	var blocks [][]unit
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if us := paragraphUnits(bot.Paragraph{Spans: []bot.Span{{Text: p}}}); len(us) > 0 {
			blocks = append(blocks, us)
		}
	}
	return blocks
}

// sectionBlocks renders a section's text as paragraphs, with its Bold
// ranges (the words a search matched) in bold.
func sectionBlocks(s bot.Section) [][]unit {
	if len(s.Bold) == 0 {
		return textBlocks(s.Text)
	}
	var blocks [][]unit
	for _, p := range s.TextParagraphs() {
		if us := paragraphUnits(p); len(us) > 0 {
			blocks = append(blocks, us)
		}
	}
	return blocks
}
