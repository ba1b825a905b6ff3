package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"digestbot/bot"
)

// RoundupMarker is the paragraph that starts the roundup in the digest's
// issues. It matches with a straight or curly apostrophe, in any case, with
// or without the colon, in any block element.
const RoundupMarker = "Here's a roundup of other noteworthy news and initiatives:"

// DefaultMarkers are other headings that start a roundup.
var DefaultMarkers = []string{"In brief", "Other news", "Also this week"}

// SplitOptions configures how issues are split.
type SplitOptions struct {
	// Markers are extra roundup markers, matched like RoundupMarker against
	// a block's whole text. RoundupMarker and DefaultMarkers always apply.
	Markers []string
}

// splitter holds the compiled markers.
type splitter struct {
	markers map[string]bool // alnumKey of each marker
	maxLen  int             // longest block text, in bytes, worth comparing
}

func newSplitter(opts SplitOptions) *splitter {
	s := &splitter{markers: map[string]bool{}}
	all := append([]string{RoundupMarker}, DefaultMarkers...)
	for _, m := range append(all, opts.Markers...) {
		k := alnumKey(m, -1)
		if k == "" {
			continue
		}
		s.markers[k] = true
		// A block may add punctuation, spaces and markup-free decoration
		// around the marker; allow generously but stay bounded.
		if n := 2*len(m) + 16; n > s.maxLen {
			s.maxLen = n
		}
	}
	return s
}

// splitResult is one body split into a lead and a roundup.
type splitResult struct {
	lead    bot.Story
	roundup []bot.Story
	split   bool
}

// paragraphs returns the paragraphs the standfirst check compares with:
// the lead's, followed by the roundup's when the lead is short.
func (r *splitResult) paragraphs() []bot.Paragraph {
	ps := r.lead.Paragraphs
	if len(r.roundup) == 0 || len(ps) >= 4 {
		return ps // enough to find a copied description in
	}
	out := make([]bot.Paragraph, 0, len(ps)+len(r.roundup))
	out = append(out, ps...)
	for _, st := range r.roundup {
		out = append(out, st.Paragraphs...)
	}
	return out
}

// split classifies the blocks of a body: everything before the first
// marker is the lead, each block after it one roundup item. Repeated
// headlines and share/subscribe footers are dropped.
func (s *splitter) split(blocks []block, title string) splitResult {
	var r splitResult
	titleKey := alnumKey(title, -1)
	titleMax := 2*len(title) + 16
	r.lead.Paragraphs = make([]bot.Paragraph, 0, len(blocks))
	var items []bot.Paragraph
	for i := range blocks {
		b := &blocks[i]
		n := textLen(b)
		var key string
		if n <= s.maxLen || n <= titleMax || n <= maxFooterLen {
			text := b.text()
			if n <= s.maxLen || n <= titleMax {
				key = alnumKey(text, -1)
			}
			if key == "" && n <= s.maxLen {
				// punctuation or emoji only, e.g. "* * *": a separator
				continue
			}
			if titleKey != "" && key == titleKey {
				continue
			}
			if n <= maxFooterLen && isFooter(text) {
				continue
			}
		}
		if key != "" && s.markers[key] {
			// The first marker starts the roundup; a later one is a
			// section label inside it, not an item.
			r.split = true
			continue
		}
		if r.split {
			// one paragraph per item, carved from a shared slice
			if len(items) == cap(items) {
				items = make([]bot.Paragraph, 0, len(blocks)-i)
			}
			items = append(items, bot.Paragraph{Spans: b.spans, Heading: b.heading})
			r.roundup = append(r.roundup, story(items[len(items)-1:len(items):len(items)]))
		} else {
			r.lead.Paragraphs = append(r.lead.Paragraphs, bot.Paragraph{Spans: b.spans, Heading: b.heading, Bullet: b.bullet})
		}
	}
	if len(r.lead.Paragraphs) == 0 {
		r.lead.Paragraphs = nil
	}
	r.lead = story(r.lead.Paragraphs)
	return r
}

// story fills in URL and Links from the paragraphs' link spans.
func story(ps []bot.Paragraph) bot.Story {
	st := bot.Story{Paragraphs: ps}
	n := 0
	for _, p := range ps {
		for _, sp := range p.Spans {
			if sp.URL != "" {
				n++
			}
		}
	}
	if n == 0 {
		return st
	}
	st.Links = make([]string, 0, n)
	for _, p := range ps {
		for _, sp := range p.Spans {
			if sp.URL == "" {
				continue
			}
			dup := false
			for _, l := range st.Links {
				if l == sp.URL {
					dup = true
					break
				}
			}
			if !dup {
				st.Links = append(st.Links, sp.URL)
			}
		}
	}
	if len(st.Links) > 0 {
		st.URL = st.Links[0]
	}
	return st
}

func textLen(b *block) int {
	n := 0
	for _, s := range b.spans {
		n += len(s.Text)
	}
	return n
}

// alnumKey lowercases s and keeps only its letters and digits: the key used
// to compare markers, headlines and descriptions whatever their spacing,
// punctuation and quotes. max > 0 stops after max runes of output.
func alnumKey(s string, max int) string {
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			case r >= 'A' && r <= 'Z':
				r += 'a' - 'A'
			default:
				continue
			}
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			r = unicode.ToLower(r)
		} else {
			continue
		}
		b.WriteRune(r)
		n++
		if max > 0 && n >= max {
			break
		}
	}
	return b.String()
}

// maxFooterLen bounds the blocks checked for footers: a long paragraph that
// mentions subscribing is content.
const maxFooterLen = 240

var footerPrefixes = []string{
	"subscribe", "share this", "share on ", "forwarded this email", "was this email forwarded",
	"view in browser", "view in your browser", "view this email in your browser",
	"view this post on the web", "view online", "leave a comment", "thanks for reading",
	"give a gift subscription", "upgrade to paid", "read in app", "unsubscribe",
	"update your preferences", "you are receiving this", "you received this email",
}

var footerExact = []string{"share", "comment", "comments", "like", "restack", "reply", "read more", "continue reading"}

var footerContains = []string{"unsubscribe", "update your preferences", "manage your subscription"}

// isFooter reports whether a short block is a share/subscribe button or a
// newsletter footer rather than part of a story. It allocates nothing:
// every block of every issue goes through it.
func isFooter(text string) bool {
	notAlnum := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	t := strings.TrimLeftFunc(text, notAlnum)
	bare := strings.TrimRightFunc(t, notAlnum)
	for _, e := range footerExact {
		if strings.EqualFold(bare, e) {
			return true
		}
	}
	for _, p := range footerPrefixes {
		if len(t) >= len(p) && strings.EqualFold(t[:len(p)], p) {
			// whole words only: "Subscribers say..." is content
			next, _ := utf8.DecodeRuneInString(t[len(p):])
			if !unicode.IsLetter(next) {
				return true
			}
		}
	}
	for _, c := range footerContains {
		if containsFold(t, c) {
			return true
		}
	}
	// WordPress: "The post <title> appeared first on <site>."
	return len(t) > 9 && strings.EqualFold(t[:9], "the post ") && containsFold(t, " appeared first on ")
}

// containsFold reports whether s contains the lowercase ASCII string sub,
// ignoring ASCII case.
func containsFold(s, sub string) bool {
	if len(sub) == 0 {
		return true
	}
	c0, C0 := sub[0], sub[0]
	if c0 >= 'a' && c0 <= 'z' {
		C0 = c0 - ('a' - 'A')
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if (s[i] == c0 || s[i] == C0) && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
