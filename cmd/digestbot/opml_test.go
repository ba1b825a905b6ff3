package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFeedsImportExport(t *testing.T) {
	vars := quickstart(t)
	vars["DIGESTBOT_FEED_URL"] = "https://configured.example.org/rss/"
	opml := filepath.Join(t.TempDir(), "subs.opml")
	if err := os.WriteFile(opml, []byte(`<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="Folder"><outline type="rss" text="Harbour Notes" xmlUrl="https://harbour.example.org/rss/"/></outline>
<outline type="rss" text="Tide" xmlUrl="https://tide.example.com/feed?token=s3cret"/>
</body></opml>`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := digestbot(t, vars, "feeds", "import", opml, "--channel", "slack:C0123ABCD", "--layout", "separate")
	if code != 0 || !strings.Contains(out, "2 subscribed, 0 already were") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "s3cret") {
		t.Errorf("import printed a URL secret:\n%s", out)
	}
	// Again, with the flags first: nothing new.
	code, out, stderr = digestbot(t, vars, "feeds", "import", "--channel", "slack:C0123ABCD", opml)
	if code != 0 || !strings.Contains(out, "0 subscribed, 2 already were") {
		t.Fatalf("second import: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = digestbot(t, vars, "feeds", "export")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	for _, want := range []string{`<opml version="2.0">`, `xmlUrl="https://configured.example.org/rss/"`, `xmlUrl="https://harbour.example.org/rss/"`, `xmlUrl="https://tide.example.com/feed?token=s3cret"`} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %s:\n%s", want, out)
		}
	}
	for _, bad := range [][]string{
		{"feeds", "import", opml, "--channel", "#general"},
		{"feeds", "import", opml},
		{"feeds", "import", opml, "--channel", "slack:C0123ABCD", "--layout", "sideways"},
		{"feeds", "frobnicate"},
	} {
		if code, _, stderr := digestbot(t, vars, bad...); code == 0 {
			t.Errorf("%v: exit 0, want a refusal (%s)", bad, stderr)
		}
	}
}
