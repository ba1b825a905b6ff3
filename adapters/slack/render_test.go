package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"digestbot/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// renderJSON renders a message as the JSON the golden files hold.
func renderJSON(t testing.TB, m bot.Message) []byte {
	t.Helper()
	r, err := renderMessage(m)
	if err != nil {
		t.Fatalf("renderMessage: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // readable golden files; Slack decodes both forms
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"text": r.Text, "blocks": r.Blocks, "metadata": r.Metadata}); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return buf.Bytes()
}

func TestRenderGolden(t *testing.T) {
	is := testIssue()
	tests := []struct {
		name string
		m    bot.Message
	}{
		{"lead", testMessage(is, bot.LayoutThread, bot.PartLead, 0)},
		{"roundup_item", testMessage(is, bot.LayoutThread, bot.PartRoundup, 0)},
		{"combined", testMessage(is, bot.LayoutCombined, bot.PartCombined, 0)},
		{"lead_named_channel", func() bot.Message { // feeds[].name
			named := *is
			named.Newsletter = "Team digest"
			return testMessage(&named, bot.LayoutSeparate, bot.PartLead, 0)
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderJSON(t, tt.m)
			path := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; got:\n%s", tt.name, path, got)
			}
		})
	}
}

// blockTexts walks rendered blocks (as JSON) and checks Slack's limits; it
// returns every mrkdwn text for further checks.
func checkLimits(t *testing.T, blocks any) []string {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var bs []map[string]any
	if err := json.Unmarshal(b, &bs); err != nil {
		t.Fatal(err)
	}
	if len(bs) > maxBlocks {
		t.Errorf("%d blocks, limit %d", len(bs), maxBlocks)
	}
	var texts []string
	textOf := func(v any) (string, string) {
		m, _ := v.(map[string]any)
		s, _ := m["text"].(string)
		typ, _ := m["type"].(string)
		return s, typ
	}
	for i, blk := range bs {
		switch blk["type"] {
		case "header":
			s, typ := textOf(blk["text"])
			if typ != "plain_text" || slackLen(s) > maxHeaderText || s == "" {
				t.Errorf("block %d: header %s of %d chars", i, typ, slackLen(s))
			}
		case "section":
			s, typ := textOf(blk["text"])
			if typ != "mrkdwn" || slackLen(s) > maxSectionText || s == "" {
				t.Errorf("block %d: section %s of %d chars", i, typ, slackLen(s))
			}
			if v, _ := blk["text"].(map[string]any)["verbatim"].(bool); !v {
				t.Errorf("block %d: section text not verbatim", i)
			}
			if acc, ok := blk["accessory"].(map[string]any); ok {
				label, _ := textOf(acc["text"])
				value, _ := acc["value"].(string)
				if acc["type"] != "button" || slackLen(label) > maxButtonText || label == "" || len(value) > 2000 || acc["action_id"] == "" {
					t.Errorf("block %d: accessory %v", i, acc)
				}
			}
			texts = append(texts, s)
		case "context":
			els, _ := blk["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("block %d: context with %d elements", i, len(els))
			}
			for _, el := range els {
				s, _ := textOf(el)
				if slackLen(s) > maxContextText {
					t.Errorf("block %d: context text of %d chars", i, slackLen(s))
				}
				texts = append(texts, s)
			}
		case "actions":
			els, _ := blk["elements"].([]any)
			for _, el := range els {
				s, _ := textOf(el.(map[string]any)["text"])
				if slackLen(s) > maxButtonText {
					t.Errorf("block %d: button text of %d chars", i, slackLen(s))
				}
				u, _ := el.(map[string]any)["url"].(string)
				if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
					t.Errorf("block %d: button url %q", i, u)
				}
			}
		case "image":
			if alt, _ := blk["alt_text"].(string); slackLen(alt) > maxAltText || alt == "" {
				t.Errorf("block %d: alt text of %d chars", i, slackLen(alt))
			}
		default:
			t.Errorf("block %d: unexpected type %v", i, blk["type"])
		}
	}
	return texts
}

func longText(n int) string {
	words := []string{"harbour", "tide", "ferry", "gull", "rope", "lantern", "quay", "net"}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[i%len(words)])
		if i%11 == 10 {
			b.WriteString(". ")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()[:n]
}

