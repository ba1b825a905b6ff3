package sqlite

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

// smallIssue is an invented issue with a lead and two roundup items.
func smallIssue(guid string) *bot.Issue {
	p := func(s string) bot.Paragraph { return bot.Paragraph{Spans: []bot.Span{{Text: s}}} }
	return &bot.Issue{
		Feed: "https://digest.example.org/rss/", GUID: guid, Title: "Harbour lights " + guid,
		Published: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
		Lead:      bot.Story{Paragraphs: []bot.Paragraph{p("The harbour lights were repaired after the winter storms.")}},
		Roundup:   []bot.Story{{Paragraphs: []bot.Paragraph{p("Ferry timetables change in April.")}}, {Paragraphs: []bot.Paragraph{p("A new tide gauge reports every ten minutes.")}}},
		Split:     true,
	}
}

// filled makes a database at path holding n issues.
func filled(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := s.SaveIssue(bg, smallIssue(fmt.Sprint("g", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// dirSum hashes every file of dir by name and content: "nothing written".
func dirSum(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d %x\n", e.Name(), len(b), sha256.Sum256(b))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// mountTmpfs mounts a tmpfs of the given size at a new directory, or skips
// the test where that is not allowed (not root, no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): run the tests as root to cover this", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestReadOnlyFile: on a read-only volume, OpenReadOnly reads the archive
// and Open says the database is read-only; nothing is written.
func TestReadOnlyFile(t *testing.T) {
	dir := mountTmpfs(t, "8m")
	path := filepath.Join(dir, "digestbot.db")
	filled(t, path, 3)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v %s", err, out)
	}
	before := dirSum(t, dir)
	s, err := OpenReadOnly(bg, path, nil)
	if err != nil {
		t.Fatalf("OpenReadOnly on a read-only volume: %v", err)
	}
	if n, err := s.CountIssues(bg, ""); err != nil || n != 3 {
		t.Errorf("CountIssues = %d, %v; want 3", n, err)
	}
	if is, err := s.LatestIssue(bg); err != nil || !strings.HasPrefix(is.Title, "Harbour lights") {
		t.Errorf("LatestIssue = %v, %v", is, err)
	}
	if hits, err := s.Search(bg, bot.ParseQuery("ferry"), 5); err != nil || len(hits) == 0 {
		t.Errorf("Search = %v, %v", hits, err)
	}
	if err := s.EnsureFeed(bg, "https://x.example.org/"); err == nil {
		t.Error("a write through the read-only store succeeded")
	}
	s.Close()
	_, err = Open(bg, path, nil)
	re, ok := bot.StoreRefusal(err)
	if err == nil || !ok || re.Reason != bot.ReasonReadOnly {
		t.Errorf("Open on a read-only volume = %v, want %q", err, bot.ReasonReadOnly)
	}
	if after := dirSum(t, dir); after != before {
		t.Error("files changed on the read-only volume")
	}
}

// TestReadOnlyOlderSchema: a file missing a migration is refused by
// OpenReadOnly with what to run, and one from a newer digestbot too.
func TestReadOnlyOlderSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "digestbot.db")
	filled(t, path, 1)
	s, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(bg, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = OpenReadOnly(bg, path, nil)
	if err == nil || !strings.Contains(err.Error(), "older than this digestbot") || !strings.Contains(err.Error(), "digestbot run --once") {
		t.Errorf("OpenReadOnly of an older schema = %v", err)
	}
	// A newer schema is refused as Open refuses it (bot/migrate decides).
	path = filepath.Join(t.TempDir(), "digestbot.db")
	if s, err = Open(bg, path, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(bg, `INSERT INTO schema_migrations (version, name, applied) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err = OpenReadOnly(bg, path, nil); err == nil || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade digestbot") {
		t.Errorf("OpenReadOnly of a newer schema = %v", err)
	}
	if _, err := OpenReadOnly(bg, filepath.Join(t.TempDir(), "none.db"), nil); err == nil || !strings.Contains(err.Error(), "no database there yet") {
		t.Errorf("OpenReadOnly of a missing file = %v", err)
	}
}

// TestMalformedFile: a damaged file is refused at start with how to
// recover, and nothing is written to it (no WAL switch, no migration).
func TestMalformedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "digestbot.db")
	filled(t, path, 40)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over every page but the first (the header and schema).
	const page = 4096
	for off := 2 * page; off+64 < len(b); off += page {
		copy(b[off+8:off+64], strings.Repeat("\xa5", 56))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := dirSum(t, dir)
	_, err = Open(bg, path, nil)
	re, ok := bot.StoreRefusal(err)
	if err == nil || !ok || re.Reason != bot.ReasonDamaged || !strings.Contains(err.Error(), "backfill") || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("Open of a malformed file = %v, want %q with how to recover", err, bot.ReasonDamaged)
	}
	if after := dirSum(t, dir); after != before {
		t.Error("Open wrote to the malformed file's directory")
	}
	// Not a database at all.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("this is not a database file\n", 400)), 0o644)
	if _, err := Open(bg, junk, nil); err == nil || !strings.Contains(err.Error(), bot.ReasonDamaged) {
		t.Errorf("Open of a text file = %v, want %q", err, bot.ReasonDamaged)
	}
}

// TestDiskFull: on a full file system, opening a new database and saving
// into an existing one both say "no space left on device".
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	path := filepath.Join(dir, "digestbot.db")
	s, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Fill the file system.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()
	var saveErr error
	for i := 0; i < 200 && saveErr == nil; i++ {
		is := smallIssue(fmt.Sprint("big", i))
		is.Lead.Paragraphs[0].Spans[0].Text = strings.Repeat(fmt.Sprintf("paragraph %d of a long lead story. ", i), 300)
		_, saveErr = s.SaveIssue(bg, is, nil)
	}
	re, ok := bot.StoreRefusal(saveErr)
	if saveErr == nil || !ok || re.Reason != bot.ReasonNoSpace {
		t.Errorf("SaveIssue on a full disk = %v, want %q", saveErr, bot.ReasonNoSpace)
	}
	_, err = Open(bg, filepath.Join(dir, "new.db"), nil)
	if re, ok := bot.StoreRefusal(err); err == nil || !ok || re.Reason != bot.ReasonNoSpace {
		t.Errorf("Open of a new file on a full disk = %v, want %q", err, bot.ReasonNoSpace)
	}
	if !errors.Is(saveErr, bot.ErrStoreRefused) {
		t.Errorf("%v is not ErrStoreRefused", saveErr)
	}
}
