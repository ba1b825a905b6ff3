package feeds

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"digestbot/bot"
)

// RoundupMarker is the paragraph that starts the roundup in the digest's
// issues. It matches with a straight or curly apostrophe, in any case, with
// or without the colon, in any block element.
const RoundupMarker = "Here's a roundup of other noteworthy news and initiatives:"

// DefaultMarkers are the built-in vocabulary of section markers: a block
// whose whole text is one of them (ignoring case, punctuation, apostrophes,
// emoji and entities) starts a section of short items.
var DefaultMarkers = []string{
	"In brief", "Other news", "Also this week", "In other news", "More news", "News", "Quick hits",
	"Elsewhere", "Briefly", "Before you go", "And finally", "Finally", "Last but not least", "Asides",
	"Other", "Links", "Other links", "More links", "Quick links", "Link roundup", "Links of the week",
	"In case you missed it", "ICYMI", "What else I'm reading", "What I'm reading", "What we're reading",
	"Also new", "Also", "Also worth reading", "Other stories", "More stories", "Around the web",
	"From around the web", "Further reading", "Worth reading", "Recommended reading", "Reading list",
	"Roundup", "The roundup", "News roundup", "Odds and ends", "Bits and pieces", "Miscellany",
	"In the news", "Headlines", "Worth your time", "One more thing",
}

// Split modes (feeds[].split).
const (
	SplitAuto   = "auto"   // markers, then structure (the default)
	SplitMarker = "marker" // configured and built-in markers only
	SplitOff    = "off"    // every issue kept whole, as its lead
)

// SplitOptions configures how issues are split.
type SplitOptions struct {
	// Mode is SplitAuto (also ""), SplitMarker or SplitOff.
	Mode string
	// Markers are extra section markers, matched like RoundupMarker
	// against a block's whole text. They are trusted before the built-in
	// vocabulary: when one is found, only they start sections.
	Markers []string
	// Drop are extra text patterns: a paragraph containing one (ignoring
	// case) is dropped. A pattern written /like this/ is a regular
	// expression.
	Drop []string
}

// CheckSplitOptions reports the first problem in opts, for config checks.
func CheckSplitOptions(opts SplitOptions) error {
	switch opts.Mode {
	case "", SplitAuto, SplitMarker, SplitOff:
	default:
		return fmt.Errorf("split %q: want auto, marker or off", opts.Mode)
	}
	for _, m := range opts.Markers {
		if alnumKey(m, -1) == "" {
			return fmt.Errorf("marker %q has no letters or digits", m)
		}
	}
	for _, d := range opts.Drop {
		if _, err := compileDrop(d); err != nil {
			return err
		}
	}
	return nil
}

// dropPattern is one compiled SplitOptions.Drop entry.
type dropPattern struct {
	text string         // the pattern as configured
	sub  string         // lowercased text to find, when not a regexp
	re   *regexp.Regexp // when written /.../
}

func compileDrop(p string) (dropPattern, error) {
	d := dropPattern{text: p}
	if len(p) >= 2 && p[0] == '/' && p[len(p)-1] == '/' {
		re, err := regexp.Compile("(?i)" + p[1:len(p)-1])
		if err != nil {
			return d, fmt.Errorf("drop pattern %s: %v", p, err)
		}
		d.re = re
		return d, nil
	}
	d.sub = strings.ToLower(collapse(p))
	if d.sub == "" {
		return d, fmt.Errorf("drop pattern %q is empty", p)
	}
	return d, nil
}

func (d *dropPattern) match(text string) bool {
	if d.re != nil {
		return d.re.MatchString(text)
	}
	return strings.Contains(strings.ToLower(text), d.sub)
}

// splitter holds the compiled options.
type splitter struct {
	mode   string
	custom map[string]bool // alnumKey of each configured marker
	vocab  map[string]bool // alnumKey of each built-in marker
	maxLen int             // longest block text, in bytes, worth comparing
	drop   []dropPattern
}

func newSplitter(opts SplitOptions) *splitter {
	s := &splitter{mode: opts.Mode, custom: map[string]bool{}, vocab: map[string]bool{}}
	if s.mode == "" {
		s.mode = SplitAuto
	}
	add := func(set map[string]bool, m string) {
		k := alnumKey(m, -1)
		if k == "" {
			return
		}
		set[k] = true
		// A block may add punctuation, spaces, emoji and markup-free
		// decoration around the marker; allow generously but stay bounded.
		if n := 2*len(m) + 16; n > s.maxLen {
			s.maxLen = n
		}
	}
	add(s.vocab, RoundupMarker)
	for _, m := range DefaultMarkers {
		add(s.vocab, m)
	}
	for _, m := range opts.Markers {
		add(s.custom, m)
	}
	for _, p := range opts.Drop {
		if d, err := compileDrop(p); err == nil {
			s.drop = append(s.drop, d)
		}
	}
	return s
}

