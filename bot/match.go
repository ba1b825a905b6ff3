package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Matching stories against queries in memory: follows (a user's saved
// query, checked against every new story) and the bold words of search
// snippets. The stores' full-text engines stem words (SQLite's porter,
// PostgreSQL's english); this is a lighter stemmer that folds the common
// English endings and Latin diacritics, so that a follow of "refugee"
// matches "Refugees" and "cafe" matches "Café", as a search for them does.

// token is one word of a text: its stem and where it is.
type token struct {
	stem       string
	start, end int // byte offsets in the text
}

// tokens splits text into words the way ParseQuery does (letters, digits
// and combining marks), each with its stem and byte offsets.
func tokens(text string, out []token) []token {
	start := -1
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			out = append(out, token{stem: stemWord(text[start:i]), start: start, end: i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, token{stem: stemWord(text[start:]), start: start, end: len(text)})
	}
	return out
}

// stemWord lowercases a word, folds its diacritics and strips common
// English endings: plural -s/-es/-ies, -ing, -ed, a final -e.
func stemWord(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			ascii = false
			break
		}
	}
	if !ascii {
		var b strings.Builder
		b.Grow(len(w))
		for _, r := range w {
			if unicode.Is(unicode.Mn, r) {
				continue
			}
			r = unicode.ToLower(r)
			if f, ok := foldTable[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		}
		w = b.String()
	}
	if utf8.RuneCountInString(w) > MaxWordRunes {
		w = string([]rune(w)[:MaxWordRunes])
	}
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "sses"):
		w = w[:n-2]
	case n > 3 && w[n-1] == 's' && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	n = len(w)
	switch {
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed"):
		w = w[:n-2]
	}
	if n = len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

// foldTable maps Latin letters with diacritics (precomposed, as feeds
// write them) to their base letters; the standard library has no Unicode
// decomposition.
var foldTable = func() map[rune]string {
	m := map[rune]string{}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ďđ", "e": "èéêëēĕėęě", "g": "ĝğġģ",
		"h": "ĥħ", "i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ",
		"o": "òóôõöøōŏő", "r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűų",
		"w": "ŵ", "y": "ýÿŷ", "z": "źżž", "ae": "æ", "oe": "œ", "ss": "ß", "th": "þ",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// stems returns the stems of words (query words, already lowercased).
func stems(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if s := stemWord(w); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// compiledQuery is a Query reduced to stems, ready to test stories.
type compiledQuery struct {
	terms    []string
	phrases  [][]string
	excluded [][]string
}

func compileQuery(q Query) compiledQuery {
	var c compiledQuery
	c.terms = stems(q.Terms)
	for _, p := range q.Phrases {
		if s := stems(p); len(s) > 0 {
			c.phrases = append(c.phrases, s)
		}
	}
	for _, e := range q.Excluded {
		if s := stems(e); len(s) > 0 {
			c.excluded = append(c.excluded, s)
		}
	}
	return c
}

// key is the stem a follow is indexed under: every story it matches
// contains it.
func (c compiledQuery) key() string {
	if len(c.terms) > 0 {
		return c.terms[0]
	}
	if len(c.phrases) > 0 {
		return c.phrases[0][0]
	}
	return ""
}

// storyWords is a story's words ready for matching: stems in order and
// where each stem occurs.
type storyWords struct {
	seq []string
	pos map[string][]int32
}

func newStoryWords(text string) storyWords {
	ts := tokens(text, nil)
	w := storyWords{seq: make([]string, len(ts)), pos: make(map[string][]int32, len(ts))}
	for i, t := range ts {
		w.seq[i] = t.stem
		w.pos[t.stem] = append(w.pos[t.stem], int32(i))
	}
	return w
}

func (w storyWords) has(stem string) bool {
	_, ok := w.pos[stem]
	return ok
}

// hasPhrase reports whether the stems occur in a row.
func (w storyWords) hasPhrase(p []string) bool {
	starts := w.pos[p[0]]
	if len(p) == 1 || len(starts) == 0 {
		return len(starts) > 0
	}
next:
	for _, i := range starts {
		if int(i)+len(p) > len(w.seq) {
			return false
		}
		for j := 1; j < len(p); j++ {
			if w.seq[int(i)+j] != p[j] {
				continue next
			}
		}
		return true
	}
	return false
}

// matches reports whether a story's words satisfy the query: every term
// and phrase present, no exclusion. An empty query matches nothing.
func (c compiledQuery) matches(w storyWords) bool {
	if len(c.terms) == 0 && len(c.phrases) == 0 {
		return false
	}
	for _, t := range c.terms {
		if !w.has(t) {
			return false
		}
	}
	for _, p := range c.phrases {
		if !w.hasPhrase(p) {
			return false
		}
	}
	for _, e := range c.excluded {
		if w.hasPhrase(e) {
			return false
		}
	}
	return true
}

// MatchesQuery reports whether text matches q the way a follow does.
func MatchesQuery(q Query, text string) bool {
	return compileQuery(q).matches(newStoryWords(text))
}

// Highlight returns the byte ranges of text that hold q's positive words
// (terms and phrase words, stemmed as follows are), for showing them in
// bold. Ranges are in order and do not overlap; adjacent matched words
// are joined into one range.
func Highlight(q Query, text string) []Range {
	want := map[string]bool{}
	for _, s := range stems(q.Words()) {
		want[s] = true
	}
	if len(want) == 0 {
		return nil
	}
	var out []Range
	for _, t := range tokens(text, nil) {
		if !want[t.stem] {
			continue
		}
		if n := len(out); n > 0 && strings.TrimSpace(text[out[n-1].End:t.start]) == "" {
			out[n-1].End = t.end
			continue
		}
		out = append(out, Range{Start: t.start, End: t.end})
	}
	return out
}

// Range is a byte range [Start, End) of a text.
type Range struct{ Start, End int }
