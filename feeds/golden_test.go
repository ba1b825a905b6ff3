package feeds

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtures returns the feed fixtures in testdata: every .xml and .json file
// that is not a golden file.
func fixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"testdata/*.xml", "testdata/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, ".golden.json") {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	return out
}

// fixtureURL is the feed URL fixtures are parsed as.
func fixtureURL(path string) string {
	return "https://feeds.example.net/" + filepath.Base(path)
}

func previewJSON(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, issues, err := Parse(data, fixtureURL(path), SplitOptions{})
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	out := make([]PreviewIssue, 0, len(issues))
	for _, is := range issues {
		out = append(out, Preview(is))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden splits every fixture and compares its preview JSON with
// testdata/<name>.golden.json. Run `go test ./feeds -update` to rewrite
// them after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	for _, path := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			got := previewJSON(t, path)
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./feeds -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("preview of %s differs from %s:\n%s", path, golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the first lines that differ between want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestNothingLostWhenNotSplit parses every fixture twice, split as usual
// and with splitting off: every paragraph of every item must be in the
// whole issue's lead, each story's in the same order, so that an issue where nothing
// is detected keeps all its text.
func TestNothingLostWhenNotSplit(t *testing.T) {
	for _, path := range fixtures(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, split, err1 := Parse(data, fixtureURL(path), SplitOptions{})
		_, whole, err2 := Parse(data, fixtureURL(path), SplitOptions{Mode: SplitOff})
		if err1 != nil || err2 != nil {
			continue // a fixture that is no feed
		}
		for i := range split {
			if whole[i].Split || len(whole[i].Roundup) > 0 {
				t.Fatalf("%s: split off, yet issue %d was split", path, i)
			}
			lead := whole[i].Lead.PlainParagraphs()
			for _, st := range split[i].Stories() {
				at := 0 // each story's paragraphs in order (footnotes end the lead)
				for _, p := range st.PlainParagraphs() {
					for at < len(lead) && lead[at] != p {
						at++
					}
					if at == len(lead) {
						t.Errorf("%s: issue %d: paragraph %q missing or out of order in the whole issue", path, i, p)
						at = 0
					}
				}
			}
		}
	}
}
