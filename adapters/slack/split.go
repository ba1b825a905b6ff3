package slack

import (
	"strings"
)

// maxAtom bounds an unbreakable piece (a link, a formatted run); larger
// ones are rendered as plain words instead. It leaves room in a section.
const maxAtom = 2500

// packSections lays paragraphs into mrkdwn texts of at most limit units
// each, paragraphs separated by a blank line. A paragraph that does not
// fit is split between pieces; a single word longer than limit is cut.
// Every text starts in a way that cannot open a block quote.
func packSections(paras [][]piece, limit int) []string {
	var (
		out []string
		cur strings.Builder
		n   int
	)
	flush := func() {
		if n > 0 {
			out = append(out, cur.String())
		}
		cur.Reset()
		n = 0
	}
	write := func(p piece, sep string) {
		if n == 0 {
			sep = ""
			p.text = guardLineStart(p.text)
			p.n = slackLen(p.text)
		}
		cur.WriteString(sep)
		cur.WriteString(p.text)
		n += len(sep) + p.n
	}
	for _, para := range paras {
		if len(para) == 0 {
			continue
		}
		whole := piecesLen(para)
		if whole+2 > limit-n && whole <= limit && n > 0 {
			flush()
		}
		first := true
		for _, p := range para {
			if p.text == "" {
				continue
			}
			sep := ""
			switch {
			case first:
				sep = "\n\n"
			case p.space:
				sep = " "
			}
			first = false
			if n > 0 && n+len(sep)+p.n > limit {
				flush()
			}
			if p.n <= limit {
				write(p, sep)
				continue
			}
			// A piece longer than a whole section: only plain words can be
			// that long (atoms are bounded); cut it by runes.
			for _, chunk := range splitWord(p.raw, limit) {
				if n > 0 {
					flush()
				}
				write(chunk, "")
			}
		}
	}
	flush()
	return out
}

// splitWord cuts a plain word into pieces of at most limit units each,
// between runes, escaping each part on its own so no entity is split.
func splitWord(raw string, limit int) []piece {
	var out []piece
	var cur strings.Builder
	n := 0
	for _, r := range raw {
		e := escapeText(string(r))
		w := slackLen(e)
		if n+w > limit-1 && n > 0 { // -1: room for a soft hyphen guard
			out = append(out, piece{text: cur.String(), n: n})
			cur.Reset()
			n = 0
		}
		cur.WriteString(e)
		n += w
	}
	if n > 0 {
		out = append(out, piece{text: cur.String(), n: n})
	}
	return out
}

// excerpt returns the leading paragraphs that fit in budget units (joined
// by blank lines). When anything is left out, the text ends with "…": at a
// paragraph end, else at a sentence end inside the paragraph, else at a
// word.
func excerpt(paras [][]piece, budget int) (out [][]piece, cut bool) {
	total := 0
	for _, para := range paras {
		sep := 0
		if len(out) > 0 {
			sep = 2
		}
		l := piecesLen(para)
		if total+sep+l <= budget {
			out = append(out, para)
			total += sep + l
			continue
		}
		room := budget - total - sep - 2 // 2: " …"
		if len(out) > 0 && room < budget/4 {
			return endWithEllipsis(out), true
		}
		part := fitPieces(para, room)
		if len(part) == 0 {
			if len(out) > 0 {
				return endWithEllipsis(out), true
			}
			// a first word longer than the budget
			words := splitWord(para[0].raw, room)
			if para[0].raw == "" || len(words) == 0 {
				return nil, true
			}
			part = words[:1]
		}
		out = append(out, part)
		return endWithEllipsis(out), true
	}
	return out, false
}

// fitPieces returns the longest prefix of para within room units, shortened
// to a sentence end when one falls in its second half.
func fitPieces(para []piece, room int) []piece {
	n, k := 0, 0
	for k < len(para) {
		w := para[k].n
		if k > 0 && para[k].space {
			w++
		}
		if n+w > room {
			break
		}
		n += w
		k++
	}
	part := para[:k]
	best, acc := -1, 0
	for j, p := range part {
		if j > 0 && p.space {
			acc++
		}
		acc += p.n
		if endsSentence(p.text) && acc >= room/2 {
			best = j
		}
	}
	if best >= 0 {
		part = part[:best+1]
	}
	return append([]piece(nil), part...)
}

// endWithEllipsis appends "…" to the last paragraph: after a space when it
// ends a sentence, else glued to the last word.
func endWithEllipsis(paras [][]piece) [][]piece {
	last := append([]piece(nil), paras[len(paras)-1]...)
	sp := len(last) > 0 && endsSentence(last[len(last)-1].text)
	last = append(last, piece{text: ellipsis, n: 1, space: sp})
	out := append([][]piece(nil), paras[:len(paras)-1]...)
	return append(out, last)
}

// endsSentence reports whether rendered text ends a sentence, closing
// quotes and brackets aside.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, "\"'”’)]*_")
	s = strings.TrimSuffix(s, "&gt;")
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") ||
		strings.HasSuffix(s, "?") || strings.HasSuffix(s, ellipsis)
}

// sectionTexts renders paragraphs into at most maxSections texts of at most
// limit units; what does not fit is cut with "…".
func sectionTexts(paras [][]piece, limit, maxSections int) []string {
	secs := packSections(paras, limit)
	for budget := maxSections * (limit - 8); len(secs) > maxSections && budget > 0; budget -= limit / 2 {
		ex, _ := excerpt(paras, budget)
		secs = packSections(ex, limit)
	}
	if len(secs) > maxSections {
		secs = secs[:maxSections]
	}
	return secs
}
