package feeds

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

const sampleOPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Harbour Notes" title="Harbour Notes" xmlUrl="https://harbour.example.org/rss/" htmlUrl="https://harbour.example.org/"/>
      <outline type="rss" text="Tide Weekly" xmlUrl="https://tide.example.com/feed"/>
    </outline>
    <outline type="rss" text="again" xmlUrl="https://harbour.example.org/rss/"/>
    <outline text="a note without a feed"/>
  </body>
</opml>`

func TestParseOPML(t *testing.T) {
	got, err := ParseOPML(strings.NewReader(sampleOPML))
	if err != nil {
		t.Fatal(err)
	}
	want := []OPMLFeed{
		{URL: "https://harbour.example.org/rss/", Title: "Harbour Notes", Site: "https://harbour.example.org/"},
		{URL: "https://tide.example.com/feed", Title: "Tide Weekly"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseOPML = %+v, want %+v", got, want)
	}
	// OPML 1.0 from older readers, and a bad URL named in the error.
	old := `<opml version="1.0"><head/><body><outline text="A" xmlUrl="http://a.example/rss"/><outline text="Local" xmlUrl="file:///etc/passwd"/></body></opml>`
	got, err = ParseOPML(strings.NewReader(old))
	if len(got) != 1 || got[0].URL != "http://a.example/rss" || err == nil || !strings.Contains(err.Error(), `"Local"`) {
		t.Errorf("OPML 1.0 with a file URL: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "<rss/>", "not xml", `<opml><body><outline xmlUrl="javascript:alert(1)"/></body></opml>`} {
		if _, err := ParseOPML(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseOPML(%q) = nil error", bad)
		}
	}
}

func TestOPMLRoundTrip(t *testing.T) {
	in := []OPMLFeed{
		{URL: "https://harbour.example.org/rss/?a=1&b=2", Title: "Harbour <Notes> & more", Site: "https://harbour.example.org/"},
		{URL: "https://tide.example.com/feed"},
	}
	var b bytes.Buffer
	if err := WriteOPML(&b, "digestbot subscriptions", in, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<opml version="2.0">`) {
		t.Errorf("not OPML 2.0:\n%s", b.String())
	}
	out, err := ParseOPML(&b)
	if err != nil {
		t.Fatal(err)
	}
	in[1].Title = "https://tide.example.com/feed" // untitled feeds are named by their URL
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}

func FuzzParseOPML(f *testing.F) {
	f.Add(sampleOPML)
	f.Add(`<opml version="1.0"><body><outline xmlUrl="http://a/"><outline xmlUrl="https://b/"/></outline></body></opml>`)
	f.Add(`<opml><body>` + strings.Repeat(`<outline>`, 40) + `</body></opml>`)
	f.Fuzz(func(t *testing.T, s string) {
		feeds, _ := ParseOPML(strings.NewReader(s))
		seen := map[string]bool{}
		for _, fd := range feeds {
			if !strings.HasPrefix(fd.URL, "http://") && !strings.HasPrefix(fd.URL, "https://") {
				t.Fatalf("non-http feed %q", fd.URL)
			}
			if seen[fd.URL] {
				t.Fatalf("feed %q twice", fd.URL)
			}
			seen[fd.URL] = true
		}
		// What it read, it writes and reads back the same.
		var b bytes.Buffer
		if err := WriteOPML(&b, "x", feeds, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		back, err := ParseOPML(&b)
		if err != nil || len(back) != len(feeds) {
			t.Fatalf("round trip of %d feeds: %d, %v", len(feeds), len(back), err)
		}
	})
}
