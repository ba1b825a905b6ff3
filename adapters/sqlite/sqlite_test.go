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
// would, with goroutines claiming deliveries in both: no delivery is ever
// claimed twice, and all are claimed. Run with -race.
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
	total := 0
	for i := range 5 {
		is := &bot.Issue{Feed: "https://f.example/", GUID: fmt.Sprint("g", i), Published: now.Add(time.Duration(i) * time.Hour),
			Lead:    bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Lead."}}}}},
			Roundup: []bot.Story{{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Item."}}}}}}}
		var ds []bot.Delivery
		for c := range 8 {
			ds = append(ds,
				bot.Delivery{Channel: fmt.Sprint("c", c), Part: bot.PartLead, Seq: 0},
				bot.Delivery{Channel: fmt.Sprint("c", c), Part: bot.PartRoundup, Item: 0, Seq: 1})
		}
		total += len(ds)
		if _, err := a.SaveIssue(bg, is, ds); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("r", w)
			for range 200 {
				ds, err := s.ClaimDeliveries(bg, owner, now, time.Hour, 2)
				if err != nil {
					t.Errorf("ClaimDeliveries(%s): %v", owner, err)
					return
				}
				mu.Lock()
				done := len(claimed) == total
				for _, d := range ds {
					if prev, dup := claimed[d.ID]; dup {
						t.Errorf("delivery %d claimed by %s and %s", d.ID, prev, owner)
					}
					claimed[d.ID] = owner
				}
				mu.Unlock()
				for _, d := range ds {
					if err := s.MarkSent(bg, d.ID, "ref"); err != nil {
						t.Errorf("MarkSent: %v", err)
					}
				}
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != total {
		t.Errorf("claimed %d deliveries, want all %d", len(claimed), total)
	}
}
