package feeds

import (
	"strings"
	"testing"
)

func TestStripRef(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://a.example.com/x?ref=news.example.org", "https://a.example.com/x"},
		{"https://a.example.com/x?id=3&ref=news.example.org", "https://a.example.com/x?id=3"},
		{"https://a.example.com/x?ref=news.example.org&id=3#p", "https://a.example.com/x?id=3#p"},
		{"https://a.example.com/x?ref=www.news.example.org", "https://a.example.com/x"},
		{"https://a.example.com/x?ref=NEWS.example.org", "https://a.example.com/x"},
		{"https://a.example.com/x?ref=other.example.net", "https://a.example.com/x?ref=other.example.net"},
		{"https://a.example.com/x?preref=news.example.org", "https://a.example.com/x?preref=news.example.org"},
		{"https://a.example.com/x", "https://a.example.com/x"},
	} {
		if got := stripRef(c.in, "news.example.org"); got != c.want {
			t.Errorf("stripRef(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A Ghost feed tags outbound links with ?ref=<its own host>; the parsed
// issue has them without it, and keeps other sites' ref tags.
func TestParseDropsOwnSiteRef(t *testing.T) {
	feed := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Harbour Notes</title><link>http://127.0.0.1:2368/</link><ttl>60</ttl>
<item><title>Port workers organise</title><link>http://127.0.0.1:2368/port-workers/</link><guid isPermaLink="false">65aa00000000000000000001</guid>
<pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate><description>A short standfirst about ports.</description>
<content:encoded><![CDATA[<p>Lead about <a href="https://lead.example.com/story?ref=127.0.0.1">a union drive</a> at the docks, told at length.</p>
<p>Here&#x2019;s a roundup of other noteworthy news and initiatives:</p>
<p><a href="https://one.example.com/a?x=1&ref=127.0.0.1">One report</a> finds things.</p>
<p><a href="https://two.example.com/b?ref=elsewhere.example.net">Two</a> keeps a foreign tag.</p>]]></content:encoded></item></channel></rss>`
	_, issues, err := Parse([]byte(feed), "http://127.0.0.1:2368/rss/", SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	is := issues[0]
	if len(is.Roundup) != 2 {
		t.Fatalf("roundup = %d items, want 2", len(is.Roundup))
	}
	if got := is.Lead.Paragraphs[0].Spans[1].URL; got != "https://lead.example.com/story" {
		t.Errorf("lead link = %q", got)
	}
	if got := is.Roundup[0].URL; got != "https://one.example.com/a?x=1" {
		t.Errorf("item 1 URL = %q", got)
	}
	if got := strings.Join(is.Roundup[0].Links, " "); got != "https://one.example.com/a?x=1" {
		t.Errorf("item 1 links = %q", got)
	}
	if got := is.Roundup[1].URL; got != "https://two.example.com/b?ref=elsewhere.example.net" {
		t.Errorf("item 2 URL = %q, a foreign ref must stay", got)
	}
}
