package postgres

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"digestbot/bot"
	"digestbot/bot/storetest"
)

func TestSearchText(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"cambodia"}, "cambodia"},
		{[]string{"Human", "Trafficking"}, "human trafficking"},
		{[]string{`a"b`}, "a b"},
		{[]string{"&|!<->", ":*", "NEAR("}, "near"},
		{[]string{"\x00", "'", `\`}, ""},
		{[]string{"\xff\xfeok"}, "ok"},
		{[]string{"Café", "e\u0301"}, "café e\u0301"},
		{[]string{strings.Repeat("x", 5000)}, strings.Repeat("x", maxSearchRunes)},
	} {
		if got := searchText(c.in); got != c.want {
			t.Errorf("searchText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBuildQueryHoldsNoUserText(t *testing.T) {
	q := bot.Query{
		Terms:    []string{"it's", "'); DROP TABLE stories; --"},
		Phrases:  [][]string{{"a", "$1"}},
		Excluded: [][]string{{"x'y"}},
	}
	tq, ok := buildQuery(q, 3)
	if !ok {
		t.Fatal("buildQuery: nothing positive")
	}
	for _, sql := range []string{tq.positive, tq.full} {
		if strings.ContainsAny(strings.ReplaceAll(sql, "'digestbot_english'", ""), `'";`) {
			t.Errorf("query SQL holds user text: %s", sql)
		}
	}
	if len(tq.args) != 4 || tq.npos != 3 {
		t.Errorf("args %q (%d positive), want 4 with 3 positive", tq.args, tq.npos)
	}
	if _, ok := buildQuery(bot.Query{Terms: []string{"!!", "\x00"}}, 1); ok {
		t.Error("buildQuery of punctuation only: ok, want nothing positive")
	}
}

func TestSnippet(t *testing.T) {
	text := "First words here.\n\nThe  middle part says trafficking is common; more words follow after it."
	for _, c := range []struct{ headline, want string }{
		{"middle part says trafficking is common", "…middle part says trafficking is common…"},
		{"First words here.\n\nThe middle", "First words here. The middle…"},
		{"more words follow after it", "…more words follow after it"}, // the final "." is not a word
		{text, strings.Join(strings.Fields(text), " ")},
		{"", "First words here. The middle part says trafficking is common; more words follow after it."},
		{"not from the text", "not from the text"},
	} {
		if got := snippet(text, c.headline); got != c.want {
			t.Errorf("snippet(%q) = %q, want %q", c.headline, got, c.want)
		}
	}
	long := strings.Repeat("word ", 40)
	if got := snippet(long, ""); !strings.HasSuffix(got, "…") || len(strings.Fields(got)) != snippetWords {
		t.Errorf("snippet of a long text without headline = %q, want %d words and …", got, snippetWords)
	}
}

// searchStore archives a few invented issues for the search tests.
func searchStore(t testing.TB) *Store {
	t.Helper()
	s, _ := openTest(t)
	base := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
	texts := []string{
		"Inspectors in Cambodia found scam compounds holding recruited workers.",
		"A court in Lisbon heard how brokers charged fees; the café owner testified.",
		"Fishing crews were trafficked across borders, a report on forced labour says.",
	}
	for i, tx := range texts {
		is := replicaIssue(i, base.Add(time.Duration(i)*24*time.Hour), 1)
		is.Lead = bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: tx}}}}}
		if _, err := s.SaveIssue(context.Background(), is, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestSearchHostileQueries(t *testing.T) {
	s := searchStore(t)
	ctx := context.Background()
	queries := append(storetest.HostileQueries(),
		`"unbalanced quote`, `*`, `:*`, `cambodia:*`, `&|!<->`, `a & b | !c <-> d`, `NEAR(`,
		`!cambodia`, `(cambodia`, `cambodia <2> workers`, `'cambodia'`, `$1`, `\x27`,
		strings.Repeat("cambodia ", 1200), // about 10 KB
		"!@#$%^&*()_+={}[]|\\:;\"'<>,.?/~`", "the and of", `"the of"`, "the -cambodia",
	)
	for _, q := range queries {
		hits, err := s.Search(ctx, bot.ParseQuery(q), 5)
		if err != nil {
			t.Errorf("Search(%.40q): %v", q, err)
		}
		if len(hits) > 5 {
			t.Errorf("Search(%.40q) = %d hits, limit 5", q, len(hits))
		}
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{"the and of", 0},           // stop words only
		{`"the of"`, 0},             // a phrase of stop words
		{"the -cambodia", 0},        // stop words and an exclusion: not "everything but"
		{"the cambodia", 1},         // stop words drop out
		{`"the of" cambodia`, 1},    // so does a stop-word phrase
		{"cambodia:*", 1},           // no prefix search: the word itself
		{`cambodia" & !workers`, 1}, // operators are separators; "!" is no exclusion
		{"cambodia -workers", 0},
		{"trafficking", 1}, // stemmed
		{"cafe", 1},        // accents folded
		{strings.Repeat("cambodia ", 1200), 1},
	} {
		hits, err := s.Search(ctx, bot.ParseQuery(c.query), 5)
		if err != nil || len(hits) != c.want {
			t.Errorf("Search(%.40q) = %d hits, %v; want %d", c.query, len(hits), err, c.want)
		}
	}
}

// FuzzSearch: whatever a user types, Search does not fail, keeps to the
// limit and returns plain-text snippets.
func FuzzSearch(f *testing.F) {
	for _, q := range storetest.HostileQueries() {
		f.Add(q)
	}
	f.Add(`"forced labour" -cambodia workers`)
	f.Add(`cambodia:* & !x <-> y`)
	s := searchStore(f)
	f.Fuzz(func(t *testing.T, q string) {
		hits, err := s.Search(context.Background(), bot.ParseQuery(q), 3)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		if len(hits) > 3 {
			t.Fatalf("Search(%q) = %d hits, limit 3", q, len(hits))
		}
		for _, h := range hits {
			if !utf8.ValidString(h.Snippet) || strings.ContainsFunc(h.Snippet, unicode.IsControl) {
				t.Fatalf("Search(%q): snippet %q is not plain text", q, h.Snippet)
			}
		}
		// The words alone, built by code: no error either.
		if _, err := s.Search(context.Background(), bot.Query{Terms: strings.Fields(q), Excluded: [][]string{{q}}}, 3); err != nil {
			t.Fatalf("Search(Terms %q): %v", q, err)
		}
	})
}
