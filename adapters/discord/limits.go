package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Discord's limits on what one message may carry, in characters (UTF-16
// code units). Everything is cut to fit before sending: a post is never
// rejected for its length. (Messages carry no content, only embeds, so the
// 2,000-character content limit never applies.)
const (
	maxTitle       = 256
	maxDescription = 4096
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFields      = 25
	maxFooter      = 2048
	maxAuthor      = 256
	maxEmbedsTotal = 6000 // sum over every embed of a message
	maxEmbeds      = 10
	maxThreadName  = 100
	maxChoices     = 25
	maxChoiceName  = 100
	maxNonce       = 25
)

// embedLen counts the characters of e that Discord adds up against the
// 6,000 limit: title, description, field names and values, footer text and
// author name.
func embedLen(e *discordgo.MessageEmbed) int {
	if e == nil {
		return 0
	}
	n := textLen(e.Title) + textLen(e.Description)
	for _, f := range e.Fields {
		n += textLen(f.Name) + textLen(f.Value)
	}
	if e.Footer != nil {
		n += textLen(e.Footer.Text)
	}
	if e.Author != nil {
		n += textLen(e.Author.Name)
	}
	return n
}

// embedsLen is the total of embedLen over a message's embeds.
func embedsLen(es []*discordgo.MessageEmbed) int {
	n := 0
	for _, e := range es {
		n += embedLen(e)
	}
	return n
}

// mdWriter builds Markdown text under a character budget, out of units that
// are either written whole or replaced by their plain fallback cut to fit.
type mdWriter struct {
	b    strings.Builder
	n    int
	max  int
	full bool // something did not fit: the text ends with "…"
}

// unit is one piece of Markdown (a formatted span, a link) and the escaped
// plain text to write instead, cut, when the Markdown does not fit whole.
type unit struct {
	md, plain string
}

// write appends s whole if it fits, else as much of fallback as fits
// followed by "…", and marks the writer full. It reports whether s went in
// whole.
func (w *mdWriter) write(s, fallback string) bool {
	if w.full {
		return false
	}
	if l := textLen(s); w.n+l <= w.max {
		w.b.WriteString(s)
		w.n += l
		return true
	}
	// End with "…": after as much of the fallback as fits, but not after
	// half a word: a single word that does not fit is left out.
	rest := cutMarked(fallback, w.max-w.n)
	if w.n > 0 && !strings.ContainsAny(strings.TrimSpace(fallback), " \n") {
		rest = ellipsis
	}
	if rest == ellipsis || rest == "" {
		// Nothing of the fallback: "…" right after the text so far.
		done := strings.TrimRight(w.b.String(), " \n")
		w.b.Reset()
		w.b.WriteString(done)
		w.n = textLen(done)
		rest = ""
		if w.n+textLen(ellipsis) <= w.max {
			rest = ellipsis
		}
	}
	w.b.WriteString(rest)
	w.n += textLen(rest)
	w.full = true
	return false
}

// writeUnits writes a block's units; it reports whether all went in.
func (w *mdWriter) writeUnits(us []unit) bool {
	for _, u := range us {
		if !w.write(u.md, u.plain) {
			return false
		}
	}
	return true
}

// writeBlocks writes blocks separated by blank lines until one does not
// fit; it reports whether all went in.
func (w *mdWriter) writeBlocks(blocks [][]unit) bool {
	for i, bl := range blocks {
		if i > 0 && !w.write("\n\n", "") {
			return false
		}
		if !w.writeUnits(bl) {
			return false
		}
	}
	return true
}

func (w *mdWriter) String() string { return strings.TrimRight(w.b.String(), "\n ") }

// limitEmbeds cuts a message's embeds to Discord's limits: at most ten, each
// part within its own limit, and the sum within 6,000 characters, taking
// from the longest descriptions first.
func limitEmbeds(es []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	if len(es) > maxEmbeds {
		es = es[:maxEmbeds]
	}
	for _, e := range es {
		e.Title = cut(e.Title, maxTitle)
		e.Description = cut(e.Description, maxDescription)
		if len(e.Fields) > maxFields {
			e.Fields = e.Fields[:maxFields]
		}
		for _, f := range e.Fields {
			f.Name = cut(f.Name, maxFieldName)
			f.Value = cut(f.Value, maxFieldValue)
		}
		if e.Footer != nil {
			e.Footer.Text = cut(e.Footer.Text, maxFooter)
		}
		if e.Author != nil {
			e.Author.Name = cut(e.Author.Name, maxAuthor)
		}
	}
	for over := embedsLen(es) - maxEmbedsTotal; over > 0; over = embedsLen(es) - maxEmbedsTotal {
		longest := es[0]
		for _, e := range es[1:] {
			if textLen(e.Description) > textLen(longest.Description) {
				longest = e
			}
		}
		if longest.Description == "" {
			// Only titles, fields and footers left: drop trailing embeds.
			if len(es) == 1 {
				es[0].Fields = nil
				es[0].Title = cut(es[0].Title, maxTitle/2)
				return es
			}
			es = es[:len(es)-1]
			continue
		}
		longest.Description = cut(longest.Description, max(0, textLen(longest.Description)-over))
	}
	return es
}
