package feeds

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

// rssItem wraps an item body (content:encoded) and description in a
// one-item RSS feed.
func rssItem(title, description, content string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Test Digest</title><link>https://news.example.org/</link>`)
	b.WriteString(`<item><title><![CDATA[` + title + `]]></title><link>https://news.example.org/issues/7/</link><guid>issue-7</guid><pubDate>Mon, 02 Feb 2026 08:00:00 +0000</pubDate>`)
	if description != "" {
		b.WriteString(`<description><![CDATA[` + description + `]]></description>`)
	}
	if content != "" {
		b.WriteString(`<content:encoded><![CDATA[` + content + `]]></content:encoded>`)
	}
	b.WriteString(`</item></channel></rss>`)
	return []byte(b.String())
}

func parseOne(t *testing.T, data []byte, opts SplitOptions) bot.Issue {
	t.Helper()
	_, issues, err := Parse(data, "https://news.example.org/rss/", opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(issues) != 1 {
		t.Fatalf("got %d issues, want 1", len(issues))
	}
	return issues[0]
}

func roundupTexts(is bot.Issue) []string {
	var out []string
	for _, st := range is.Roundup {
		out = append(out, st.Text())
	}
	return out
}

const lead2 = `<p>First lead paragraph about the week.</p><p>Second lead paragraph with more detail.</p>`

func TestMarkers(t *testing.T) {
	items := `<p><a href="https://a.example.com/1">One</a> item.</p><p><a href="https://b.example.com/2">Two</a> item.</p>`
	tests := []struct {
		name    string
		marker  string
		opts    SplitOptions
		split   bool
		roundup int
	}{
		{"straight apostrophe in p", `<p>Here's a roundup of other noteworthy news and initiatives:</p>`, SplitOptions{}, true, 2},
		{"curly apostrophe, no colon", `<p>Here’s a roundup of other noteworthy news and initiatives</p>`, SplitOptions{}, true, 2},
		{"p strong", `<p><strong>Here’s a roundup of other noteworthy news and initiatives:</strong></p>`, SplitOptions{}, true, 2},
		{"h3", `<h3>Here's a roundup of other noteworthy news and initiatives:</h3>`, SplitOptions{}, true, 2},
		{"div, upper case", `<div>HERE'S A ROUNDUP OF OTHER NOTEWORTHY NEWS AND INITIATIVES:</div>`, SplitOptions{}, true, 2},
		{"entity apostrophe", `<h2>Here&#8217;s a roundup of other noteworthy news and initiatives:</h2>`, SplitOptions{}, true, 2},
		{"in brief", `<h2>In brief</h2>`, SplitOptions{}, true, 2},
		{"other news with ellipsis", `<p>Other news…</p>`, SplitOptions{}, true, 2},
		{"also this week colon", `<h4>Also this week:</h4>`, SplitOptions{}, true, 2},
		{"custom marker", `<p><b>Dispatches from the field</b></p>`, SplitOptions{Markers: []string{"Dispatches from the field"}}, true, 2},
		{"custom marker not configured", `<p><b>Dispatches from the field.</b></p>`, SplitOptions{}, false, 0},
		{"built-in elsewhere", `<p><b>Elsewhere</b></p>`, SplitOptions{}, true, 2},
		{"emoji-led news", `<h2>🗞️ News</h2>`, SplitOptions{}, true, 2},
		{"shouted and finally", `<p>AND FINALLY...</p>`, SplitOptions{}, true, 2},
		{"curly apostrophe reading", `<p><strong>What else I’m reading</strong></p>`, SplitOptions{}, true, 2},
		{"entity apostrophe reading", `<h3>What else I&#x27;m reading:</h3>`, SplitOptions{}, true, 2},
		{"marker mode", `<h2>Quick hits</h2>`, SplitOptions{Mode: SplitMarker}, true, 2},
		{"off mode", `<h2>Quick hits</h2>`, SplitOptions{Mode: SplitOff}, false, 0},
		{"marker inside a long paragraph", `<p>We said here's a roundup of other noteworthy news and initiatives: but kept writing a long sentence after it.</p>`, SplitOptions{}, false, 0},
		{"marker words inside a sentence", `<p>In brief, nothing happened.</p>`, SplitOptions{}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := parseOne(t, rssItem("Issue", "", lead2+tt.marker+items), tt.opts)
			if is.Split != tt.split || len(is.Roundup) != tt.roundup {
				t.Fatalf("split=%v roundup=%d, want split=%v roundup=%d (roundup %q)", is.Split, len(is.Roundup), tt.split, tt.roundup, roundupTexts(is))
			}
			wantLead := 2
			if !tt.split {
				wantLead = 5 // both lead paragraphs, the non-marker and both items: nothing lost
			}
			if got := len(is.Lead.Paragraphs); got != wantLead {
				t.Errorf("lead has %d paragraphs, want %d: %q", got, wantLead, is.Lead.PlainParagraphs())
			}
			if tt.split && is.Roundup[0].URL != "https://a.example.com/1" {
				t.Errorf("first roundup URL = %q", is.Roundup[0].URL)
			}
		})
	}
}

