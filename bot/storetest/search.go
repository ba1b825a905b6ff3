package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

func storyOf(text, url string) bot.Story {
	var st bot.Story
	for _, p := range strings.Split(text, "\n\n") {
		st.Paragraphs = append(st.Paragraphs, bot.Paragraph{Spans: []bot.Span{{Text: p}}})
	}
	if url != "" {
		st.URL, st.Links = url, []string{url}
	}
	return st
}

// searchFixture archives two issues of invented stories.
func searchFixture(t *testing.T, s bot.Store) (older, newer *bot.Issue) {
	t.Helper()
	older = newIssue("s1", time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), 0)
	older.Title = "Raids free workers held in scam compounds"
	older.Lead = storyOf("Investigators freed 200 workers from scam compounds near the northern border. "+
		"The compounds held people recruited with fake job adverts.\n\n"+
		"Survivors described debts imposed by brokers.", "https://news.example.com/raid")
	older.Roundup = []bot.Story{
		storyOf("Fishing crews off the coast reported unpaid wages and confiscated passports.", "https://audit.example.com/fishing"),
		storyOf("A café in Lisbon trained survivors as baristas.", ""),
		storyOf("Cambodia: Cambodia's courts, Cambodia's police and Cambodia's ministries pledged reform.", "https://news.example.com/pledge"),
	}
	older.Split = true
	newer = newIssue("s2", time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC), 0)
	newer.Title = "Garment factories face new audits"
	newer.Lead = storyOf("Auditors visited forty garment factories this spring and found that many of the "+
		"employees had been trafficked across two borders before they were hired. Managers kept identity "+
		"papers in locked drawers, paid wages months late, and charged fees for dormitory beds that "+
		"were shared in shifts. Buyers said they would review their suppliers.\n\n"+
		"One supplier had moved part of its production to Cambodia last year, according to shipping "+
		"records, and the brands that buy from it said they had not been told. Unions asked for the "+
		"audits to be published in full, with the names of the factories and of the recruitment "+
		"agencies that placed the employees.", "https://news.example.com/garment")
	newer.Roundup = []bot.Story{
		storyOf("Police raided compounds where scam operators worked.", "https://news.example.com/police"),
	}
	newer.Split = true
	save(t, s, older)
	save(t, s, newer)
	return older, newer
}

func search(t *testing.T, s bot.Store, query string, limit int) []bot.Hit {
	t.Helper()
	hits, err := s.Search(ctx, bot.ParseQuery(query), limit)
	if err != nil {
		t.Fatalf("Search(%q): %v", query, err)
	}
	if len(hits) > limit && limit >= 0 {
		t.Errorf("Search(%q, %d) returned %d hits", query, limit, len(hits))
	}
	return hits
}

// hitKeys names hits "guid/part/item".
func hitKeys(hs []bot.Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.IssueGUID+"/"+string(h.Part)+"/"+string(rune('0'+h.Item)))
	}
	return out
}

func wantHits(t *testing.T, s bot.Store, query string, want ...string) []bot.Hit {
	t.Helper()
	hits := search(t, s, query, 10)
	got := hitKeys(hits)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Search(%q) = %v, want %v", query, got, want)
	}
	return hits
}

// wantSet checks the hits regardless of their order.
func wantSet(t *testing.T, s bot.Store, query string, want ...string) {
	t.Helper()
	got := hitKeys(search(t, s, query, 10))
	set := map[string]bool{}
	for _, g := range got {
		set[g] = true
	}
	ok := len(got) == len(want)
	for _, w := range want {
		ok = ok && set[w]
	}
	if !ok {
		t.Errorf("Search(%q) = %v, want %v in any order", query, got, want)
	}
}

