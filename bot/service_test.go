package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

type replies struct{ got []bot.Reply }

func (r *replies) Respond(_ context.Context, rep bot.Reply) error {
	r.got = append(r.got, rep)
	return nil
}

func para(text string) bot.Paragraph { return bot.Paragraph{Spans: []bot.Span{{Text: text}}} }

func story(text, url string) bot.Story {
	st := bot.Story{Paragraphs: []bot.Paragraph{para(text)}, URL: url}
	if url != "" {
		st.Links = []string{url}
	}
	return st
}

func newService(t *testing.T) (*bot.Service, bot.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.EnsureFeed(ctx, "https://digest.example.org/rss/"); err != nil {
		t.Fatal(err)
	}
	for i, is := range []*bot.Issue{
		{GUID: "a", Title: "Floods in the delta", Published: t0.Add(-7 * 24 * time.Hour), Link: "https://digest.example.org/a/",
			Standfirst: "Rivers rose.", Lead: story("The delta flooded after storms in Cambodia.", ""),
			Roundup: []bot.Story{story("A report on scam compounds.", "https://r.example.com/1")}, Split: true},
		{GUID: "b", Title: "Drought in the north", Published: t0, Link: "https://digest.example.org/b/",
			Standfirst: "Wells ran dry.", Lead: story("Farmers in the north face a dry spring.", ""),
			Roundup: []bot.Story{story("Cambodia signs a water treaty.", "https://r.example.com/2"), story("Second item.", "")}, Split: true},
	} {
		is.Feed, is.Newsletter = "https://digest.example.org/rss/", "Test Digest"
		if _, err := st.SaveIssue(ctx, is, nil); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	return &bot.Service{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }}, st
}

func ask(t *testing.T, s *bot.Service, text string) bot.Reply {
	t.Helper()
	r := &replies{}
	c := bot.ParseCommand(text)
	c.Platform = "test"
	s.Mux().ServeCommand(context.Background(), r, c)
	if len(r.got) != 1 {
		t.Fatalf("%q: %d replies, want 1", text, len(r.got))
	}
	return r.got[0]
}