func TestRoundupItems(t *testing.T) {
	body := lead2 + `<p>In brief</p>
<ul><li><a href="https://x.example.com/a">Alpha</a> did a thing. <a href="https://x.example.com/a">Again</a> and <a href="https://y.example.com/b">More</a></li>
<li>No link at all.</li></ul>
<h3>Other news</h3>
<ol><li>Beta did <a href="mailto:beta@example.com">another</a> thing.</li></ol>
<p>Gamma <em>grows</em>.</p>`
	is := parseOne(t, rssItem("Issue", "", body), SplitOptions{})
	want := []string{"Alpha did a thing. Again and More", "No link at all.", "Beta did another thing.", "Gamma grows."}
	if got := roundupTexts(is); !reflect.DeepEqual(got, want) {
		t.Fatalf("roundup = %q, want %q", got, want)
	}
	first := is.Roundup[0]
	if first.URL != "https://x.example.com/a" {
		t.Errorf("URL = %q, want the first link", first.URL)
	}
	if want := []string{"https://x.example.com/a", "https://y.example.com/b"}; !reflect.DeepEqual(first.Links, want) {
		t.Errorf("Links = %q, want %q (deduplicated, in order)", first.Links, want)
	}
	for i, st := range is.Roundup {
		if len(st.Paragraphs) != 1 {
			t.Errorf("roundup %d has %d paragraphs, want 1", i, len(st.Paragraphs))
		}
	}
	if is.Roundup[1].URL != "" || is.Roundup[1].Links != nil {
		t.Errorf("item without links: URL %q Links %q", is.Roundup[1].URL, is.Roundup[1].Links)
	}
	if is.Roundup[2].URL != "" {
		t.Errorf("mailto link kept: %q", is.Roundup[2].URL)
	}
}

func TestSpans(t *testing.T) {
	body := `<p>Plain <b>bold</b> <i>italic</i> <strong><em>both</em></strong> and <a href="/rel/path">a  relative
	link</a>. <a href="https://ex.example.com/more">More</a></p>
<p><b>Unclosed bold <a href="https://ex.example.com/x">link</p>
<p>Plain again.</p>
<h2>A sub-heading</h2>
<ul><li>First point</li><li>Second <a href="javascript:alert(1)">point</a></li></ul>`
	is := parseOne(t, rssItem("Issue", "", body), SplitOptions{})
	ps := is.Lead.Paragraphs
	if len(ps) != 6 {
		t.Fatalf("got %d paragraphs, want 6: %q", len(ps), is.Lead.PlainParagraphs())
	}
	want0 := []bot.Span{
		{Text: "Plain "},
		{Text: "bold", Bold: true},
		{Text: " "},
		{Text: "italic", Italic: true},
		{Text: " "},
		{Text: "both", Bold: true, Italic: true},
		{Text: " and "},
		{Text: "a relative link", URL: "https://news.example.org/rel/path"},
		{Text: ". "},
		{Text: "More", URL: "https://ex.example.com/more"},
	}
	if !reflect.DeepEqual(ps[0].Spans, want0) {
		t.Errorf("spans:\n got %+v\nwant %+v", ps[0].Spans, want0)
	}
	if got := ps[0].Text(); got != "Plain bold italic both and a relative link. More" {
		t.Errorf("Text() = %q", got)
	}
	if want := []bot.Span{{Text: "Unclosed bold", Bold: true}, {Text: " "}, {Text: "link", Bold: true, URL: "https://ex.example.com/x"}}; !reflect.DeepEqual(ps[1].Spans, want) {
		t.Errorf("unclosed tags: %+v", ps[1].Spans)
	}
	if want := []bot.Span{{Text: "Plain again."}}; !reflect.DeepEqual(ps[2].Spans, want) {
		t.Errorf("formatting leaked into the next paragraph: %+v", ps[2].Spans)
	}
	if !ps[3].Heading || ps[3].Bullet {
		t.Errorf("sub-heading: Heading=%v Bullet=%v", ps[3].Heading, ps[3].Bullet)
	}
	if !ps[4].Bullet || !ps[5].Bullet || ps[4].Heading {
		t.Errorf("list items: Bullet=%v,%v", ps[4].Bullet, ps[5].Bullet)
	}
	if want := []bot.Span{{Text: "Second point"}}; !reflect.DeepEqual(ps[5].Spans, want) {
		t.Errorf("javascript link kept: %+v", ps[5].Spans)
	}
	if want := []string{"https://news.example.org/rel/path", "https://ex.example.com/more", "https://ex.example.com/x"}; !reflect.DeepEqual(is.Lead.Links, want) {
		t.Errorf("lead links = %q, want %q", is.Lead.Links, want)
	}
	if is.Lead.URL != "https://news.example.org/rel/path" {
		t.Errorf("lead URL = %q", is.Lead.URL)
	}
}

