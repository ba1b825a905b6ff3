package bot

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want Query
	}{
		{"cambodia", Query{Terms: []string{"cambodia"}}},
		{"  Cambodia  SCAM ", Query{Terms: []string{"cambodia", "scam"}}},
		{`"forced labour" asia`, Query{Terms: []string{"asia"}, Phrases: [][]string{{"forced", "labour"}}}},
		{`scam -cambodia`, Query{Terms: []string{"scam"}, Excluded: [][]string{{"cambodia"}}}},
		{`scam -"forced labour"`, Query{Terms: []string{"scam"}, Excluded: [][]string{{"forced", "labour"}}}},
		{`“curly quotes”`, Query{Phrases: [][]string{{"curly", "quotes"}}}},
		{`"unbalanced quote`, Query{Phrases: [][]string{{"unbalanced", "quote"}}}},
		{`"one"`, Query{Terms: []string{"one"}}},
		{`covid-19`, Query{Terms: []string{"covid", "19"}}},
		{`NEAR(a b) AND OR NOT *`, Query{Terms: []string{"near", "a", "b", "and", "or", "not"}}},
		{`text:foo ^bar`, Query{Terms: []string{"text", "foo", "bar"}}},
		{`scam scam SCAM`, Query{Terms: []string{"scam"}}},
		{`-only`, Query{Excluded: [][]string{{"only"}}}},
		{`- -- " "" ***`, Query{}},
		{`Ångström café`, Query{Terms: []string{"ångström", "café"}}},
		{``, Query{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseQuery(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseQuery(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseQueryLimits(t *testing.T) {
	long := strings.Repeat("word ", 2000) // 10 KB
	q := ParseQuery(long)
	if len(q.Terms) != 1 {
		t.Errorf("repeated word: got %d terms, want 1", len(q.Terms))
	}
	var many []string
	for i := 0; i < 100; i++ {
		many = append(many, "w"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+itoaTest(i))
	}
	q = ParseQuery(strings.Join(many, " "))
	if n := len(q.Words()); n > MaxQueryWords {
		t.Errorf("got %d words, want at most %d", n, MaxQueryWords)
	}
	q = ParseQuery(strings.Repeat("a", 500))
	if len(q.Terms) != 1 || len([]rune(q.Terms[0])) != MaxWordRunes {
		t.Errorf("long word not cut to %d runes: %v", MaxWordRunes, q.Terms)
	}
	if !ParseQuery("-x -y").Empty() {
		t.Error("a query of only exclusions is not Empty")
	}
}

func itoaTest(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestQueryString(t *testing.T) {
	q := ParseQuery(`b "c d" -e -"f g" a`)
	if got, want := q.String(), `b a "c d" -e -"f g"`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := ParseQuery(q.String()); !reflect.DeepEqual(got, q) {
		t.Errorf("String does not round-trip: %#v vs %#v", got, q)
	}
}

// FuzzParseQuery checks that whatever users type, every word is made of
// letters, digits and marks only, lowercased, within the limits.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`cambodia`, `"a b" -c`, `-"x`, `NEAR(a,b)`, `***`, "\x00\xff", `"""`, `-`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParseQuery(s)
		if n := len(q.Words()); n > MaxQueryWords {
			t.Fatalf("%d words", n)
		}
		check := func(w string) {
			if w == "" {
				t.Fatalf("empty word in %#v", q)
			}
			for _, r := range w {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
					t.Fatalf("word %q has %q", w, r)
				}
			}
			if strings.ToLower(w) != w {
				t.Fatalf("word %q is not lowercase", w)
			}
		}
		for _, w := range q.Words() {
			check(w)
		}
		for _, e := range q.Excluded {
			for _, w := range e {
				check(w)
			}
		}
	})
}