func testSearch(t *testing.T, open opener) {
	t.Run("HitFields", func(t *testing.T) {
		s := open(t)
		older, _ := searchFixture(t, s)
		hits := wantHits(t, s, "baristas", "s1/roundup/1")
		if len(hits) != 1 {
			return
		}
		h := hits[0]
		if h.IssueID != older.ID || h.IssueTitle != older.Title || h.IssueLink != older.Link || h.Item != 1 || h.Part != bot.PartRoundup {
			t.Errorf("hit = %+v; want issue %d %q %q, roundup item 1", h, older.ID, older.Title, older.Link)
		}
		wantTime(t, "hit Published", h.Published, older.Published)
		if h.Text != older.Roundup[1].Text() {
			t.Errorf("hit Text = %q, want the story's plain text %q", h.Text, older.Roundup[1].Text())
		}
		if !reflect.DeepEqual(h.Story, older.Roundup[1]) {
			t.Errorf("hit Story = %+v, want the stored story %+v", h.Story, older.Roundup[1])
		}
		if h.URL != older.Link {
			t.Errorf("hit URL of a story without a link = %q, want the issue's %q", h.URL, older.Link)
		}
		checkSnippet(t, h, "barista")
		hits = wantHits(t, s, "passports", "s1/roundup/0")
		if len(hits) == 1 && hits[0].URL != "https://audit.example.com/fishing" {
			t.Errorf("hit URL = %q, want the story's", hits[0].URL)
		}
	})

	t.Run("SnippetCut", func(t *testing.T) {
		s := open(t)
		_, newer := searchFixture(t, s)
		hits := wantHits(t, s, "dormitory", "s2/lead/0")
		if len(hits) != 1 {
			return
		}
		checkSnippet(t, hits[0], "dormitory")
		if sn := hits[0].Snippet; len(sn) >= len(newer.Lead.Text()) || !strings.Contains(sn, "…") {
			t.Errorf("snippet of a long story = %q: want a short extract with … where cut", sn)
		}
	})

	t.Run("Matching", func(t *testing.T) {
		s := open(t)
		searchFixture(t, s)
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"cambodia garment", []string{"s2/lead/0"}},               // all words must match
			{"GARMENT Factories", []string{"s2/lead/0"}},              // case
			{`"scam compounds"`, []string{"s1/lead/0"}},               // phrase, not the words apart
			{`scam compounds`, []string{"s1/lead/0", "s2/roundup/0"}}, // words apart
			{"workers -garment", []string{"s1/lead/0"}},               // exclusion
			{`cambodia -"garment factories"`, []string{"s1/roundup/2"}},
			{"trafficked", []string{"s2/lead/0"}},  // same word
			{"trafficking", []string{"s2/lead/0"}}, // stem
			{"brokers debts", []string{"s1/lead/0"}},
			{"nosuchword", nil},
			{"cambodia nosuchword", nil},
		} {
			wantSet(t, s, c.query, c.want...)
		}
	})

	t.Run("Diacritics", func(t *testing.T) {
		s := open(t)
		searchFixture(t, s)
		wantHits(t, s, "cafe", "s1/roundup/1")
		wantHits(t, s, "CAFÉ", "s1/roundup/1")
	})

	t.Run("BestFirst", func(t *testing.T) {
		s := open(t)
		searchFixture(t, s)
		// The older roundup item is about Cambodia; the newer lead mentions
		// it once in passing.
		hits := search(t, s, "cambodia", 10)
		if got := hitKeys(hits); len(got) != 2 || got[0] != "s1/roundup/2" {
			t.Errorf("Search(cambodia) = %v, want s1/roundup/2 first of 2", got)
		}
	})

	// The stores rank with bot.RankMatches: these pin that they feed it
	// with relevance and each story's publication, not their own order.
	t.Run("RankingRecencyBreaksTies", func(t *testing.T) {
		s := open(t)
		// The same story in three issues, archived out of date order (so
		// story ids do not follow the dates): the newest issue first.
		for i, day := range []int{10, 1, 20} {
			is := newIssue(fmt.Sprintf("t%d", i), time.Date(2024, 3, day, 8, 0, 0, 0, time.UTC), 0)
			is.Lead = storyOf("Ferry inspectors counted lifejackets on the morning crossing.", "")
			is.Roundup = nil
			is.Split = true
			save(t, s, is)
		}
		wantHits(t, s, "lifejackets", "t2/lead/0", "t0/lead/0", "t1/lead/0")
	})

	t.Run("RankingRelevanceOverRecency", func(t *testing.T) {
		s := open(t)
		// An old story about the word beats a new one that has it once in a
		// long text; within a year's age the boost cannot turn that around.
		old := newIssue("r-old", time.Date(2023, 6, 1, 8, 0, 0, 0, time.UTC), 0)
		old.Lead = storyOf("Lighthouse keepers: lighthouse logs, lighthouse lamps and lighthouse stairs.", "")
		old.Roundup = nil
		old.Split = true
		recent := newIssue("r-new", time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC), 0)
		recent.Lead = storyOf("The harbour council met on Tuesday to discuss parking fees, the new ferry "+
			"timetable, repairs to the breakwater, a grant for the rowing club, the summer market, "+
			"rubbish collection on the quay, signage near the old lighthouse, and the budget.", "")
		recent.Roundup = nil
		recent.Split = true
		save(t, s, recent)
		save(t, s, old)
		wantHits(t, s, "lighthouse", "r-old/lead/0", "r-new/lead/0")
	})

	t.Run("Limit", func(t *testing.T) {
		s := open(t)
		searchFixture(t, s)
		if hits := search(t, s, "survivors", 1); len(hits) != 1 {
			t.Errorf("Search(survivors, 1) = %v, want 1 hit", hitKeys(hits))
		}
		if hits := search(t, s, "survivors", 0); len(hits) != 0 {
			t.Errorf("Search(survivors, 0) = %v, want none", hitKeys(hits))
		}
	})

	t.Run("EmptyQueries", func(t *testing.T) {
		s := open(t)
		searchFixture(t, s)
		for _, q := range []string{"", "   ", "-cambodia", `-"scam compounds" -workers`, "!!!", "-", `""`} {
			if hits := search(t, s, q, 10); len(hits) != 0 {
				t.Errorf("Search(%q) = %v, want nothing", q, hitKeys(hits))
			}
		}
		if hits, err := s.Search(ctx, bot.Query{}, 10); err != nil || len(hits) != 0 {
			t.Errorf("Search(Query{}) = %v, %v; want nothing", hitKeys(hits), err)
		}
	})

	t.Run("HostileQueries", func(t *testing.T) {
		s := open(t)
		searchFixture(t, s)
		for _, q := range HostileQueries() {
			if _, err := s.Search(ctx, bot.ParseQuery(q), 5); err != nil {
				t.Errorf("Search(ParseQuery(%.40q)): %v", q, err)
			}
		}
		// Queries built by code rather than ParseQuery: still no error.
		for _, q := range []bot.Query{
			{Terms: []string{`"`, `*`, `a"b`, "NEAR(", "\x00", "text:", "AND", "(", ")"}},
			{Terms: []string{"cambodia"}, Excluded: [][]string{{`"`}, {"\x00"}, {"NOT"}}},
			{Phrases: [][]string{{"scam", `"`, "compounds"}, {"^", "-"}}},
			{Terms: []string{strings.Repeat("x", 5000)}},
			{Terms: []string{"\u0301", "\u200b", "\uFFFD"}},
		} {
			if _, err := s.Search(ctx, q, 5); err != nil {
				t.Errorf("Search(%#v): %v", q, err)
			}
		}
		// A hostile query still finds what its words ask for.
		if hits := search(t, s, `cambodia* (garment)^ ~[`, 5); len(hits) != 1 || hits[0].IssueGUID != "s2" {
			t.Errorf("hostile query for cambodia and garment = %v, want s2/lead/0", hitKeys(hits))
		}
	})

	t.Run("FollowsUpdates", func(t *testing.T) {
		s := open(t)
		older, _ := searchFixture(t, s)
		changed := *older
		changed.Lead = storyOf("Investigators freed 200 workers from call centres in the mountains.", "")
		changed.Roundup = changed.Roundup[:1]
		if res := save(t, s, &changed); res.Status != bot.SaveUpdated {
			t.Fatalf("SaveIssue = %+v, want SaveUpdated", res)
		}
		wantHits(t, s, `"scam compounds"`)
		wantHits(t, s, "mountains", "s1/lead/0")
		wantHits(t, s, "baristas")
		wantHits(t, s, "passports", "s1/roundup/0")
	})

	t.Run("OldRareWords", func(t *testing.T) {
		s := open(t)
		corpus := Corpus(1000, 11)
		for i := range corpus {
			save(t, s, &corpus[i])
		}
		for _, w := range CorpusRareWords[:6] {
			hits := search(t, s, w, 5)
			if len(hits) != 3 {
				t.Errorf("Search(%s) = %d hits, want the 3 stories that have it", w, len(hits))
			}
			for _, h := range hits {
				if !strings.Contains(strings.ToLower(h.Text), w) {
					t.Errorf("Search(%s) hit %s/%s/%d does not contain it", w, h.IssueGUID, h.Part, h.Item)
				}
			}
		}
		if hits := search(t, s, "trafficking", 5); len(hits) != 5 {
			t.Errorf("Search(trafficking) = %d hits, want 5", len(hits))
		}
	})
}