func TestRenderLimits(t *testing.T) {
	is := testIssue()
	is.Title = strings.Repeat("Very long headline ", 20)
	is.Standfirst = longText(5000)
	long := bot.Paragraph{Spans: []bot.Span{{Text: longText(10000)}}}
	is.Lead.Paragraphs = append([]bot.Paragraph{long}, is.Lead.Paragraphs...)
	is.Roundup = nil
	for i := range 80 {
		st := bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
			{Text: fmt.Sprintf("Item %d: ", i)},
			{Text: "a source", URL: fmt.Sprintf("https://example.com/%d", i)},
			{Text: " " + longText(200+i*20)},
		}}}}
		if i == 3 {
			st.Paragraphs = append(st.Paragraphs, long) // one giant item
		}
		is.Roundup = append(is.Roundup, st)
	}
	bigWord := bot.Paragraph{Spans: []bot.Span{{Text: strings.Repeat("&", 7000)}}}
	is.Roundup[5].Paragraphs = append(is.Roundup[5].Paragraphs, bigWord)

	cases := []bot.Message{
		testMessage(is, bot.LayoutThread, bot.PartLead, 0),
		testMessage(is, bot.LayoutThread, bot.PartRoundup, 3),
		testMessage(is, bot.LayoutThread, bot.PartRoundup, 5),
		testMessage(is, bot.LayoutCombined, bot.PartCombined, 0),
	}
	for _, m := range cases {
		t.Run(fmt.Sprintf("%s_%d", m.Post.Part, m.Post.Item), func(t *testing.T) {
			r, err := renderMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			texts := checkLimits(t, r.Blocks)
			if slackLen(r.Text) > maxFallbackText+10 {
				t.Errorf("fallback text of %d chars", slackLen(r.Text))
			}
			for _, s := range texts {
				checkMrkdwn(t, s)
			}
			total := 0
			for _, s := range texts {
				total += slackLen(s)
			}
			if m.Post.Part == bot.PartCombined {
				joined := strings.Join(texts, "\n")
				// every item is shown or counted in "…and N more"
				shown := strings.Count(joined, "Item ")
				more := 0
				if i := strings.Index(joined, "…and "); i >= 0 {
					fmt.Sscanf(joined[i+len("…and "):], "%d", &more)
				}
				if shown+more != 80 {
					t.Errorf("combined shows %d items and says %d more; want 80 in all", shown, more)
				}
				if total > maxCombinedText+maxSectionText {
					t.Errorf("combined text totals %d chars", total)
				}
			}
			if m.Post.Part == bot.PartLead && total > maxLeadExcerpt+maxStandfirst+200 {
				t.Errorf("lead text totals %d chars", total)
			}
		})
	}
}

var linkRE = regexp.MustCompile(`^<(https?://[^|<>\s]+)\|([^<>|]+)>`)

// checkMrkdwn fails if s could do anything but show text and the links we
// made: every < opens a well-formed http(s) link, every & starts one of the
// three entities.
func checkMrkdwn(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			m := linkRE.FindStringSubmatch(s[i:])
			if m == nil {
				t.Errorf("stray or malformed < at %d in %q", i, clip(s, i))
				return
			}
			i += len(m[0]) - 1
		case '>':
			t.Errorf("stray > at %d in %q", i, clip(s, i))
			return
		case '&':
			rest := s[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Errorf("bare & at %d in %q", i, clip(s, i))
				return
			}
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "&gt;") || strings.HasPrefix(line, "＞") {
			t.Errorf("line starts a block quote: %q", clip(line, 0))
		}
	}
}

func clip(s string, i int) string {
	lo, hi := max(0, i-40), min(len(s), i+40)
	return s[lo:hi]
}

