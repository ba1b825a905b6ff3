package discord

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Discord renders a subset of Markdown in message content, embed titles,
// descriptions and field values. Text from the feed or from users is plain:
// everything here makes sure it shows as written and never formats, links or
// mentions anything.

const (
	zwsp     = "\u200b" // zero-width space: breaks "@everyone" and "<@123>" visually
	ellipsis = "…"
)

// escapeMarkdown returns s with every character that Discord's Markdown
// would interpret escaped with a backslash, and every "@" followed by a
// zero-width space, so that no mention can form even where allowed_mentions
// does not apply (text copied out of the message, say).
func escapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart := true
	for i := 0; i < len(s); {
		if lineStart {
			// Indentation keeps the line start open: "  - item" is a list.
			if s[i] == ' ' || s[i] == '\t' {
				b.WriteByte(s[i])
				i++
				continue
			}
			lineStart = false
			if n := escapeLineStart(&b, s[i:]); n > 0 {
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isSpecial(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '@':
			b.WriteString("@" + zwsp)
		case r == '\n':
			b.WriteByte('\n')
			lineStart = true
		case r == '\r':
			// Dropped: "\r\n" is a line break already.
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case unicode.IsControl(r) && r != '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isSpecial reports whether Discord's Markdown gives r a meaning anywhere
// in a line.
func isSpecial(r rune) bool {
	switch r {
	case '\\', '*', '_', '~', '`', '|', '[', ']', '<', '>', '#':
		return true
	}
	return false
}

// escapeLineStart escapes the block markers Discord recognises at the start
// of a line and Go's general escapes miss: "-" and "+" lists (and the "-#"
// subtext), "1." ordered lists. Quotes and headings are covered by the
// general escapes of '>' and '#'. It returns how many bytes of rest it wrote.
func escapeLineStart(b *strings.Builder, rest string) int {
	switch rest[0] {
	case '-', '+':
		b.WriteByte('\\')
		b.WriteByte(rest[0])
		return 1
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n > 0 && n < len(rest) && rest[n] == '.' {
		b.WriteString(rest[:n])
		b.WriteString(`\.`)
		return n + 1
	}
	return 0
}

// plainText cleans text for fields Discord shows without Markdown (footers,
// author names, thread names, autocomplete choices): control characters
// become spaces and "@" gets a zero-width space, nothing is escaped.
func plainText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "@", "@"+zwsp)
}

// maxURLLength bounds the URLs put in embeds and links (Discord rejects
// embed URLs beyond 2,048 characters).
const maxURLLength = 2048

// urlReplacer percent-encodes what would end a Markdown link target early or
// confuse Discord's link parser.
var urlReplacer = strings.NewReplacer(
	"(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E",
	`"`, "%22", "`", "%60", `\`, "%5C", "|", "%7C",
)

// safeURL returns raw as an absolute http or https URL safe to put in a
// Markdown link or an embed, and false for anything else: other schemes
// (javascript:, data:, discord:), relative URLs, user:password@ prefixes that
// disguise the real host, control characters.
func safeURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURLLength {
		return "", false
	}
	for _, r := range raw {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	u.Scheme = scheme
	s := urlReplacer.Replace(u.String())
	if len(s) > maxURLLength {
		return "", false
	}
	return s, true
}

// link renders a Markdown masked link, or the escaped text alone when the
// URL is not a safe http(s) URL.
func link(text, rawURL string) string {
	u, ok := safeURL(rawURL)
	text = strings.TrimSpace(text)
	if !ok {
		return escapeMarkdown(text)
	}
	if text == "" {
		text = u
	}
	return "[" + escapeMarkdown(text) + "](" + u + ")"
}

// textLen is how Discord counts characters against its limits: UTF-16 code
// units, as in JavaScript.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cut shortens s to at most max characters (textLen), ending with "…" when
// anything was removed.
func cut(s string, max int) string {
	if textLen(s) <= max {
		return s
	}
	return cutMarked(s, max)
}

// cutMarked returns the longest prefix of s that fits in max characters
// together with a final "…", which it always adds (it returns "" when not
// even the "…" fits). It prefers a word boundary near the end, never leaves
// a dangling escape backslash and never splits a rune.
func cutMarked(s string, max int) string {
	budget := max - textLen(ellipsis)
	if budget < 0 {
		return ""
	}
	end, n := 0, 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		w := utf16.RuneLen(r)
		if n+w > budget {
			break
		}
		n += w
		end += size
	}
	out := s[:end]
	// Back up to a space if one is close: "reading mater…" reads worse than
	// "reading…".
	if end < len(s) {
		if sp := strings.LastIndexAny(out, " \n"); sp > 0 && len(out)-sp < 24 {
			out = out[:sp]
		}
	}
	out = strings.TrimRight(out, " \n\t")
	out = trimDanglingEscape(out)
	return out + ellipsis
}

// trimDanglingEscape removes a trailing odd backslash left by a cut, which
// would otherwise escape the "…" or whatever follows.
func trimDanglingEscape(s string) string {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	if n%2 == 1 {
		return s[:len(s)-1]
	}
	return s
}
