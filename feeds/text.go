package feeds

import (
	"strings"

	"digestbot/bot"
)

// plainText reports whether an HTML field holds plain text after all: no
// markup, several lines. (RSS descriptions are HTML by definition, but
// many plain-text newsletters put their text there as is.)
func plainText(body string) bool {
	return strings.Contains(body, "\n") && !strings.ContainsAny(body, "<>") && strings.Count(body, "&") < 3
}

// textBlocks splits a plain-text body into blocks: paragraphs at blank
// lines (each line a paragraph when the text has no blank line), lines
// starting with -, *, •, · or a number ("1.", "2)") as list items (an
// indented line continues the item above), bare http(s) URLs as links.
func textBlocks(s string) []block {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	blank := strings.Contains(s, "\n\n") || strings.Contains(s, "\n \n") || strings.Contains(s, "\n\t\n")
	var out []block
	var para []string
	var li int32
	inItem := false
	flush := func() {
		if len(para) == 0 {
			return
		}
		if t := collapse(strings.Join(para, " ")); t != "" {
			b := block{spans: linkify(t)}
			if inItem {
				li++
				b.li, b.bullet = li, true
			}
			out = append(out, b)
		}
		para, inItem = para[:0], false
	}
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flush()
		case bulletText(t) != "":
			flush()
			para, inItem = append(para, bulletText(t)), true
		case inItem && (line[0] == ' ' || line[0] == '\t'):
			para = append(para, t) // the item's next line
		case !blank || inItem:
			flush()
			para = append(para, t)
		default:
			para = append(para, t)
		}
	}
	flush()
	return out
}

// bulletText returns a list line's text without its bullet or number, ""
// when the line is no list item.
func bulletText(t string) string {
	for _, b := range []string{"- ", "* ", "• ", "· ", "– ", "+ "} {
		if strings.HasPrefix(t, b) {
			return strings.TrimSpace(t[len(b):])
		}
	}
	i := 0
	for i < len(t) && i < 3 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return strings.TrimSpace(t[i+2:])
	}
	return ""
}

// linkify turns the bare http(s) URLs of a line of text into link spans.
func linkify(t string) []bot.Span {
	var spans []bot.Span
	for {
		i := indexURL(t)
		if i < 0 {
			break
		}
		j := i
		for j < len(t) && t[j] != ' ' && t[j] != '<' && t[j] != '>' && t[j] != '"' {
			j++
		}
		u := strings.TrimRight(t[i:j], ".,;:!?'")
		if strings.HasSuffix(u, ")") && !strings.Contains(u, "(") {
			u = u[:len(u)-1]
		}
		link := resolveHTTP(nil, u)
		if link == "" {
			if i+len(u) == 0 {
				break
			}
			spans = append(spans, bot.Span{Text: t[:i+len(u)]})
			t = t[i+len(u):]
			continue
		}
		if i > 0 {
			spans = append(spans, bot.Span{Text: t[:i]})
		}
		spans = append(spans, bot.Span{Text: u, URL: link})
		t = t[i+len(u):]
	}
	if t != "" {
		spans = append(spans, bot.Span{Text: t})
	}
	// merge neighbouring plain spans (from skipped pseudo-links)
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.URL == "" && out[n-1].URL == "" {
			out[n-1].Text += sp.Text
			continue
		}
		out = append(out, sp)
	}
	return out
}

func indexURL(t string) int {
	i := strings.Index(t, "http")
	for i >= 0 {
		rest := t[i:]
		if strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "http://") {
			return i
		}
		k := strings.Index(rest[4:], "http")
		if k < 0 {
			return -1
		}
		i += 4 + k
	}
	return -1
}
