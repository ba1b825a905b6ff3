package discord

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, 100% fine.", "plain text, 100% fine."},
		{"@everyone and @here", "@\u200beveryone and @\u200bhere"},
		{"<@123> <@&456> <#789>", `\<@` + "\u200b" + `123\> \<@` + "\u200b" + `&456\> \<\#789\>`},
		{"[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"*bold* _it_ ~~s~~ `c` ||sp||", `\*bold\* \_it\_ \~\~s\~\~ \` + "`" + `c\` + "`" + ` \|\|sp\|\|`},
		{"> quote\n# head\n- item\n+ item\n  12. item\n-# small", `\> quote` + "\n" + `\# head` + "\n" + `\- item` + "\n" + `\+ item` + "\n" + `  12\. item` + "\n" + `\-\# small`},
		{"a - b 3. c", "a - b 3. c"},
		{`back\slash`, `back\\slash`},
		{"ctrl\x00char\r\n", "ctrl char\n"},
		{"bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := escapeMarkdown(tt.in); got != tt.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://example.com/a", "https://example.com/a", true},
		{"HTTP://example.com/a_(b)", "http://example.com/a_%28b%29", true},
		{"https://example.com/a?q=1|2", "https://example.com/a?q=1%7C2", true},
		{"javascript:alert(1)", "", false},
		{"JavaScript://example.com/%0Aalert(1)", "", false},
		{"data:text/html,x", "", false},
		{"/relative", "", false},
		{"https://good.example@evil.example/", "", false},
		{"https://exa mple.com", "", false},
		{"https://example.com/\nx", "", false},
		{"https://" + strings.Repeat("a", 3000) + ".com", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := safeURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("safeURL(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"one two three four", 10, "one two…"},
		{"abcdefghijklmnop", 5, "abcd…"},
		{`abc\*def`, 5, "abc…"},
		{"😀😀😀😀", 5, "😀😀…"}, // each emoji counts 2
		{"anything", 0, ""},
	}
	for _, tt := range tests {
		got := cut(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if textLen(got) > tt.max {
			t.Errorf("cut(%q, %d) is %d long", tt.in, tt.max, textLen(got))
		}
	}
}

func TestRefs(t *testing.T) {
	tests := []struct {
		in     string
		ok     bool
		thread string
	}{
		{"100/200", true, "200"},
		{"300/300/t", true, "300"},
		{"1/2/x", false, ""},
		{"a/2", false, ""},
		{"100", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		r, err := parseRef(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("parseRef(%q): %v", tt.in, err)
			continue
		}
		if tt.ok && (r.String() != tt.in || r.thread() != tt.thread) {
			t.Errorf("parseRef(%q) = %+v (%s), thread %s; want thread %s", tt.in, r, r, r.thread(), tt.thread)
		}
	}
}

// FuzzEscapeMarkdown: whatever the input, the output forms no mention, no
// masked link and no unescaped formatting character, and stays valid UTF-8.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"@everyone", "[a](https://b)", "> q\n# h", "*_~`|", "\xff", "<@1>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := escapeMarkdown(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if strings.Count(out, "@") != strings.Count(out, "@"+zwsp) {
			t.Fatalf("an @ without a zero-width space after it: %q -> %q", s, out)
		}
		// Every special character is preceded by an odd number of backslashes.
		for i := 0; i < len(out); i++ {
			if !strings.ContainsRune("*_~`|[]<>#", rune(out[i])) {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && out[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("unescaped %q at %d: %q -> %q", out[i], i, s, out)
			}
		}
	})
}

// FuzzCut: the result fits, is valid UTF-8 when the input is, and is a
// prefix of the input plus "…".
func FuzzCut(f *testing.F) {
	f.Add("one two three", 5)
	f.Add(`a\\\*b`, 4)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 10000 || !utf8.ValidString(s) {
			return
		}
		out := cut(s, max)
		if textLen(out) > max {
			t.Fatalf("cut(%q, %d) = %q, %d long", s, max, out, textLen(out))
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8")
		}
		if !strings.HasPrefix(s, strings.TrimSuffix(out, "…")) {
			t.Fatalf("cut(%q, %d) = %q is not a prefix", s, max, out)
		}
	})
}

func FuzzParseRef(f *testing.F) {
	f.Add("100/200")
	f.Add("1/2/t")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRef(s)
		if err == nil && r.String() != s {
			t.Fatalf("parseRef(%q) round-trips to %q", s, r)
		}
	})
}

func FuzzSafeURL(f *testing.F) {
	f.Add("https://example.com/a_(b)")
	f.Add("javascript:alert(1)")
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := safeURL(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			t.Fatalf("safeURL(%q) = %q", s, u)
		}
		if strings.ContainsAny(u, "() <>\n") {
			t.Fatalf("safeURL(%q) = %q would break a Markdown link", s, u)
		}
	})
}

func TestMDWriterCutsBetweenWords(t *testing.T) {
	tests := []struct {
		max   int
		units []unit
		want  string
	}{
		{20, []unit{{"one ", "one "}, {"two ", "two "}, {"three ", "three "}, {"fourteen ", "fourteen "}, {"x", "x"}}, "one two three…"},
		{12, []unit{{"A ", "A "}, {"[regional report](https://x)", "regional report"}}, "A regional…"},
		{4, []unit{{"abcdefgh", "abcdefgh"}}, "abc…"},
		{30, []unit{{"fits", "fits"}}, "fits"},
	}
	for _, tt := range tests {
		w := mdWriter{max: tt.max}
		w.writeUnits(tt.units)
		if got := w.String(); got != tt.want || textLen(got) > tt.max {
			t.Errorf("max %d: got %q, want %q", tt.max, got, tt.want)
		}
	}
}
