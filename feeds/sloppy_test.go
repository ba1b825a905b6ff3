package feeds

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"digestbot/bot"
)

// latin1Feed is an RSS feed in ISO-8859-1 whose XML declaration names no
// encoding.
func latin1Feed(t *testing.T) []byte {
	t.Helper()
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>Café Notes</title><link>https://cafe.example.org/</link>` +
		`<item><title>Crème brûlée season</title><guid>c1</guid><description>Señor Müller’s café reopens.</description></item></channel></rss>`
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("é")) {
		t.Fatal("fixture is still UTF-8")
	}
	return b
}

func TestCharsetFromHeader(t *testing.T) {
	body := latin1Feed(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write(body)
	}))
	defer srv.Close()
	res, err := NewFetcher(Options{Client: srv.Client(), Egress: Egress{AllowPrivateHosts: []string{"127.0.0.1"}}}).Fetch(context.Background(), bot.FeedState{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if res.Title != "Café Notes" || res.Issues[0].Title != "Crème brûlée season" {
		t.Fatalf("title %q, issue %q", res.Title, res.Issues[0].Title)
	}
}

func TestCharsetWindows1252Fallback(t *testing.T) {
	var logs bytes.Buffer
	f := NewFetcher(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	res, err := f.result(latin1Feed(t), "https://cafe.example.org/rss", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Issues[0].Lead.Text(); got != "Señor Müller’s café reopens." {
		t.Fatalf("lead %q", got)
	}
	if !strings.Contains(logs.String(), "windows-1252") {
		t.Errorf("no warning logged: %s", logs.String())
	}
	// A declared encoding is the XML decoder's business.
	decl := bytes.Replace(latin1Feed(t), []byte(`<?xml version="1.0"?>`), []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), 1)
	_, issues, err := Parse(decl, "https://cafe.example.org/rss", SplitOptions{})
	if err != nil || issues[0].Title != "Crème brûlée season" {
		t.Fatalf("declared latin-1: %v %+v", err, issues)
	}
}

func TestJSONFeedWrongTypes(t *testing.T) {
	doc := `{"version":"https://jsonfeed.org/version/1.1","title":"Notes","items":[
{"id":1,"title":"One","content_html":"<p>First.</p>","tags":"news"},
{"id":"2","title":"Two","content_text":"Second.","authors":"Dara","image":{"url":"x"}},
{"id":"3","title":"Three","content_text":"Third.","tags":["a",2]}]}`
	var logs bytes.Buffer
	f := NewFetcher(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	res, err := f.result([]byte(doc), "https://notes.example.org/feed.json", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issues) != 3 || res.Issues[0].GUID != "1" || res.Issues[1].Lead.Text() != "Second." {
		t.Fatalf("issues %+v", res.Issues)
	}
	for _, want := range []string{"item tags", "item authors", "item image", "item tags[]"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no warning about %s: %s", want, logs.String())
		}
	}
}

func TestGUIDCollisions(t *testing.T) {
	item := func(link, title string) string {
		return `<item><title>` + title + `</title><link>` + link + `</link><guid isPermaLink="false">same</guid><description>x</description></item>`
	}
	doc := `<rss version="2.0"><channel><title>T</title>` + item("https://a.example/1", "A") + item("https://a.example/2", "B") +
		item("https://a.example/3", "C") + item("https://a.example/3", "D") + `<item><title>No guid</title><link>https://a.example/4</link></item>` +
		`<item><title>Dated</title><link>https://a.example/5</link><guid>twice</guid><pubDate>Mon, 02 Feb 2026 08:00:00 +0000</pubDate></item>` +
		`<item><title>Dated, edited</title><link>https://a.example/5</link><guid>twice</guid><pubDate>Mon, 02 Feb 2026 08:00:00 +0000</pubDate></item></channel></rss>`
	p, err := parse([]byte(doc), "https://a.example/rss", newSplitter(SplitOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.issues[5].GUID != "twice" || p.issues[6].GUID != "twice" {
		t.Errorf("one item listed twice (same link and date) changed GUID: %q %q", p.issues[5].GUID, p.issues[6].GUID)
	}
	seen := map[string]bool{}
	for _, is := range p.issues[:5] {
		if seen[is.GUID] {
			t.Fatalf("GUID %q twice", is.GUID)
		}
		seen[is.GUID] = true
	}
	if p.issues[0].GUID != "https://a.example/1" || p.issues[4].GUID != "https://a.example/4" {
		t.Errorf("GUIDs %q %q", p.issues[0].GUID, p.issues[4].GUID)
	}
	if len(p.warnings) != 2 || !strings.Contains(p.warnings[0], "no GUID") || !strings.Contains(p.warnings[1], `4 items share the GUID "same": 4 told apart`) {
		t.Errorf("warnings %q", p.warnings)
	}
	// Stable: the same feed gives the same GUIDs.
	p2, _ := parse([]byte(doc), "https://a.example/rss", newSplitter(SplitOptions{}))
	for i := range p.issues {
		if p.issues[i].GUID != p2.issues[i].GUID {
			t.Fatal("GUIDs change between parses")
		}
	}
}

func TestInvisibleCharacters(t *testing.T) {
	body := "<p>Ro\u200cute 66 re\u00adopens \u200bto\u2060day\ufeff. Family: 👨\u200d👩\u200d👧.</p>"
	is := parseOne(t, rssItem("Ti\u200ctle", "", body), SplitOptions{})
	if got := is.Lead.Text(); got != "Route 66 reopens today. Family: 👨\u200d👩\u200d👧." {
		t.Errorf("lead %q", got)
	}
	if is.Title != "Title" {
		t.Errorf("title %q", is.Title)
	}
}

func TestPlainTextBody(t *testing.T) {
	text := "Hello readers, a short week.\n\nLINKS\n- River maps are open https://maps.example.org/rivers.\n- A dam comes down: https://dams.example.org/x\n  (the second in a year)\n* Seeds swap in <https://seeds.example.org/>\n\n1. Numbered one https://n.example/1\n2) Numbered two https://n.example/2\n\nBye."
	doc := `{"version":"https://jsonfeed.org/version/1.1","title":"P","items":[{"id":"1","title":"Plain","content_text":` + jsonString(text) + `}]}`
	_, issues, err := Parse([]byte(doc), "https://p.example/feed.json", SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	is := issues[0]
	if got := is.Lead.PlainParagraphs(); !reflect.DeepEqual(got, []string{"Hello readers, a short week."}) {
		t.Errorf("lead %q", got)
	}
	want := []string{
		"River maps are open https://maps.example.org/rivers.",
		"A dam comes down: https://dams.example.org/x (the second in a year)",
		"Seeds swap in <https://seeds.example.org/>",
		"Numbered one https://n.example/1",
		"Numbered two https://n.example/2",
	}
	if got := roundupTexts(is); !reflect.DeepEqual(got, want) {
		t.Fatalf("roundup\n got %q\nwant %q", got, want)
	}
	if is.Roundup[0].URL != "https://maps.example.org/rivers" || is.Roundup[2].URL != "https://seeds.example.org/" || is.Roundup[0].Section != "LINKS" {
		t.Errorf("urls %q %q section %q", is.Roundup[0].URL, is.Roundup[2].URL, is.Roundup[0].Section)
	}
	// Without blank lines, every line is a paragraph.
	if bs := textBlocks("one\ntwo\nthree"); len(bs) != 3 {
		t.Errorf("%d blocks", len(bs))
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '"':
			b.WriteString(`\"`)
		case '<':
			b.WriteString(`\u003c`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestImages(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"pixel by size", `<img src="https://t.example/a.gif" width="1" height="1"><img src="https://img.example/feature.jpg"><p>x</p>`, "https://img.example/feature.jpg"},
		{"small icon", `<img src="https://img.example/icon.png" width="32" height="32"><p>x</p>`, ""},
		{"tracker url", `<img src="https://list.example-manage.com/track/open.php?u=1"><p>x</p>`, ""},
		{"avatar class", `<img class="author-avatar" src="https://img.example/me.jpg"><p>x</p>`, ""},
		{"hidden", `<img style="display:none" src="https://img.example/h.jpg"><p>x</p>`, ""},
		{"big enough", `<img src="https://img.example/f.jpg" width="600" height="300"><p>x</p>`, "https://img.example/f.jpg"},
		{"after text", `<p>x</p><img src="https://img.example/late.jpg">`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := parseOne(t, rssItem("Issue", "", tt.body), SplitOptions{})
			if is.Image != tt.want {
				t.Errorf("image %q, want %q", is.Image, tt.want)
			}
		})
	}
	// The feed's own feature image comes first; a declared tiny one does not.
	feed := `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>
<item><title>A</title><guid>a</guid><media:content url="https://img.example/pixel.gif" medium="image" width="1" height="1"/><media:content url="https://img.example/cover.jpg" medium="image"/><content:encoded><![CDATA[<img src="https://img.example/body.jpg"><p>x</p>]]></content:encoded></item>
<item><title>B</title><guid>b</guid><enclosure url="https://img.example/enc.jpg" type="image/jpeg" length="1"/><content:encoded><![CDATA[<img src="https://img.example/body.jpg"><p>x</p>]]></content:encoded></item>
</channel></rss>`
	_, issues, err := Parse([]byte(feed), "https://t.example/rss", SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if issues[0].Image != "https://img.example/cover.jpg" || issues[1].Image != "https://img.example/enc.jpg" {
		t.Errorf("images %q %q", issues[0].Image, issues[1].Image)
	}
}

func TestPerFeedOptions(t *testing.T) {
	body := lead2 + `<p>Odds and bobs</p><p><a href="https://a.example/1">One</a> thing.</p><p><a href="https://a.example/2">Two</a> things.</p><p>Sponsored by Acme Widgets.</p>`
	data := rssItem("Issue", "", body)
	f := NewFetcher(Options{Feeds: map[string]SplitOptions{
		"https://x.example/rss": {Markers: []string{"Odds and bobs"}, Drop: []string{"sponsored by"}},
		"https://y.example/rss": {Mode: SplitOff, Drop: []string{`/^sponsored\b/`}},
	}})
	res, err := f.result(data, "https://x.example/rss", "")
	if err != nil {
		t.Fatal(err)
	}
	if is := res.Issues[0]; len(is.Roundup) != 2 || is.Roundup[0].Section != "Odds and bobs" {
		t.Fatalf("x: roundup %q", roundupTexts(is))
	}
	res, _ = f.result(data, "https://y.example/rss", "")
	if is := res.Issues[0]; is.Split || len(is.Lead.Paragraphs) != 5 {
		t.Fatalf("y: split=%v lead %q", is.Split, is.Lead.PlainParagraphs())
	}
	res, _ = f.result(data, "https://z.example/rss", "")
	if is := res.Issues[0]; is.Split || len(is.Lead.Paragraphs) != 6 {
		t.Fatalf("z: split=%v lead %q", is.Split, is.Lead.PlainParagraphs())
	}
	if err := CheckSplitOptions(SplitOptions{Mode: "sometimes"}); err == nil {
		t.Error("bad mode accepted")
	}
	if err := CheckSplitOptions(SplitOptions{Drop: []string{"/(/"}}); err == nil {
		t.Error("bad regexp accepted")
	}
}
