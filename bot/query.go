package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Query is a parsed search: what users type after "/digest search".
//
// The language is small: words (all must match), "quoted phrases" and
// -excluded words or phrases. Every word is a run of letters and digits,
// lowercased, so a store can build its own query syntax from a Query
// without any user text reaching its parser.
type Query struct {
	Terms    []string   // words that must all appear
	Phrases  [][]string // word sequences that must appear as written
	Excluded [][]string // words or phrases that must not appear
}

// Limits on what ParseQuery keeps, so a hostile query costs little.
const (
	MaxQueryBytes = 512 // input beyond this is ignored
	MaxQueryWords = 16  // words beyond this (terms, phrases, exclusions) are dropped
	MaxWordRunes  = 64  // longer words are cut
)

// Empty reports whether q has nothing positive to look for. A query of only
// exclusions is empty: it would match almost everything.
func (q Query) Empty() bool { return len(q.Terms) == 0 && len(q.Phrases) == 0 }

// String renders q back in the user's query language, normalised.
func (q Query) String() string {
	var parts []string
	parts = append(parts, q.Terms...)
	for _, p := range q.Phrases {
		parts = append(parts, `"`+strings.Join(p, " ")+`"`)
	}
	for _, e := range q.Excluded {
		if len(e) == 1 {
			parts = append(parts, "-"+e[0])
		} else {
			parts = append(parts, `-"`+strings.Join(e, " ")+`"`)
		}
	}
	return strings.Join(parts, " ")
}

// Words returns every positive word of q: terms, then phrase words.
func (q Query) Words() []string {
	out := append([]string(nil), q.Terms...)
	for _, p := range q.Phrases {
		out = append(out, p...)
	}
	return out
}

// ParseQuery parses what a user typed. It never fails: stray quotes close
// at the end, punctuation separates words, and anything past the limits is
// dropped.
func ParseQuery(s string) Query {
	if len(s) > MaxQueryBytes {
		// Cut at the last space before the limit, so no word is half kept.
		s = s[:MaxQueryBytes+1]
		if i := strings.LastIndexFunc(s, unicode.IsSpace); i > 0 {
			s = s[:i]
		} else {
			s = s[:MaxQueryBytes]
		}
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '“', '”', '„', '«', '»':
			return '"'
		case '−', '–', '—':
			return '-'
		}
		return r
	}, s)

	var q Query
	words := 0
	seen := map[string]bool{}
	add := func(neg bool, ws []string) {
		if len(ws) == 0 || words >= MaxQueryWords {
			return
		}
		if words+len(ws) > MaxQueryWords {
			ws = ws[:MaxQueryWords-words]
		}
		key := strings.Join(ws, " ")
		if neg {
			key = "-" + key
		}
		if seen[key] {
			return
		}
		seen[key] = true
		words += len(ws)
		switch {
		case neg:
			q.Excluded = append(q.Excluded, ws)
		case len(ws) == 1:
			q.Terms = append(q.Terms, ws[0])
		default:
			q.Phrases = append(q.Phrases, ws)
		}
	}

	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '-' && i+1 < len(s) && s[i+1] == '"':
			end := closing(s, i+2)
			add(true, tokenize(s[i+2:end]))
			i = min(end+1, len(s))
		case r == '-':
			end := fieldEnd(s, i+1)
			// "-word" excludes it; a '-' inside or before nothing is a separator.
			ws := tokenize(s[i+1 : end])
			if len(ws) > 0 {
				add(true, ws[:1])
				for _, w := range ws[1:] {
					add(false, []string{w})
				}
			}
			i = end
		case r == '"':
			end := closing(s, i+1)
			ws := tokenize(s[i+1 : end])
			add(false, ws)
			i = min(end+1, len(s))
		default:
			end := fieldEnd(s, i)
			for _, w := range tokenize(s[i:end]) {
				add(false, []string{w})
			}
			i = end
		}
	}
	return q
}

// closing returns the index of the quote closing a phrase opened before i,
// or len(s) when the quote is never closed.
func closing(s string, i int) int {
	if j := strings.IndexByte(s[i:], '"'); j >= 0 {
		return i + j
	}
	return len(s)
}

// fieldEnd returns the end of the whitespace- or quote-delimited field at i.
func fieldEnd(s string, i int) int {
	for j := i; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		if unicode.IsSpace(r) || r == '"' {
			return j
		}
		j += size
	}
	return len(s)
}

// tokenize splits s into lowercase words of letters and digits, the way the
// stores' full-text tokenizers do.
func tokenize(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}) {
		f = strings.ToLower(f)
		if utf8.RuneCountInString(f) > MaxWordRunes {
			f = string([]rune(f)[:MaxWordRunes])
		}
		out = append(out, f)
	}
	return out
}
