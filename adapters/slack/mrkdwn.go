package slack

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Look-alikes for Slack's formatting characters; see the package comment.
var lookalike = map[rune]rune{
	'*':      '∗', // U+2217 asterisk operator
	'_':      'ˍ', // U+02CD modifier letter low macron
	'~':      '∼', // U+223C tilde operator
	'`':      'ˋ', // U+02CB modifier letter grave accent
	'\uFF0A': '﹡', // full-width asterisk → U+FE61 small asterisk
	'\uFF3F': '⸏', // full-width low line → U+2E0F paragraphos
	'\uFF40': 'ˋ', // full-width grave accent
	'\uFF5E': '∼', // full-width tilde
}

const (
	softHyphen = "\u00AD"
	wordJoiner = "\u2060"
	ellipsis   = "…"
)

// slackLen counts s the way Slack's limits do, erring high: UTF-16 code
// units of the text as sent (after escaping).
func slackLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r) // an invalid byte is sent as U+FFFD: one unit
	}
	return n
}

// escapeText renders plain text for a mrkdwn text object: control
// characters become entities, formatting characters become look-alikes,
// line breaks and tabs become spaces, and broadcast words are broken.
func escapeText(s string) string {
	if plainASCII(s) {
		return s // nothing to escape: the common case, without copying
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\n' || r == '\t' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r == '@':
			b.WriteRune(r)
			if isBroadcastWord(s[i+1:]) {
				b.WriteString(wordJoiner)
			}
		case unicode.IsControl(r) || r == utf8.RuneError:
			// dropped: invisible and never meant for display
		default:
			if l, ok := lookalike[r]; ok {
				r = l
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isBroadcastWord reports whether s starts with here, channel or everyone
// as a whole word.
func isBroadcastWord(s string) bool {
	for _, w := range []string{"here", "channel", "everyone"} {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			rest := s[len(w):]
			r, _ := utf8.DecodeRuneInString(rest)
			if rest == "" || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return true
			}
		}
	}
	return false
}

// escapeLinkText renders a link's label: like escapeText, and a | cannot
// end the label early.
func escapeLinkText(s string) string {
	return strings.ReplaceAll(escapeText(s), "|", "∣")
}

// guardLineStart keeps a line from starting a block quote: Slack reads
// "&gt;" or "＞" at the start of a line as one.
func guardLineStart(s string) string {
	if strings.HasPrefix(s, "&gt;") || strings.HasPrefix(s, "＞") {
		return softHyphen + s
	}
	return s
}

// maxLinkURL bounds a URL written into text; longer ones are shown as text.
const maxLinkURL = 2000

// safeURL returns raw as a URL fit for a Slack link or button, or false
// when it is not an absolute http(s) URL with a host and no user info. The
// result has |, <, > and spaces percent-encoded; it is not yet
// entity-escaped (see linkURL).
func safeURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxLinkURL {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if strings.ContainsAny(u.Host, "<>|&\"' ") {
		return "", false
	}
	s := u.String()
	s = urlEscaper.Replace(s)
	if len(s) > maxLinkURL {
		return "", false
	}
	return s, true
}

// plainASCII reports whether s is printable ASCII without any character
// escapeText changes (&, <, >, @ and the formatting markers in lookalike).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f:
			return false
		case c == '&' || c == '<' || c == '>' || c == '@' || c == '*' || c == '_' || c == '~' || c == '`':
			return false
		}
	}
	return true
}

// urlEscaper percent-encodes what would end a Slack link early.
var urlEscaper = strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", "\"", "%22")

// linkURL is a safe URL as written inside <url|text>.
func linkURL(safe string) string { return strings.ReplaceAll(safe, "&", "&amp;") }

// hostOf returns the host of a safe URL, without a leading "www.".
func hostOf(safe string) string {
	u, err := url.Parse(safe)
	if err != nil {
		return safe
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// mrkdwnLink renders a link to a safe URL with a plain-text label.
func mrkdwnLink(safe, label string) string {
	text := strings.TrimSpace(escapeLinkText(label))
	if text == "" {
		text = escapeLinkText(hostOf(safe))
	}
	if text == "" {
		text = "link"
	}
	return "<" + linkURL(safe) + "|" + text + ">"
}

// cutPlain cuts plain text to at most max UTF-16 units including a
// trailing "…", at a word boundary when one is near.
func cutPlain(s string, max int) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if slackLen(s) <= max {
		return s
	}
	if max <= 1 {
		return ""
	}
	budget := max - 1
	n, end, lastSpace := 0, 0, -1
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > budget {
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
		if unicode.IsSpace(r) {
			lastSpace = i
		}
	}
	if lastSpace > end/2 {
		end = lastSpace
	}
	return strings.TrimRightFunc(s[:end], unicode.IsSpace) + ellipsis
}

// isWordRune reports whether r continues a word, so that formatting
// markers next to it would not be parsed.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
