package slack

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"digestbot/bot"
)

// A piece is an unbreakable run of rendered mrkdwn: a word, a link or a
// formatted run. Text is split and cut only between pieces that have a
// space between them, so a cut never breaks an entity, a link or a pair of
// formatting markers.
type piece struct {
	text  string // rendered mrkdwn
	raw   string // plain source text of a plain word, for hard cuts; "" for atoms
	n     int    // slackLen(text)
	space bool   // a space comes before this piece
}

// maxFormatted bounds a bold or italic run kept as one piece; longer runs
// are shown plain so they can be split.
const maxFormatted = 600

// maxLinkLabel bounds a link's label, which cannot be split.
const maxLinkLabel = 400

// paragraphPieces renders a paragraph into pieces.
func paragraphPieces(p bot.Paragraph) []piece {
	spans := p.Spans
	texts := make([]string, len(spans))
	for i, s := range spans {
		texts[i] = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029' {
				return ' '
			}
			return r
		}, s.Text)
	}
	var out []piece
	pendingSpace := false
	add := func(pc piece) {
		pc.space = pc.space || pendingSpace
		if len(out) == 0 {
			pc.space = false
		}
		pendingSpace = false
		out = append(out, pc)
	}
	addWords := func(s string) {
		if s == "" {
			return
		}
		if unicode.IsSpace(firstRuneOr(s, 0)) {
			pendingSpace = true
		}
		fields := strings.Fields(s)
		for j, w := range fields {
			if j > 0 {
				pendingSpace = true
			}
			e := escapeText(w)
			if e == "" {
				continue // only characters that are dropped
			}
			add(piece{text: e, raw: w, n: slackLen(e)})
		}
		if len(fields) > 0 {
			pendingSpace = unicode.IsSpace(lastRuneOr(s, 0))
		}
	}
	for i, sp := range spans {
		text := texts[i]
		before, after := neighbours(texts, i)
		lead, core, trail := splitSpace(text)
		if u, ok := safeURL(sp.URL); ok {
			if lead != "" {
				pendingSpace = true
			}
			label := cutPlain(core, maxLinkLabel)
			atom := mrkdwnLink(u, label)
			if lead != "" {
				before = ' '
			}
			if trail != "" {
				after = ' '
			}
			if sp.Bold || sp.Italic {
				atom = wrapFormat(atom, sp.Bold, sp.Italic, before, after)
			}
			if slackLen(atom) > maxAtom {
				addWords(text) // too long to keep whole: its words, unlinked
				continue
			}
			add(piece{text: atom, n: slackLen(atom)})
			pendingSpace = trail != ""
			continue
		}
		if (sp.Bold || sp.Italic) && core != "" {
			pre, mid, post := splitEdges(core)
			b, a := before, after
			if lead != "" || pre != "" {
				b = lastRuneOr(lead+pre, ' ')
			}
			if trail != "" || post != "" {
				a = firstRuneOr(post+trail, ' ')
			}
			e := escapeText(mid)
			if e != "" && slackLen(e) <= maxFormatted && boundary(b) && boundary(a) {
				addWords(lead + pre)
				atom := wrapFormat(e, sp.Bold, sp.Italic, b, a)
				add(piece{text: atom, n: slackLen(atom)})
				if post != "" {
					pw := escapeText(post)
					// punctuation after the run sticks to it
					out[len(out)-1].text += pw
					out[len(out)-1].n += slackLen(pw)
				}
				pendingSpace = trail != ""
				continue
			}
		}
		addWords(text)
	}
	if len(out) > 0 {
		out[0].text = guardLineStart(out[0].text)
		out[0].n = slackLen(out[0].text)
	}
	return out
}

// wrapFormat puts bold and italic markers around rendered text when the
// characters outside allow Slack to parse them; otherwise it returns text.
func wrapFormat(text string, bold, italic bool, before, after rune) string {
	if !boundary(before) || !boundary(after) {
		return text
	}
	if italic {
		text = "_" + text + "_"
	}
	if bold {
		text = "*" + text + "*"
	}
	return text
}

// boundary reports whether a formatting marker may sit next to r (0 for the
// start or end of the text).
func boundary(r rune) bool { return r == 0 || !isWordRune(r) }

// neighbours returns the runes just before and after span i in the
// paragraph's text (0 at the edges).
func neighbours(texts []string, i int) (before, after rune) {
	for j := i - 1; j >= 0 && before == 0; j-- {
		before = lastRuneOr(texts[j], 0)
	}
	for j := i + 1; j < len(texts) && after == 0; j++ {
		after = firstRuneOr(texts[j], 0)
	}
	return before, after
}

func lastRuneOr(s string, def rune) rune {
	if s == "" {
		return def
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func firstRuneOr(s string, def rune) rune {
	if s == "" {
		return def
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// splitSpace splits leading and trailing white space off s.
func splitSpace(s string) (lead, core, trail string) {
	core = strings.TrimLeftFunc(s, unicode.IsSpace)
	lead = s[:len(s)-len(core)]
	c := strings.TrimRightFunc(core, unicode.IsSpace)
	trail = core[len(c):]
	return lead, c, trail
}

// splitEdges splits off leading and trailing characters that are not part
// of a word, so markers sit right against letters or digits.
func splitEdges(s string) (pre, mid, post string) {
	mid = strings.TrimLeftFunc(s, func(r rune) bool { return !isWordRune(r) })
	pre = s[:len(s)-len(mid)]
	m := strings.TrimRightFunc(mid, func(r rune) bool { return !isWordRune(r) })
	post = mid[len(m):]
	return pre, m, post
}

// render joins pieces into mrkdwn.
func render(ps []piece) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 && p.space {
			b.WriteByte(' ')
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// piecesLen is the length of render(ps).
func piecesLen(ps []piece) int {
	n := 0
	for i, p := range ps {
		if i > 0 && p.space {
			n++
		}
		n += p.n
	}
	return n
}

// plainPieces renders plain text (paragraphs separated by blank lines) as
// paragraphs of pieces.
func plainPieces(text string) [][]piece {
	var out [][]piece
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		ps := paragraphPieces(bot.Paragraph{Spans: []bot.Span{{Text: para}}})
		if len(ps) > 0 {
			out = append(out, ps)
		}
	}
	return out
}

// storyPieces renders a story's paragraphs, bullets prefixed with "• ".
func storyPieces(s bot.Story) [][]piece {
	out := make([][]piece, 0, len(s.Paragraphs))
	for _, p := range s.Paragraphs {
		ps := paragraphPieces(p)
		if len(ps) == 0 {
			continue
		}
		if p.Bullet {
			ps = append([]piece{{text: "•", n: 1}}, ps...)
			ps[1].space = true
		}
		if p.Heading {
			// headings shown bold when they are a plain run of words
			t := render(ps)
			if !strings.ContainsAny(t, "*_<") && slackLen(t) <= maxFormatted &&
				isWordRune(firstRuneOr(t, 0)) && isWordRune(lastRuneOr(t, 0)) {
				ps = []piece{{text: "*" + t + "*", n: slackLen(t) + 2}}
			}
		}
		out = append(out, ps)
	}
	return out
}
