package feeds

import (
	"testing"
	"time"
)

// The same post from a webhook (raw UTF-8, no ref tags) and from Ghost's
// feed (hex entities, ?ref=<site>, feature <img> before the first <p>,
// pubDate in whole seconds) splits into identical issues.
func TestGhostIssueMatchesFeedItem(t *testing.T) {
	html := `<p>Harbour crews signed a charter on night shifts after a year of talks, and it covers heat too.</p>` +
		`<p>Here’s a roundup of other noteworthy news and initiatives:</p>` +
		`<p><a href="https://cranes.example.com/report">A crane survey</a> counts near misses.</p>` +
		`<p><a href="https://help.example.net/s?lang=en">A helpline</a> opens for seafarers’ families.</p>`
	feedHTML := `<img src="https://harbour.example.org/content/images/docks.jpg" alt="x">` +
		`<p>Harbour crews signed a charter on night shifts after a year of talks, and it covers heat too.</p>` +
		`<p>Here&#x2019;s a roundup of other noteworthy news and initiatives:</p>` +
		`<p><a href="https://cranes.example.com/report?ref=harbour.example.org">A crane survey</a> counts near misses.</p>` +
		`<p><a href="https://help.example.net/s?lang=en&amp;ref=harbour.example.org">A helpline</a> opens for seafarers&#x2019; families.</p>`
	feed := `<?xml version="1.0" encoding="UTF-8"?><rss xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>` +
		`<title><![CDATA[Harbour Notes]]></title><link>https://harbour.example.org/</link><ttl>60</ttl>` +
		`<item><title><![CDATA[Crews win a charter]]></title><description><![CDATA[Crews win a charter; cranes and a helpline.]]></description>` +
		`<link>https://harbour.example.org/crews-win/</link><guid isPermaLink="false">65e2c0ffee0000000000b001</guid>` +
		`<pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate><media:content url="https://harbour.example.org/content/images/docks.jpg" medium="image"/>` +
		`<content:encoded><![CDATA[` + feedHTML + `]]></content:encoded></item></channel></rss>`
	_, issues, err := Parse([]byte(feed), "https://harbour.example.org/rss/", SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := NewFetcher(Options{})
	pushed, err := f.GhostIssue("https://harbour.example.org/rss/", GhostPost{
		ID: "65e2c0ffee0000000000b001", Title: "Crews win a charter", HTML: html,
		CustomExcerpt: "Crews win a charter; cranes and a helpline.", Excerpt: "Harbour crews signed…",
		FeatureImage: "https://harbour.example.org/content/images/docks.jpg",
		URL:          "https://harbour.example.org/crews-win/", Status: "published",
		PublishedAt: "2026-03-02T08:00:00.000Z", UpdatedAt: "2026-03-02T09:30:00.000Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	fromFeed := issues[0]
	if pushed.Hash() != fromFeed.Hash() || pushed.GUID != fromFeed.GUID {
		t.Errorf("webhook and feed differ:\nwebhook %+v\nfeed    %+v", Preview(pushed), Preview(fromFeed))
	}
	if len(pushed.Roundup) != 2 || pushed.Roundup[1].URL != "https://help.example.net/s?lang=en" {
		t.Errorf("roundup = %+v", Preview(pushed).Roundup)
	}
}

func TestParseGhostTime(t *testing.T) {
	want := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-03-02T08:00:00.000Z", "2026-03-02T08:00:00.000+00:00", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00+01:00"} {
		got, err := ParseGhostTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseGhostTime(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseGhostTime("yesterday"); err == nil {
		t.Error("accepted a non-date")
	}
}
