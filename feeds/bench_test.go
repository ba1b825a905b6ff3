package feeds

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/mmcdole/gofeed"
)

// benchFeed builds a realistic issue feed: 15 full issues, like a Ghost
// RSS page, from the three issues of the shipped sample feed.
func benchFeed(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile("../testdata/sample-feed.xml")
	if err != nil {
		b.Fatal(err)
	}
	start := bytes.Index(data, []byte("<item>"))
	end := bytes.LastIndex(data, []byte("</item>")) + len("</item>")
	if start < 0 || end < start {
		b.Fatal("sample feed has no items")
	}
	items := data[start:end]
	var out bytes.Buffer
	out.Write(data[:start])
	for i := 0; i < 5; i++ {
		out.Write(bytes.ReplaceAll(items, []byte(`0001a1b`), []byte(fmt.Sprintf("%04da1b", i))))
	}
	out.Write(data[end:])
	if n := bytes.Count(out.Bytes(), []byte("<item>")); n != 15 {
		b.Fatalf("bench feed has %d items, want 15", n)
	}
	return out.Bytes()
}

// BenchmarkParseSplit is the whole pipeline: gofeed's parse, then the
// split of every item into issues.
func BenchmarkParseSplit(b *testing.B) {
	data := benchFeed(b)
	s := newSplitter(SplitOptions{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := parse(data, "https://digest.example.org/rss/", s)
		if err != nil || len(p.issues) != 15 || !p.issues[0].Split {
			b.Fatalf("parse: %v", err)
		}
	}
}

// BenchmarkGofeedParse is gofeed's parse alone of the same bytes, with
// gofeed's defaults (which include its content image scan).
func BenchmarkGofeedParse(b *testing.B) {
	data := benchFeed(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gofeed.NewParser().Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGofeedParseAsUsed is gofeed's parse as ParseSplit configures
// it (content image scan off, original feed kept): the baseline that the
// splitter's own cost is measured against.
func BenchmarkGofeedParseAsUsed(b *testing.B) {
	data := benchFeed(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newGofeedParser().Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
