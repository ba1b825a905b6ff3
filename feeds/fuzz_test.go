package feeds

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"digestbot/bot"
)

// FuzzParse checks that parsing and splitting any document never panics
// and always yields well-formed issues.
func FuzzParse(f *testing.F) {
	for _, path := range append(fixtures(f), "../testdata/sample-feed.xml") {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<rss version="2.0"><channel><item><description>&lt;p&gt;In brief&lt;/p&gt;&lt;p&gt;&lt;a href="javascript:x"&gt;x&lt;/a&gt;&lt;/p&gt;</description></item></channel></rss>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<p>Other news</p><li><a href='//x'>y"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, issues, err := Parse(data, "https://feeds.example.net/feed.xml", SplitOptions{Markers: []string{"Elsewhere"}})
		if err != nil {
			return
		}
		for i := range issues {
			checkIssue(t, &issues[i])
		}
	})
}

// FuzzSplit feeds arbitrary HTML bodies straight to the splitter, past
// gofeed, so that the fuzzer explores the tokenizer.
func FuzzSplit(f *testing.F) {
	seeds := []string{
		lead2 + `<h3>Here’s a roundup of other noteworthy news and initiatives:</h3><ul><li><a href="/x">x</a></li></ul>`,
		`<p><b>unclosed <i>tags <a href="https://a.example.com">link</p><p>next</p>`,
		`<div class="sharedaddy"><div><p>share</p></div></div><svg><svg></svg><p>x</p></svg><p>after</p>`,
		`<img src="/a.png"><p>&nbsp;&#8203;</p><script><p>no</p></script><p>In brief</p><p>item</p>`,
		"<p>\xff\xfe invalid \x00 utf8</p>",
	}
	for _, s := range seeds {
		f.Add(s, "Title")
	}
	// every item body of every fixture
	for _, path := range fixtures(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		feed, err := newGofeedParser().Parse(bytes.NewReader(data))
		if err != nil {
			continue // a fixture meant to fail
		}
		for _, it := range feed.Items {
			body := it.Content
			if body == "" {
				body = it.Description
			}
			f.Add(body, it.Title)
		}
	}
	base, _ := url.Parse("https://news.example.org/issues/7/")
	s := newSplitter(SplitOptions{})
	f.Fuzz(func(t *testing.T, body, title string) {
		tok := tokenize(body, base)
		if tok.image != "" {
			checkURL(t, "image", tok.image)
		}
		r := s.split(tok.blocks, title)
		is := bot.Issue{Lead: r.lead, Roundup: r.roundup, Split: r.split}
		checkIssue(t, &is)
		_ = standfirst(body, kindHTML, title, r.paragraphs())
	})
}

func checkURL(t *testing.T, what, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("%s URL %q is not absolute http(s)", what, raw)
	}
}

func checkIssue(t *testing.T, is *bot.Issue) {
	t.Helper()
	if !is.Split && len(is.Roundup) > 0 {
		t.Fatalf("unsplit issue has %d roundup items", len(is.Roundup))
	}
	if is.Link != "" {
		checkURL(t, "issue link", is.Link)
	}
	if is.Image != "" {
		checkURL(t, "image", is.Image)
	}
	for _, s := range []string{is.Title, is.Standfirst, is.GUID, is.Newsletter} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
	}
	if is.Split != (len(is.Roundup) > 0) {
		t.Fatalf("split=%v with %d items", is.Split, len(is.Roundup))
	}
	for _, st := range is.Roundup {
		if len(st.Paragraphs) == 0 {
			t.Fatalf("roundup item without paragraphs")
		}
		for _, p := range st.Paragraphs {
			if p.Bullet {
				t.Fatalf("roundup paragraph marked as a bullet")
			}
		}
		if !utf8.ValidString(st.Section) || st.Section != strings.TrimSpace(st.Section) {
			t.Fatalf("section name %q", st.Section)
		}
	}
	if is.Lead.Section != "" {
		t.Fatalf("lead in section %q", is.Lead.Section)
	}
	for _, st := range is.Stories() {
		checkStory(t, st)
	}
	if _, err := json.Marshal(Preview(*is)); err != nil {
		t.Fatalf("preview: %v", err)
	}
}

func checkStory(t *testing.T, st bot.Story) {
	t.Helper()
	var links []string
	seen := map[string]bool{}
	for _, p := range st.Paragraphs {
		text := p.Text()
		if strings.TrimSpace(text) == "" {
			t.Fatalf("empty paragraph: %+v", p)
		}
		if text != strings.TrimSpace(text) || strings.Contains(text, "  ") || strings.ContainsAny(text, "\n\t\r") {
			t.Fatalf("whitespace not collapsed: %q", text)
		}
		if !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8: %q", text)
		}
		for _, sp := range p.Spans {
			if sp.Text == "" {
				t.Fatalf("empty span in %+v", p.Spans)
			}
			if sp.URL == "" {
				continue
			}
			checkURL(t, "span", sp.URL)
			if sp.Text != strings.TrimSpace(sp.Text) {
				t.Fatalf("link text with edge spaces: %q", sp.Text)
			}
			if !seen[sp.URL] {
				seen[sp.URL] = true
				links = append(links, sp.URL)
			}
		}
	}
	if strings.Join(links, "\n") != strings.Join(st.Links, "\n") {
		t.Fatalf("Links = %q, want %q", st.Links, links)
	}
	want := ""
	for _, l := range links {
		if !isShareURL(l) {
			want = l
			break
		}
	}
	if st.URL != want {
		t.Fatalf("URL = %q, want the first link that is no share link of %q", st.URL, links)
	}
}