func TestServiceCommands(t *testing.T) {
	s, _ := newService(t)
	tests := []struct {
		cmd     string
		want    []string // substrings of the rendered reply
		isError bool
	}{
		{"latest", []string{"Drought in the north", "Wells ran dry.", "Roundup (2)", "Cambodia signs a water treaty.", "20 Nov 2025"}, false},
		{"search cambodia", []string{"Search: cambodia", "Floods in the delta", "Drought in the north"}, false},
		{`search "water treaty"`, []string{"Drought in the north", "Roundup item 1 of Drought in the north", "Cambodia signs a water treaty", "https://r.example.com/2"}, false},
		{"search cambodia -treaty", []string{"Floods in the delta"}, false},
		{"search zzzz", []string{"No stories match"}, false},
		{"search", []string{"Search for what?"}, true},
		{`search "*" NEAR( -`, []string{"Search: near"}, false},
		{"issue 1", []string{"Floods in the delta"}, false},
		{"issue #2", []string{"Drought in the north"}, false},
		{"issue 2025-11-13", []string{"Floods in the delta"}, false},
		{"issue 20 Nov 2025", []string{"Drought in the north"}, false},
		{"issue 99", []string{"No issue matches"}, false},
		{"issue yesterday-ish", []string{"neither a date"}, true},
		{"issue", []string{"Which issue?"}, true},
		{"feeds", []string{"https://digest.example.org/rss/", "never polled"}, false},
		{"help", []string{"/digest search <words>", "/digest latest"}, false},
		{"", []string{"/digest issue <date or number>"}, false},
		{"frobnicate", []string{`Unknown command "frobnicate"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			r := ask(t, s, tt.cmd)
			text := render(r)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reply lacks %q:\n%s", w, text)
				}
			}
			if r.Error != tt.isError {
				t.Errorf("Error = %v, want %v", r.Error, tt.isError)
			}
		})
	}
}

func TestSearchExcludes(t *testing.T) {
	s, _ := newService(t)
	text := render(ask(t, s, "search cambodia -treaty"))
	if strings.Contains(text, "Drought") {
		t.Errorf("excluded word still matched:\n%s", text)
	}
}

func TestSuggest(t *testing.T) {
	s, _ := newService(t)
	got, err := s.Suggest(context.Background(), "cambodia", 5)
	if err != nil || len(got) != 2 {
		t.Fatalf("Suggest = %v, %v; want two titles", got, err)
	}
	if got, _ := s.Suggest(context.Background(), "  ", 5); len(got) != 0 {
		t.Errorf("empty prefix suggested %v", got)
	}
}

// render flattens a reply for substring checks.
func render(r bot.Reply) string {
	var b strings.Builder
	b.WriteString(r.Title + "\n" + r.Text + "\n")
	for _, s := range r.Sections {
		b.WriteString(s.Title + " " + s.URL + " " + s.Meta + " " + s.Text + "\n")
		for _, l := range s.Links {
			b.WriteString(l.Text + " " + l.URL + "\n")
		}
	}
	return b.String() + r.Note
}

func TestSearchCache(t *testing.T) {
	s, st := newService(t)
	if text := render(ask(t, s, "search monsoon")); !strings.Contains(text, "No stories match") {
		t.Fatalf("before: %s", text)
	}
	is := &bot.Issue{Feed: "https://digest.example.org/rss/", GUID: "c", Title: "Monsoon season", Published: t0.Add(time.Hour),
		Lead: story("The monsoon arrived early.", "")}
	if _, err := st.SaveIssue(context.Background(), is, nil); err != nil {
		t.Fatal(err)
	}
	if text := render(ask(t, s, "search monsoon")); !strings.Contains(text, "No stories match") {
		t.Errorf("within the TTL the cached reply should be reused: %s", text)
	}
	s.ArchiveChanged()
	if text := render(ask(t, s, "search monsoon")); !strings.Contains(text, "Monsoon season") {
		t.Errorf("after ArchiveChanged the new issue is not found: %s", text)
	}
	// A disabled cache always asks the store.
	s2 := &bot.Service{Store: st, CacheTTL: -1}
	if text := render(ask(t, s2, "search monsoon")); !strings.Contains(text, "Monsoon season") {
		t.Errorf("uncached: %s", text)
	}
}

// The quick path answers from memory only: a search already cached, an
// empty query; anything else (a new search, other commands) says false so
// the adapter runs the full handler.
func TestServiceQuickPath(t *testing.T) {
	s, _ := newService(t)
	var observed []string
	m := s.Mux()
	m.Observe(func(platform, name string, _ time.Duration) { observed = append(observed, platform+"/"+name) })
	quick := func(text string) (bot.Reply, bool) {
		c := bot.ParseCommand(text)
		c.Platform = "test"
		return m.ServeQuick(c)
	}
	if _, ok := quick("search cambodia"); ok {
		t.Fatal("a search never run was answered from memory")
	}
	full := ask(t, s, "search cambodia")
	r, ok := quick("search  Cambodia")
	if !ok || r.Key == "" || r.Key != full.Key || render(r) != render(full) {
		t.Errorf("cached search: quick answer %v %+v, want the full answer %+v", ok, r, full)
	}
	if r, ok := quick("search"); !ok || !r.Error {
		t.Errorf("empty search: %v %+v, want a quick error reply", ok, r)
	}
	for _, text := range []string{"latest", "feeds", "help", "nonsense"} {
		if _, ok := quick(text); ok {
			t.Errorf("%q answered quickly; it has no quick path", text)
		}
	}
	s.ArchiveChanged()
	if _, ok := quick("search cambodia"); ok {
		t.Error("quick answer after the archive changed")
	}
	want := []string{"test/search", "test/search", "test/search"} // full, quick hit, quick empty
	if strings.Join(observed, " ") != strings.Join(want, " ") {
		t.Errorf("observed %v, want %v", observed, want)
	}
	// Without a cache nothing but the empty query is quick.
	s2 := &bot.Service{Store: s.Store, CacheTTL: -1}
	ask(t, s2, "search cambodia")
	if _, ok := s2.Mux().ServeQuick(bot.ParseCommand("search cambodia")); ok {
		t.Error("uncached service answered quickly")
	}
}