func TestHostileText(t *testing.T) {
	hostile := []bot.Span{
		{Text: "Ping <!channel> and <!here|here> and <@U123> and <#C999> "},
		{Text: "@everyone @here @channel "},
		{Text: "*bold* _it_ ~strike~ `code` ```block``` "},
		{Text: "see <https://evil.example|x> and &amp; and AT&T "},
		{Text: "> not a quote "},
		{Text: "click", URL: "javascript:alert(1)"},
		{Text: " "},
		{Text: "a|b>c", URL: "https://ok.example/p?q=a|b&r=<x>"},
		{Text: " "},
		{Text: "userinfo", URL: "https://good.example@evil.example/"},
		{Text: " "},
		{Text: "data", URL: "data:text/html,<script>"},
		{Text: " end"},
	}
	p := bot.Paragraph{Spans: hostile}
	got := render(paragraphPieces(p))
	checkMrkdwn(t, got)
	for _, bad := range []string{"<!", "<@", "<#", "javascript", "<https://evil", "data:text", "@evil", "*bold*", "_it_", "~strike~", "`"} {
		if strings.Contains(got, bad) {
			t.Errorf("rendered text contains %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{
		"&lt;!channel&gt;", "&lt;@U123&gt;", "&amp;amp;", "AT&amp;T",
		"<https://ok.example/p?q=a%7Cb&amp;r=%3Cx%3E|a∣b&gt;c>",
		"@\u2060everyone", "@\u2060here", "@\u2060channel",
		"∗bold∗", "ˍitˍ", "∼strike∼", "ˋcodeˋ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered text lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "<http"); n != 1 {
		t.Errorf("%d links, want only the one safe link:\n%s", n, got)
	}
	// A paragraph starting with ">" must not become a quote.
	q := render(paragraphPieces(bot.Paragraph{Spans: []bot.Span{{Text: "> quoted?"}}}))
	if !strings.HasPrefix(q, softHyphen+"&gt;") {
		t.Errorf("leading > rendered %q, want a soft hyphen guard", q)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name  string
		spans []bot.Span
		want  string
	}{
		{"bold word", []bot.Span{{Text: "a "}, {Text: "big", Bold: true}, {Text: " deal"}}, "a *big* deal"},
		{"italic", []bot.Span{{Text: "so "}, {Text: "very", Italic: true}, {Text: "."}}, "so _very_."},
		{"bold italic", []bot.Span{{Text: "both", Bold: true, Italic: true}}, "*_both_*"},
		{"punctuation moved out", []bot.Span{{Text: "Note: ", Bold: true}, {Text: "x"}}, "*Note*: x"},
		{"intraword dropped", []bot.Span{{Text: "Super"}, {Text: "cali", Bold: true}, {Text: "fragilistic"}}, "Supercalifragilistic"},
		{"bold link", []bot.Span{{Text: "read "}, {Text: "this", URL: "https://a.example/", Bold: true}}, "read *<https://a.example/|this>*"},
		{"link glued to word", []bot.Span{{Text: "x"}, {Text: "y", URL: "https://a.example/", Bold: true}}, "x<https://a.example/|y>"},
		{"empty label uses host", []bot.Span{{Text: " ", URL: "https://www.a.example/x"}}, "<https://www.a.example/x|a.example>"},
		{"spaces kept between spans", []bot.Span{{Text: "one "}, {Text: "two", URL: "https://a.example/"}, {Text: " three"}}, "one <https://a.example/|two> three"},
		{"newlines become spaces", []bot.Span{{Text: "one\ntwo"}}, "one two"},
		{"formatting chars inside bold", []bot.Span{{Text: "a*b_c", Bold: true}}, "*a∗bˍc*"},
		{"ampersand", []bot.Span{{Text: "Q&A", Italic: true}}, "_Q&amp;A_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(paragraphPieces(bot.Paragraph{Spans: tt.spans}))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2", true},
		{"HTTP://Example.com/", "http://Example.com/", true},
		{"https://example.com/a|b", "https://example.com/a%7Cb", true},
		{"https://example.com/?q=<x>", "https://example.com/?q=%3Cx%3E", true},
		{"javascript:alert(1)", "", false},
		{"//example.com/", "", false},
		{"/relative", "", false},
		{"https://user:pw@example.com/", "", false},
		{"mailto:a@b.c", "", false},
		{"https://exa mple.com/", "", false},
		{"https://example.com/" + strings.Repeat("a", 2100), "", false},
	}
	for _, tt := range tests {
		got, ok := safeURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("safeURL(%q) = %q, %v; want %q, %v", clip(tt.in, 0), got, ok, tt.want, tt.ok)
		}
	}
}

func TestPackSectionsSplitsLongText(t *testing.T) {
	p := bot.Paragraph{Spans: []bot.Span{{Text: longText(10000)}}}
	secs := packSections([][]piece{paragraphPieces(p)}, maxSectionText)
	if len(secs) < 4 {
		t.Fatalf("%d sections for 10,000 chars, want at least 4", len(secs))
	}
	joined := strings.Join(secs, " ")
	if joined != render(paragraphPieces(p)) {
		t.Errorf("splitting lost or changed text")
	}
	for i, s := range secs {
		if slackLen(s) > maxSectionText {
			t.Errorf("section %d has %d chars", i, slackLen(s))
		}
	}
	// One 7,000-character word of ampersands: cut between entities.
	w := bot.Paragraph{Spans: []bot.Span{{Text: strings.Repeat("&", 7000)}}}
	for i, s := range packSections([][]piece{paragraphPieces(w)}, maxSectionText) {
		if slackLen(s) > maxSectionText {
			t.Errorf("word section %d has %d chars", i, slackLen(s))
		}
		checkMrkdwn(t, s)
	}
}

func TestExcerptCutsAtSentence(t *testing.T) {
	text := "First sentence here. Second sentence is longer than the first one. Third sentence ends it."
	paras := [][]piece{paragraphPieces(bot.Paragraph{Spans: []bot.Span{{Text: text}}})}
	ex, cut := excerpt(paras, 70)
	got := render(ex[0])
	if !cut || got != "First sentence here. Second sentence is longer than the first one. …" {
		t.Errorf("excerpt = %q (cut %v)", got, cut)
	}
	ex, cut = excerpt(paras, 1000)
	if cut || render(ex[0]) != text {
		t.Errorf("short text was cut: %q", render(ex[0]))
	}
}

func FuzzParagraph(f *testing.F) {
	f.Add("Ping <!here> *x*", "https://a.example/?q=1&r=|", "link text|>", true, false)
	f.Add("&amp; > quote", "javascript:x", "", false, true)
	f.Add("", "https://a.example", "@everyone", true, true)
	f.Fuzz(func(t *testing.T, before, u, label string, bold, italic bool) {
		p := bot.Paragraph{Spans: []bot.Span{
			{Text: before, Bold: bold},
			{Text: label, URL: u, Italic: italic},
			{Text: before, Italic: bold},
		}}
		ps := paragraphPieces(p)
		s := render(ps)
		checkMrkdwn(t, s)
		if strings.Contains(s, "<!") || strings.Contains(s, "<@") || strings.Contains(s, "<#") {
			t.Errorf("mention or broadcast in %q", s)
		}
		if strings.Count(s, "<") > 1 {
			t.Errorf("more links than the one span with a URL: %q", s)
		}
		for _, sec := range packSections([][]piece{ps}, 100) {
			if slackLen(sec) > 100 && len(ps) > 0 {
				// only an atom (a link) may exceed a tiny limit
				if !strings.Contains(sec, "<") {
					t.Errorf("section of %d units over 100: %q", slackLen(sec), sec)
				}
			}
		}
	})
}

func BenchmarkRenderLead(b *testing.B) {
	is := testIssue()
	m := testMessage(is, bot.LayoutThread, bot.PartLead, 0)
	for b.Loop() {
		if _, err := renderMessage(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderCombined80(b *testing.B) {
	is := testIssue()
	is.Roundup = nil
	for i := range 80 {
		is.Roundup = append(is.Roundup, bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
			{Text: fmt.Sprintf("Item %d about the harbour: ", i)},
			{Text: "source", URL: fmt.Sprintf("https://example.com/%d", i)},
			{Text: " " + longText(300)},
		}}}})
	}
	m := testMessage(is, bot.LayoutCombined, bot.PartCombined, 0)
	for b.Loop() {
		if _, err := renderMessage(m); err != nil {
			b.Fatal(err)
		}
	}
}

// The fast path of escapeText must agree with the full one on every ASCII
// character: a marker missed by plainASCII would reach Slack unescaped.
func TestEscapeTextFastPathAgrees(t *testing.T) {
	for c := 0; c < 0x80; c++ {
		s := "a" + string(rune(c)) + "b"
		if plainASCII(s) && escapeText(s) != slowEscape(s) {
			t.Errorf("escapeText(%q) = %q on the fast path, want %q", s, escapeText(s), slowEscape(s))
		}
	}
}

// slowEscape is escapeText made to take its full path: a NUL is not plain
// and is dropped.
func slowEscape(s string) string { return escapeText(s + "\x00") }
