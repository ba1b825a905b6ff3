package sqlite

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/storetest"
)

// matchSyntax is everything buildQuery may produce: quoted strings of
// letters, digits and marks, in parentheses, then NOT clauses.
var matchSyntax = regexp.MustCompile(`^\("[\p{L}\p{N}\p{Mn}]+( [\p{L}\p{N}\p{Mn}]+)*"( "[\p{L}\p{N}\p{Mn}]+( [\p{L}\p{N}\p{Mn}]+)*")*\)( NOT "[\p{L}\p{N}\p{Mn}]+( [\p{L}\p{N}\p{Mn}]+)*")*$`)

func TestBuildQuery(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" when the query is empty
	}{
		{"cambodia", `("cambodia")`},
		{"Cambodia SCAM", `("cambodia" "scam")`},
		{`"scam compounds" police`, `("police" "scam compounds")`},
		{`labour -forced -"debt bondage"`, `("labour") NOT "forced" NOT "debt bondage"`},
		{`-forced`, ``},
		{`text:cambodia`, `("text" "cambodia")`},
		{`NEAR(a b) AND c*`, `("near" "a" "b" "and" "c")`},
		{`café`, `("café")`},
		{`"`, ``},
		{`-`, ``},
	} {
		fq, ok := buildQuery(bot.ParseQuery(c.in))
		if ok != (c.want != "") || fq.match != c.want {
			t.Errorf("buildQuery(ParseQuery(%q)) = %q, %v; want %q", c.in, fq.match, ok, c.want)
		}
	}
	// Hand-built queries: anything but letters, digits and marks goes.
	fq, _ := buildQuery(bot.Query{Terms: []string{`a"b`, "x\x00y", "*", `NEAR(`}, Excluded: [][]string{{`"`}, {"c:d"}}})
	if want := `("a b" "x y" "near") NOT "c d"`; fq.match != want {
		t.Errorf("buildQuery(hand-built) = %q, want %q", fq.match, want)
	}
}

func TestHostileQueries(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	is := storetest.Corpus(200, 3)
	for i := range is {
		if _, err := s.SaveIssue(bg, &is[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	queries := append(storetest.HostileQueries(),
		`trafficking"`, `"human trafficking`, `trafficking -`, `-"human trafficking" workers`,
		`trafficking NEAR(workers`, `trafficking* workers^`, `{trafficking}`, `trafficking:workers`)
	for _, q := range queries {
		t.Run(fmt.Sprintf("%.20q", q), func(t *testing.T) {
			pq := bot.ParseQuery(q)
			if fq, ok := buildQuery(pq); ok && !matchSyntax.MatchString(fq.match) {
				t.Errorf("MATCH expression %q has more than quoted words", fq.match)
			}
			hits, err := s.Search(bg, pq, 5)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			if pq.Empty() && len(hits) > 0 {
				t.Errorf("empty query %q returned %d hits", pq.String(), len(hits))
			}
		})
	}
}

// setWindow makes the recent index hold n stories; call it on a new store.
func setWindow(t *testing.T, s *Store, n int) {
	t.Helper()
	if _, err := s.w.Exec(`UPDATE search_meta SET recent_size = ?`, n); err != nil {
		t.Fatal(err)
	}
}

func storyText(text string) bot.Story {
	return bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: text}}}}}
}

// archive saves n one-story issues, a day apart, with the given texts
// (cycled), and returns them oldest first.
func archive(t *testing.T, s *Store, texts func(i int) string, n int) []*bot.Issue {
	t.Helper()
	start := time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC)
	var out []*bot.Issue
	for i := range n {
		is := &bot.Issue{Feed: "https://f.example/", GUID: fmt.Sprint("g", i), Title: fmt.Sprint("Issue ", i),
			Link: fmt.Sprintf("https://f.example/%d/", i), Published: start.AddDate(0, 0, i), Lead: storyText(texts(i))}
		if _, err := s.SaveIssue(bg, is, nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, is)
	}
	return out
}