// splitResult is one body split into a lead and a roundup.
type splitResult struct {
	lead      bot.Story
	roundup   []bot.Story
	split     bool
	firstKept int // index of the first block not dropped as boilerplate
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

// explainer collects what the splitter recognised in one issue, for
// `digestbot preview --explain`. A nil *explainer records nothing.
type explainer struct{ notes []string }

func (e *explainer) add(format string, args ...any) {
	if e != nil {
		e.notes = append(e.notes, fmt.Sprintf(format, args...))
	}
}

// label names a section in an explanation.
func label(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return quote(name)
}

// quote shortens a block's text for an explanation.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 70 {
		r := []rune(s)
		s = string(r[:67]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// sectionStart is a block that opens a section.
type sectionStart struct {
	at   int    // index in the kept blocks
	name string // the section's name, "" for none
}

// split turns the blocks of a body into a lead and items. It drops
// boilerplate (see dropRule), finds where sections start (configured
// markers, else built-in markers, else structure) and groups each
// section's blocks into items. Nothing is lost when nothing is found: the
// issue is kept whole, as its lead.
func (s *splitter) split(blocks []block, title string) splitResult {
	return s.splitExplain(blocks, title, nil)
}

func (s *splitter) splitExplain(blocks []block, title string, ex *explainer) splitResult {
	kept := s.dropBoilerplate(blocks, title, ex)
	firstKept := len(blocks)
	if len(kept) > 0 {
		for i := range blocks {
			if &blocks[i] == kept[0] {
				firstKept = i
				break
			}
		}
	}
	// Footnotes stay with the lead, after it: they are not items.
	var notes []*block
	for i, b := range kept {
		if b.note {
			notes = append(notes, b)
			continue
		}
		if len(notes) > 0 {
			kept[i-len(notes)] = b
		}
	}
	kept = kept[:len(kept)-len(notes)]
	if len(notes) > 0 {
		ex.add("%d footnote paragraphs kept at the end of the lead", len(notes))
	}
	var starts []sectionStart
	numbered := false
	if s.mode != SplitOff {
		starts = s.markerStarts(kept, s.custom, "configured marker", ex)
		if starts == nil {
			starts = s.markerStarts(kept, s.vocab, "built-in marker", ex)
		}
		if starts == nil && s.mode == SplitAuto {
			starts, numbered = structureStarts(kept, 0, true, ex)
		} else if starts != nil && s.mode == SplitAuto {
			starts = subsections(kept, starts, ex)
		}
	}

	r := splitResult{firstKept: firstKept}
	first := len(kept)
	if len(starts) > 0 {
		first = starts[0].at
	}
	var pool []bot.Paragraph
	r.lead = story(paragraphs(append(kept[:first:first], notes...), true, &pool))
	if len(starts) > 0 {
		r.roundup = make([]bot.Story, 0, len(kept)-first)
		pool = make([]bot.Paragraph, 0, len(kept)-first)
	}
	for i, st := range starts {
		end := len(kept)
		if i+1 < len(starts) {
			end = starts[i+1].at
		}
		from := st.at + 1
		if numbered {
			from = st.at // the number is the item's start, not a heading
		}
		items := groupItems(kept[from:end], numbered)
		for _, it := range items {
			stv := story(paragraphs(it, false, &pool))
			stv.Section = st.name
			r.roundup = append(r.roundup, stv)
		}
		if ex != nil {
			ex.add("section %s: %d items", label(st.name), len(items))
		}
	}
	r.split = len(r.roundup) > 0
	if !r.split && len(starts) > 0 {
		// markers without items: keep everything after the first as lead
		r.lead = story(paragraphs(append(kept, notes...), true, &pool))
	}
	if ex != nil {
		if r.split {
			ex.add("lead: %d paragraphs; %d items", len(r.lead.Paragraphs), len(r.roundup))
		} else {
			ex.add("no section found: the issue is kept whole, a lead of %d paragraphs", len(r.lead.Paragraphs))
		}
	}
	return r
}

// paragraphs converts blocks to paragraphs; bullets are kept in the lead
// only, and a number that starts a numbered story is dropped. Items'
// paragraphs are carved from pool, one allocation per issue.
func paragraphs(bs []*block, lead bool, pool *[]bot.Paragraph) []bot.Paragraph {
	if len(bs) == 0 {
		return nil
	}
	var out []bot.Paragraph
	if p := *pool; cap(p)-len(p) >= len(bs) {
		out = p[len(p):len(p)]
		defer func() { *pool = p[:len(p)+len(out)] }()
	} else {
		out = make([]bot.Paragraph, 0, len(bs))
	}
	for _, b := range bs {
		if !lead && isNumberOnly(b) {
			continue
		}
		p := bot.Paragraph{Spans: b.spans, Heading: b.heading}
		if lead {
			p.Bullet = b.bullet
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil
	}
	return out[:len(out):len(out)]
}

// markerStarts returns a section start at every kept block whose text is
// a marker of set, or nil when there is none.
func (s *splitter) markerStarts(kept []*block, set map[string]bool, what string, ex *explainer) []sectionStart {
	if len(set) == 0 {
		return nil
	}
	var out []sectionStart
	for i, b := range kept {
		if textLen(b) > s.maxLen {
			continue
		}
		if set[b.alnum()] {
			text := b.text()
			out = append(out, sectionStart{at: i, name: sectionName(text)})
			if ex != nil {
				ex.add("section %s started by the %s %s", label(sectionName(text)), what, quote(text))
			}
		}
	}
	return out
}

// sectionName is a marker's or heading's text as a section name: without
// trailing colons and ellipses; "" for a whole sentence such as the
// digest's "Here's a roundup of other noteworthy news and initiatives:".
func sectionName(text string) string {
	name := strings.TrimRightFunc(strings.TrimSpace(text), func(r rune) bool {
		return r == ':' || r == '…' || r == '.' || r == ' ' || r == '-' || r == '–' || r == '—'
	})
	if len(name) > 48 || len(strings.Fields(name)) > 6 {
		return ""
	}
	return name
}

// story fills in URL and Links from the paragraphs' link spans. URL is the
// first link that is not a share, subscribe or tracking link.
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
	for _, l := range st.Links {
		if !isShareURL(l) {
			st.URL = l
			break
		}
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