func TestDropped(t *testing.T) {
	body := `<img src="/img/feature.jpg" alt="x">
<h1>The Issue Title</h1>
<p>&nbsp;</p><p> </p><hr>
<p>Real text.</p>
<script>var x = "<p>script</p>";</script><style>.a{}</style><iframe src="https://v.example.com/embed"></iframe>
<figure><img src="/img/inline.jpg"><figcaption>A caption</figcaption></figure>
<p class="button-wrapper"><a class="button primary" href="https://news.example.org/subscribe"><span>Subscribe now</span></a></p>
<p>Share this post</p>
<p>Forwarded this email? Sign up here.</p>
<p>View in browser</p>
<p>Thanks for reading Test Digest! Subscribe for free to receive new posts and support my work.</p>
<p>Leave a comment</p>
<p>Subscribers told us they like this section.</p>
<p>Want to change how you receive these emails? You can <a href="https://x.example.com/p">update your preferences</a> or <a href="https://x.example.com/u">unsubscribe from this list</a>.</p>`
	is := parseOne(t, rssItem("The issue title!", "", body), SplitOptions{})
	want := []string{"Real text.", "Subscribers told us they like this section."}
	if got := is.Lead.PlainParagraphs(); !reflect.DeepEqual(got, want) {
		t.Errorf("lead = %q, want %q", got, want)
	}
	if is.Image != "https://news.example.org/img/feature.jpg" {
		t.Errorf("image = %q, want the first img before any text", is.Image)
	}
}

func TestStandfirst(t *testing.T) {
	body := `<p>The council voted on Monday to move the levee back by 300 metres, letting the river flood safely.</p><p>More text follows here.</p>`
	tests := []struct {
		name, desc, want string
	}{
		{"real summary", "A city gives its river room, and other news.", "A city gives its river room, and other news."},
		{"summary with markup", "<p>A city gives its <b>river</b> room.</p>", "A city gives its river room."},
		{"truncated copy with ellipsis", "The council voted on Monday to move the levee back by 300 metres, letting…", ""},
		{"truncated copy with [...]", "<p>The council voted on Monday to move the levee back [&#8230;]</p>", ""},
		{"truncated mid-word", "The council voted on Monday to move the lev", ""},
		{"copy without ellipsis (Ghost auto excerpt)", "The council voted on Monday to move the levee back by 300 metres, letting the river flood safely. More text", ""},
		{"WordPress footer removed", `<p>A real summary.</p><p>The post <a href="https://x.example.com">Issue</a> appeared first on <a href="https://x.example.com">Site</a>.</p>`, "A real summary."},
		{"same as the title", "The River Issue", ""},
		{"empty", "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := parseOne(t, rssItem("The river issue", tt.desc, body), SplitOptions{})
			if is.Standfirst != tt.want {
				t.Errorf("standfirst = %q, want %q", is.Standfirst, tt.want)
			}
			if len(is.Lead.Paragraphs) != 2 {
				t.Errorf("lead has %d paragraphs, want 2", len(is.Lead.Paragraphs))
			}
		})
	}
}