func TestSearchTiers(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	setWindow(t, s, 10)
	// 40 stories: all about trafficking; "ferry" only in stories 2 and 5
	// (old), "harbour" in 3 and 35, "dock" in 36 and 1.
	extra := map[int]string{2: "ferry", 5: "ferry ferry", 3: "harbour", 35: "harbour", 36: "dock", 1: "dock dock dock"}
	issues := archive(t, s, func(i int) string {
		return fmt.Sprintf("Story %d on trafficking and recruitment fees. %s", i, extra[i])
	}, 40)

	var floor, inRecent, max int64
	s.r.QueryRow(`SELECT recent_floor FROM search_meta`).Scan(&floor)
	s.r.QueryRow(`SELECT COUNT(*) FROM stories_recent_docsize`).Scan(&inRecent)
	s.r.QueryRow(`SELECT MAX(id) FROM stories`).Scan(&max)
	if floor != max-10 || inRecent != 10 {
		t.Errorf("recent index: floor %d (max id %d), %d stories; want floor %d and 10 stories", floor, max, inRecent, max-10)
	}

	guids := func(hs []bot.Hit) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.IssueGUID)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		// Enough recent matches: only the window, best (shortest) first,
		// ties broken by recency.
		{"trafficking", []string{"g39", "g38", "g37", "g34", "g33"}},
		// Rare words only in old stories: found, more mentions first.
		{"ferry", []string{"g5", "g2"}},
		// One recent hit comes first, then the older one.
		{"harbour", []string{"g35", "g3"}},
		// The recent hit comes first even though the old one matches better.
		{"dock", []string{"g36", "g1"}},
		{"dock -recruitment", nil},
		{`"recruitment fees" ferry`, []string{"g5", "g2"}},
	} {
		hits, err := s.Search(bg, bot.ParseQuery(c.query), 5)
		if err != nil {
			t.Fatalf("Search(%q): %v", c.query, err)
		}
		if got := guids(hits); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Search(%q) = %v, want %v", c.query, got, c.want)
		}
	}

	// Updating an old story keeps it out of the recent index; updating a
	// recent one keeps it in; the full index follows both.
	old, recent := issues[2], issues[38]
	old.Lead = storyText("Story 2 now about a canal.")
	recent.Lead = storyText("Story 38 now about a canal too, and trafficking.")
	for _, is := range []*bot.Issue{old, recent} {
		if res, err := s.SaveIssue(bg, is, nil); err != nil || res.Status != bot.SaveUpdated {
			t.Fatalf("SaveIssue = %+v, %v", res, err)
		}
	}
	hits, _ := s.Search(bg, bot.ParseQuery("canal"), 5)
	if got := guids(hits); fmt.Sprint(got) != "[g38 g2]" {
		t.Errorf("Search(canal) after updates = %v, want [g38 g2]", got)
	}
	hits, _ = s.Search(bg, bot.ParseQuery("ferry"), 5)
	if got := guids(hits); fmt.Sprint(got) != "[g5]" {
		t.Errorf("Search(ferry) after the update = %v, want [g5]", got)
	}
	s.r.QueryRow(`SELECT COUNT(*) FROM stories_recent_docsize`).Scan(&inRecent)
	if inRecent != 10 {
		t.Errorf("recent index holds %d stories after updates, want 10", inRecent)
	}
	for _, tbl := range []string{"stories_fts"} {
		if _, err := s.w.Exec(`INSERT INTO ` + tbl + `(` + tbl + `) VALUES ('integrity-check')`); err != nil {
			t.Errorf("%s integrity-check: %v", tbl, err)
		}
	}
}

func TestSearchTier2Bounded(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	setWindow(t, s, 5)
	// "common" is in every story, "rare" in three old ones: tier 2 ranks
	// by the selective word alone and still finds them; "common" alone has
	// enough recent hits.
	archive(t, s, func(i int) string {
		if i == 3 || i == 4 || i == 7 {
			return fmt.Sprintf("Story %d: common words and one rare one.", i)
		}
		return fmt.Sprintf("Story %d: common words only.", i)
	}, 700)
	hits, err := s.Search(bg, bot.ParseQuery("common rare"), 5)
	if err != nil || len(hits) != 3 {
		t.Fatalf("Search(common rare) = %d hits, %v; want 3", len(hits), err)
	}
	for _, h := range hits {
		if !strings.Contains(h.Text, "rare") || h.Snippet == "" {
			t.Errorf("hit %+v: want the rare word and a snippet", h)
		}
	}
	hits, _ = s.Search(bg, bot.ParseQuery("common -rare"), 5)
	if len(hits) != 5 {
		t.Errorf("Search(common -rare) = %d hits, want 5", len(hits))
	}
}

// FuzzSearch checks that no input makes Search fail, through ParseQuery
// and through a Query built by hand from the raw words.
func FuzzSearch(f *testing.F) {
	for _, q := range storetest.HostileQueries() {
		f.Add(q)
	}
	s := openTest(f)
	f.Cleanup(func() { s.Close() })
	is := storetest.Corpus(100, 5)
	for i := range is {
		if _, err := s.SaveIssue(bg, &is[i], nil); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := s.Search(bg, bot.ParseQuery(q), 5); err != nil {
			t.Fatalf("Search(ParseQuery(%q)): %v", q, err)
		}
		raw := strings.Fields(q)
		hand := bot.Query{Terms: raw, Phrases: [][]string{raw}, Excluded: [][]string{raw}}
		if _, err := s.Search(bg, hand, 5); err != nil {
			t.Fatalf("Search(%#v): %v", hand, err)
		}
	})
}
