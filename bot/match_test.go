package bot

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestStemWord(t *testing.T) {
	same := [][]string{
		{"refugee", "Refugees", "refugee's"},
		{"trafficking", "trafficked", "Traffick"},
		{"policies", "policy"},
		{"cafe", "Café", "CAFÉS"},
		{"migrate", "migrated", "migrating", "migrates"},
		{"report", "reports", "reported", "reporting"},
	}
	for _, group := range same {
		want := stemWord(strings.ToLower(group[0]))
		for _, w := range group[1:] {
			tok := tokens(w, nil)
			if len(tok) == 0 || tok[0].stem != want {
				t.Errorf("stem of %q = %v, want %q like %q", w, tok, want, group[0])
			}
		}
	}
	for _, pair := range [][2]string{{"bus", "bu"}, {"crisis", "crisi"}, {"us", "u"}, {"class", "cla"}} {
		if stemWord(pair[0]) == stemWord(pair[1]) {
			t.Errorf("%q and %q share a stem", pair[0], pair[1])
		}
	}
}

func TestMatchesQuery(t *testing.T) {
	text := "Refugees in Cambodia's border towns face forced labour, a new report says. Cafés close."
	tests := []struct {
		q    string
		want bool
	}{
		{"cambodia", true},
		{"refugee", true},
		{"cafe", true},
		{"cambodia thailand", false},
		{`"forced labour"`, true},
		{`"labour forced"`, false},
		{`"border towns face"`, true},
		{"cambodia -report", false},
		{`cambodia -"new reports"`, false},
		{`cambodia -"report new"`, true},
		{"-cambodia", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := MatchesQuery(ParseQuery(tt.q), text); got != tt.want {
			t.Errorf("MatchesQuery(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestHighlight(t *testing.T) {
	text := "The case signals a potential shift in Cambodia's approach to forced labour."
	got := Highlight(ParseQuery(`cambodia "forced labour" -shift`), text)
	var words []string
	for _, r := range got {
		words = append(words, text[r.Start:r.End])
	}
	if want := []string{"Cambodia", "forced labour"}; !reflect.DeepEqual(words, want) {
		t.Errorf("Highlight = %q, want %q", words, want)
	}
	if got := Highlight(ParseQuery("-cambodia"), text); got != nil {
		t.Errorf("Highlight of exclusions only = %v, want nil", got)
	}
}

func TestItemTitle(t *testing.T) {
	linked := Story{Paragraphs: []Paragraph{{Spans: []Span{
		{Text: "Harbour Watch has published", URL: "https://hw.example/r"},
		{Text: " a survey of crews on long-haul boats. It finds wages held back."},
	}}}}
	if got := ItemTitle(linked); got != "Harbour Watch has published" {
		t.Errorf("ItemTitle(opening link) = %q", got)
	}
	inner := Story{Paragraphs: []Paragraph{{Spans: []Span{
		{Text: "Also this week, "},
		{Text: "a coalition", URL: "https://c.example/"},
		{Text: " called on ministers to fund shelters. More follows in spring."},
	}}}}
	if got := ItemTitle(inner); got != "Also this week, a coalition called on ministers to fund shelters" {
		t.Errorf("ItemTitle(first sentence) = %q", got)
	}
	long := Story{Paragraphs: []Paragraph{{Spans: []Span{{Text: strings.Repeat("word ", 40)}}}}}
	if got := ItemTitle(long); len([]rune(got)) > maxTitleRunes+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("ItemTitle(long) = %q", got)
	}
}

func TestStoryRef(t *testing.T) {
	for _, r := range []StoryRef{{IssueID: 12, Part: PartLead}, {IssueID: 9, Part: PartRoundup, Item: 0}, {IssueID: 1 << 40, Part: PartRoundup, Item: 31},
		{IssueID: 9, Part: PartRoundup, Item: 2, Check: "0a1b2c3d"}, {IssueID: 1<<63 - 1, Part: PartRoundup, Item: 10000, Check: "ffffffff"}} {
		got, err := ParseStoryRef(r.String())
		if err != nil || got != r {
			t.Errorf("ParseStoryRef(%q) = %+v, %v; want %+v", r.String(), got, err, r)
		}
	}
	// The old two-part form, on buttons shown before checks, still parses.
	if got, err := ParseStoryRef("7.3"); err != nil || got != (StoryRef{IssueID: 7, Part: PartRoundup, Item: 3}) {
		t.Errorf("ParseStoryRef(7.3) = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "12", "0.lead", "-1.2", "12.-1", "12.x", "x.lead", "12.lead.3", "12.99999",
		"12.lead.0a1b2c3d", "12.3.", "12.3.0A1B2C3D", "12.3.0a1b2", "12.3.0a1b2c3d4e5f60718", "12.3.0a1b2c3g", "12.3.0a1b2c3d.x",
		"012.3", "+12.3", "12.03", "12.+3", "12..0a1b2c3d"} {
		if _, err := ParseStoryRef(bad); err == nil {
			t.Errorf("ParseStoryRef(%q) succeeded", bad)
		}
	}
}

func TestRefFor(t *testing.T) {
	a := Story{Paragraphs: []Paragraph{{Spans: []Span{{Text: "Item a."}}}}, URL: "https://a.example/"}
	b := Story{Paragraphs: []Paragraph{{Spans: []Span{{Text: "Item b, no link."}}}}}
	is := &Issue{ID: 5, Roundup: []Story{a, b}}
	if got := RefFor(is, PartLead, 0); got != (StoryRef{IssueID: 5, Part: PartLead}) {
		t.Errorf("RefFor(lead) = %+v", got)
	}
	ra, rb := RefFor(is, PartRoundup, 0), RefFor(is, PartRoundup, 1)
	if len(ra.Check) != refCheckLen || len(rb.Check) != refCheckLen || ra.Check == rb.Check {
		t.Errorf("checks %q, %q: want two different %d-digit checks", ra.Check, rb.Check, refCheckLen)
	}
	if ra.Item != 0 || rb.Item != 1 || ra.IssueID != 5 {
		t.Errorf("refs %+v, %+v", ra, rb)
	}
	// The check depends on the item alone, not on where it sits.
	moved := &Issue{ID: 5, Roundup: []Story{b, {URL: "https://c.example/"}, a}}
	if got := RefFor(moved, PartRoundup, 2).Check; got != ra.Check {
		t.Errorf("check of a moved item %q, want %q", got, ra.Check)
	}
	// A search hit's ref is its item's ref.
	if got := hitRef(Hit{IssueID: 5, Part: PartRoundup, Item: 1, Story: b}); got != rb {
		t.Errorf("hitRef = %+v, want %+v", got, rb)
	}
	if got := hitRef(Hit{IssueID: 5, Part: PartRoundup, Item: 1}); got.Check != "" {
		t.Errorf("hitRef without the story = %+v, want no check", got)
	}
	if got := RefFor(is, PartRoundup, 2); got.Check != "" {
		t.Errorf("RefFor(past the end) = %+v, want no check", got)
	}
	// The longest ref fits a Discord custom_id with its prefix.
	long := StoryRef{IssueID: 1<<63 - 1, Part: PartRoundup, Item: 10000, Check: strings.Repeat("f", maxRefCheck)}
	if n := len(ShareCustomID(long)); n > 100 {
		t.Errorf("custom_id of %d characters", n)
	}
}

func TestStoryRefResolve(t *testing.T) {
	st := func(url string) Story { return Story{Paragraphs: []Paragraph{{Spans: []Span{{Text: url}}}}, URL: url} }
	a, b, c, x := st("https://a/"), st("https://b/"), st("https://c/"), st("https://x/")
	was := &Issue{ID: 1, Roundup: []Story{a, b, c}}
	refB := RefFor(was, PartRoundup, 1)
	for _, tt := range []struct {
		name    string
		roundup []Story
		want    int // -1: refused
	}{
		{"unchanged", []Story{a, b, c}, 1},
		{"inserted above", []Story{x, a, b, c}, 2},
		{"removed above", []Story{b, c}, 0},
		{"moved to the end", []Story{a, c, x, b}, 3},
		{"removed", []Story{a, c}, -1},
		{"replaced", []Story{a, x, c}, -1},
		{"all gone", nil, -1},
	} {
		item, ok := refB.resolve(&Issue{ID: 1, Roundup: tt.roundup})
		if (tt.want < 0) == ok || (ok && item != tt.want) {
			t.Errorf("%s: resolve = %d, %v; want %d", tt.name, item, ok, tt.want)
		}
	}
	// An item there twice (the same link): the one nearer its old place.
	if item, ok := RefFor(was, PartRoundup, 2).resolve(&Issue{Roundup: []Story{c, x, a, c}}); !ok || item != 3 {
		t.Errorf("twice: resolve = %d, %v; want 3", item, ok)
	}
	// Without a check, the index alone names the item, as before.
	old := StoryRef{IssueID: 1, Part: PartRoundup, Item: 1}
	if item, ok := old.resolve(&Issue{Roundup: []Story{x, a, b}}); !ok || item != 1 {
		t.Errorf("old ref: %d, %v", item, ok)
	}
	if _, ok := old.resolve(&Issue{Roundup: []Story{x}}); ok {
		t.Error("old ref past the end resolved")
	}
}

func FuzzParseStoryRef(f *testing.F) {
	f.Add("12.lead")
	f.Add("3.4")
	f.Add("3.4.0a1b2c3d")
	f.Add("9223372036854775807.10000.ffffffffffffffff")
	f.Add("x")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseStoryRef(s)
		if err != nil {
			return
		}
		// What parses is what String writes, and parses back the same.
		if r.String() != s {
			t.Fatalf("%q → %+v → %q", s, r, r.String())
		}
		back, err := ParseStoryRef(r.String())
		if err != nil || back != r {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, r, r.String(), back, err)
		}
		if r.IssueID <= 0 || r.Item < 0 || (r.Part == PartLead && (r.Item != 0 || r.Check != "")) {
			t.Fatalf("%q → %+v", s, r)
		}
		if id := ShareCustomID(r); len(id) > 100 {
			t.Fatalf("%q: custom_id of %d characters", s, len(id))
		}
		if got, ok := ParseShareCustomID(ShareCustomID(r)); !ok || got != r {
			t.Fatalf("custom_id %q → %+v, %v", ShareCustomID(r), got, ok)
		}
	})
}

func FuzzHighlight(f *testing.F) {
	f.Add("cambodia", "Cambodia's border")
	f.Add(`"a b" -c`, "x a b c")
	f.Fuzz(func(t *testing.T, q, text string) {
		last := 0
		for _, r := range Highlight(ParseQuery(q), text) {
			if r.Start < last || r.End <= r.Start || r.End > len(text) {
				t.Fatalf("bad range %+v in %q (after %d)", r, text, last)
			}
			last = r.End
		}
	})
}

func matchIssue() *Issue {
	return &Issue{
		ID: 7, Title: "Week in review",
		Lead: storyText("A ministerial meeting on fisheries ended without agreement."),
		Roundup: []Story{
			storyText("Harbour crews in Cambodia report unpaid wages."),
			storyText("A new shelter opens for trafficking survivors in Thailand."),
			storyText("Cambodia and Thailand sign a border agreement on trafficking."),
		},
	}
}

func storyText(s string) Story {
	return Story{Paragraphs: []Paragraph{{Spans: []Span{{Text: s}}}}}
}

func TestFollowMatcher(t *testing.T) {
	m := NewFollowMatcher([]Follow{
		{Platform: "slack", User: "U1", Query: "cambodia"},
		{Platform: "slack", User: "U1", Query: "trafficking"}, // same stories for U1: one DM each
		{Platform: "slack", User: "U1", Query: "wages"},
		{Platform: "discord", User: "42", Query: `"border agreement"`},
		{Platform: "discord", User: "43", Query: "thailand -shelter"},
		{Platform: "discord", User: "44", Query: "volcano"},
		{Platform: "discord", User: "45", Query: "-cambodia"}, // nothing positive: skipped
	})
	if m.Len() != 6 {
		t.Errorf("Len = %d, want 6", m.Len())
	}
	var got []string
	for _, fm := range m.MatchIssue(matchIssue()) {
		got = append(got, fmt.Sprintf("%s:%s %s/%d %s", fm.Platform, fm.User, fm.Part, fm.Item, fm.Query))
	}
	want := []string{
		`discord:42 roundup/2 "border agreement"`,
		"discord:43 roundup/2 thailand -shelter",
		"slack:U1 roundup/0 cambodia",
		"slack:U1 roundup/1 trafficking",
		"slack:U1 roundup/2 cambodia",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MatchIssue =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	is := matchIssue()
	ds := FollowDeliveries(is, m.MatchIssue(is))
	if len(ds) != 3 || ds[2].Channel != "dm:slack:U1" || ds[2].Seq != 1 || ds[2].Part != PartRoundup {
		t.Errorf("FollowDeliveries = %+v, want one per user", ds)
	}
	for _, d := range ds {
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
	}
	var slackU1 []FollowMatch
	for _, fm := range m.MatchIssue(is) {
		if fm.User == "U1" {
			slackU1 = append(slackU1, fm)
		}
	}
	posts := FollowPosts(is, slackU1)
	if len(posts) != 3 || posts[0].Item != 0 || posts[2].Item != 2 || posts[1].Key != PostKey(is, PartRoundup, 1) {
		t.Errorf("FollowPosts = %+v", posts)
	} else if posts[0].Follow != "cambodia" || posts[1].Follow != "trafficking" {
		t.Errorf("FollowPosts say the follows %q, %q; want cambodia, trafficking", posts[0].Follow, posts[1].Follow)
	}
	ch, ok := ParseDMChannel("dm:discord:42")
	if !ok || ch != DMChannel("discord", "42") || !ch.DM || ch.Target != "42" || ch.Platform != "discord" {
		t.Errorf("ParseDMChannel = %+v, %v", ch, ok)
	}
	for _, bad := range []string{"slack:C1", "dm:", "dm:slack", "dm::U1", "dm:slack:"} {
		if _, ok := ParseDMChannel(bad); ok {
			t.Errorf("ParseDMChannel(%q) ok", bad)
		}
	}
}

// BenchmarkFollowMatcher matches one new issue (a lead and 12 roundup
// items) against 10,000 follows of one to three words: typical, and the
// worst case where every story holds every follow's words (4,000 users,
// each DMed for all 13 stories).
func BenchmarkFollowMatcher(b *testing.B) {
	vocab := strings.Fields(`cambodia thailand myanmar vietnam laos fisheries harbour crews wages shelter
		survivors trafficking border agreement ministers report coalition labour migrants asylum court ruling
		police raid scam compound hotline funding audit union strike factory garment supply chain children
		school health clinic visa passport recruitment agency debt bondage inspection law reform election`)
	follows := make([]Follow, 10_000)
	for i := range follows {
		q := vocab[i%len(vocab)]
		switch i % 3 {
		case 1:
			q += " " + vocab[(i/3)%len(vocab)]
		case 2:
			q = `"` + vocab[(i/7)%len(vocab)] + " " + vocab[(i/5)%len(vocab)] + `" -` + vocab[(i/11)%len(vocab)]
		}
		follows[i] = Follow{Platform: "slack", User: fmt.Sprintf("U%05d", i%4000), Query: q}
	}
	story := func(seed int) Story {
		var w []string
		for j := 0; j < 80; j++ {
			w = append(w, vocab[(seed*31+j*17)%len(vocab)], "the", "of")
		}
		return storyText(strings.Join(w, " ") + ".")
	}
	is := &Issue{Lead: story(0)}
	for i := 1; i <= 12; i++ {
		is.Roundup = append(is.Roundup, story(i))
	}
	b.Run("build", func(b *testing.B) {
		for range b.N {
			NewFollowMatcher(follows)
		}
	})
	m := NewFollowMatcher(follows)
	b.Run("match/typical", func(b *testing.B) {
		// 3,000 words, each follow one to three of them, stories of 120
		// words drawn from the same words: a few hundred DMs per issue.
		word := func(i int) string { return fmt.Sprintf("w%dx", i%3000) }
		fs := make([]Follow, 10_000)
		for i := range fs {
			q := word(i * 7)
			if i%3 == 1 {
				q += " " + word(i*13)
			} else if i%3 == 2 {
				q = `"` + word(i*7) + " " + word(i*7+1) + `" -` + word(i*11)
			}
			fs[i] = Follow{Platform: "discord", User: fmt.Sprint(i % 4000), Query: q}
		}
		tm := NewFollowMatcher(fs)
		is := &Issue{}
		for s := 0; s < 13; s++ {
			var w []string
			for j := 0; j < 120; j++ {
				w = append(w, word(s*977+j*131))
			}
			if s == 0 {
				is.Lead = storyText(strings.Join(w, " "))
			} else {
				is.Roundup = append(is.Roundup, storyText(strings.Join(w, " ")))
			}
		}
		b.ResetTimer()
		n := 0
		for range b.N {
			n = len(tm.MatchIssue(is))
		}
		b.ReportMetric(float64(n), "dms/issue")
	})
	b.Run("match/worst", func(b *testing.B) {
		n := 0
		for range b.N {
			n = len(m.MatchIssue(is))
		}
		b.ReportMetric(float64(n), "dms/issue")
	})
}

func TestSectionTextParagraphs(t *testing.T) {
	text := "One café here.\n\nTwo words bold"
	s := Section{Text: text, Bold: []Range{{4, 9}, {21, 26}, {100, 120}, {5, 6}}}
	got := s.TextParagraphs()
	want := []Paragraph{
		{Spans: []Span{{Text: "One "}, {Text: "café", Bold: true}, {Text: " here."}}},
		{Spans: []Span{{Text: "Two "}, {Text: "words", Bold: true}, {Text: " bold"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TextParagraphs = %+v, want %+v", got, want)
	}
}