func TestExcerptOnly(t *testing.T) {
	desc := `<p>Fishers mapped their grounds. Here&#8217;s a roundup [&#8230;]</p><p>The post <a href="https://x.example.com/p">Fishers</a> appeared first on <a href="https://x.example.com">Site</a>.</p>`
	is := parseOne(t, rssItem("Fishers", desc, ""), SplitOptions{})
	if is.Split || len(is.Roundup) != 0 || is.Standfirst != "" {
		t.Errorf("split=%v roundup=%d standfirst=%q, want an unsplit issue without standfirst", is.Split, len(is.Roundup), is.Standfirst)
	}
	if want := []string{"Fishers mapped their grounds. Here’s a roundup […]"}; !reflect.DeepEqual(is.Lead.PlainParagraphs(), want) {
		t.Errorf("lead = %q, want %q", is.Lead.PlainParagraphs(), want)
	}
}

func TestIssueFields(t *testing.T) {
	feed := `<?xml version="1.0"?><rss version="2.0"><channel><title> My  &amp; Digest </title><link>https://d.example.org/</link><ttl>90</ttl>
<item><title>With guid</title><guid>g-1</guid><link>/a/</link><pubDate>Tue, 03 Feb 2026 10:00:00 +0100</pubDate><description>x</description></item>
<item><title>Link only</title><link>https://d.example.org/b/</link><description>y</description></item>
<item><title>Nothing</title><description>z</description></item>
<item><title>Nothing</title><description>z2</description></item>
<item><title>Javascript link</title><link>javascript:alert(1)</link><description>w</description></item>
</channel></rss>`
	p, err := parse([]byte(feed), "https://d.example.org/rss", newSplitter(SplitOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.title != "My & Digest" {
		t.Errorf("title = %q", p.title)
	}
	if p.ttl != 90*time.Minute {
		t.Errorf("ttl = %v, want 90m", p.ttl)
	}
	is := p.issues
	if len(is) != 5 {
		t.Fatalf("got %d issues", len(is))
	}
	if is[0].GUID != "g-1" || is[0].Link != "https://d.example.org/a/" || is[0].Feed != "https://d.example.org/rss" || is[0].Newsletter != "My & Digest" {
		t.Errorf("issue 0: %+v", is[0])
	}
	if want := time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC); !is[0].Published.Equal(want) || is[0].Published.Location() != time.UTC {
		t.Errorf("published = %v, want %v in UTC", is[0].Published, want)
	}
	if is[1].GUID != "https://d.example.org/b/" {
		t.Errorf("GUID falls back to the link: %q", is[1].GUID)
	}
	if !strings.HasPrefix(is[2].GUID, "sha256:") || is[2].GUID != is[3].GUID {
		t.Errorf("GUID hash of title and date: %q %q (same title, no date: same hash)", is[2].GUID, is[3].GUID)
	}
	if !is[2].Published.IsZero() || Preview(is[2]).Published != "" {
		t.Errorf("no date: Published = %v", is[2].Published)
	}
	if is[4].Link != "" {
		t.Errorf("javascript item link kept: %q", is[4].Link)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"html page", `<!DOCTYPE html><html><body><p>Login</p></body></html>`, ErrNotAFeed},
		{"plain text", `just some words`, ErrNotAFeed},
		{"empty", ``, ErrNotAFeed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tt.data), "https://u:secret@x.example.com/feed?token=abc", SplitOptions{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "abc") {
				t.Errorf("error leaks credentials: %v", err)
			}
		})
	}
	if _, _, err := Parse([]byte(`<rss version="2.0"><channel><item><title>broken`), "f.xml", SplitOptions{}); err == nil {
		t.Error("truncated XML parsed without error")
	}
}

func TestPreviewNeverNull(t *testing.T) {
	p := Preview(bot.Issue{Roundup: []bot.Story{{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "x"}}}}}}})
	if p.Lead == nil || p.Roundup == nil || p.Roundup[0].Links == nil {
		t.Errorf("nil slices in preview: %+v", p)
	}
}
