package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/migrate"
)

var bg = context.Background()

func TestReopenIsNoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	is := &bot.Issue{Feed: "https://f.example/", GUID: "g1", Title: "Kept across reopen",
		Lead: bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Some lead text."}}}}}}
	if _, err := s.SaveIssue(bg, is, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ms, err := migrate.Load(migrations())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		s, err = Open(bg, path, nil)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		var n, v int
		if err := s.r.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || v != ms[len(ms)-1].Version {
			t.Errorf("reopen %d: schema_migrations has %d rows up to %d, want %d up to %d", i, n, v, len(ms), ms[len(ms)-1].Version)
		}
		got, err := s.Issue(bg, is.ID)
		if err != nil || got.Title != is.Title {
			t.Errorf("reopen %d: Issue = %v, %v; want the saved issue", i, got, err)
		}
		s.Close()
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(bg, path, nil); err == nil {
		s.Close()
		t.Error("Open of a database with a newer schema: got no error")
	}
}

func TestOpenRejectsPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file::memory:?cache=shared", "a.db?mode=ro", "file:x.db"} {
		if s, err := Open(bg, p, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q): got no error", p)
		}
	}
}

func TestPragmas(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	check := func(pool string, q, want string) {
		t.Helper()
		db := s.r
		if pool == "w" {
			db = s.w
		}
		var got string
		if err := db.QueryRow(q).Scan(&got); err != nil {
			t.Fatalf("%s: %s: %v", pool, q, err)
		}
		if got != want {
			t.Errorf("%s: %s = %q, want %q", pool, q, got, want)
		}
	}
	for _, pool := range []string{"w", "r"} {
		check(pool, "PRAGMA journal_mode", "wal")
		check(pool, "PRAGMA foreign_keys", "1")
		check(pool, "PRAGMA busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
		check(pool, "PRAGMA synchronous", "1")
	}
	check("r", "PRAGMA query_only", "1")
}

// TestConcurrentReplicas runs two stores on one file, as two processes
// would, with goroutines claiming, holding and releasing channel leases in
// both: no channel is ever held by two workers. Run with -race.
func TestConcurrentReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	a, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(bg, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	var (
		mu     sync.Mutex
		holder = map[string]string{}
		wins   int
		wg     sync.WaitGroup
	)
	for w := range 6 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("r", w)
			for i := range 100 {
				ch := fmt.Sprint("c", (w+i)%3)
				_, ok, err := s.ClaimChannel(bg, ch, owner, now, time.Hour, now.Add(-time.Hour))
				if err != nil {
					t.Errorf("ClaimChannel(%s): %v", owner, err)
					return
				}
				if !ok {
					continue
				}
				mu.Lock()
				if h := holder[ch]; h != "" {
					t.Errorf("channel %s claimed by %s while %s holds it", ch, owner, h)
				}
				holder[ch] = owner
				wins++
				mu.Unlock()
				mu.Lock()
				holder[ch] = ""
				mu.Unlock()
				if err := s.ReleaseChannel(bg, ch, owner); err != nil {
					t.Errorf("ReleaseChannel: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if wins == 0 {
		t.Error("no claim ever succeeded")
	}
}