// checkSnippet wants a plain-text snippet containing stem.
func checkSnippet(t *testing.T, h bot.Hit, stem string) {
	t.Helper()
	if !strings.Contains(strings.ToLower(h.Snippet), stem) {
		t.Errorf("snippet %q does not contain %q", h.Snippet, stem)
	}
	if strings.ContainsAny(h.Snippet, "<>[]*\x00\x01\x02") {
		t.Errorf("snippet %q has markup", h.Snippet)
	}
}

// HostileQueries returns what users may type that a naive full-text query
// builder would choke on. Stores' tests and fuzz seeds use it.
func HostileQueries() []string {
	return []string{
		`"`, `""`, `"""`, `"unbalanced`, `unbalanced"`, `"a" "b`, `-"`, `-""`, `-`, `--`, `- -`,
		`*`, `a*`, `*a`, `NEAR(`, `NEAR(a b`, `NEAR(a b, 2)`, `AND OR NOT`, `a AND`, `OR b`, `NOT`,
		`(`, `)`, `(a`, `a)`, `{a b}`, `text:cambodia`, `-text:`, `text:`, `^a`, `a + b`, `a:b:c`,
		`'`, `'; DROP TABLE stories; --`, `%`, `_`, `\`, `\"`, `a\"b`, "\x00", "a\x00b", "\t\n\r",
		`!!!`, `???`, `…`, `“smart quotes”`, `„low quotes“`, `«guillemets»`, `–dash`, `—emdash`, `−minus`,
		"日本語 検索", "مرحبا", "Ελληνικά", "emoji 🙂 search", "e\u0301", "\u0301", "\u200b", "\ufeffbom",
		"\xff\xfe invalid utf8", strings.Repeat("a ", 5000), strings.Repeat(`"`, 1000), strings.Repeat("(", 1000),
		strings.Repeat("word", 2600), strings.Repeat("-x ", 400), strings.Repeat("é", 3000),
	}
}
