package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/migrate"
	"digestbot/bot/storetest"
)

func TestOpenErrorsHideThePassword(t *testing.T) {
	const secret = "Sup3r-s3cret_pw"
	for _, c := range []struct {
		name, url string
	}{
		{"refused", "postgres://digest:" + secret + "@127.0.0.1:1/digest?connect_timeout=5"},
		{"password parameter", "postgres://digest@127.0.0.1:1/digest?connect_timeout=5&password=" + secret},
		{"escaped", "postgresql://digest:" + strings.ReplaceAll(secret, "_", "%5F") + "@127.0.0.1:1/digest?connect_timeout=5"},
		{"bad url", "postgres://digest:" + secret + "@host:notaport/digest"},
		{"bad option", "postgres://digest:" + secret + "@127.0.0.1:1/digest?sslmode=sometimes"},
		{"keyword form", "host=127.0.0.1 port=1 user=digest password=" + secret + " connect_timeout=5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(context.Background(), c.url, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want an error", c.name)
			}
			msg := err.Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, "s3cret") {
				t.Errorf("error shows the password: %s", msg)
			}
			if !strings.HasPrefix(msg, "postgres: open ") {
				t.Errorf("error %q: want it to start with \"postgres: open \"", msg)
			}
		})
	}
}

// TestMigrateOnce opens the same new database from several replicas at
// once: the advisory lock lets one migrate, the others find it done.
func TestMigrateOnce(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	const n = 5
	var wg sync.WaitGroup
	stores := make([]*Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, dsn, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ms, err := migrate.Load(migrations())
	if err != nil {
		t.Fatal(err)
	}
	var rows, max int
	if err := stores[0].pool.QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &max); err != nil {
		t.Fatal(err)
	}
	if rows != len(ms) || max != ms[len(ms)-1].Version {
		t.Errorf("schema_migrations has %d rows up to version %d, want %d up to %d", rows, max, len(ms), ms[len(ms)-1].Version)
	}
	// Reopening changes nothing.
	again, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	again.Close()
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, dsn := openTest(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, dsn, nil)
	if err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Errorf("Open of a newer schema: %v, want an error saying to upgrade", err)
	}
}

func TestOpenCancelled(t *testing.T) {
	dsn := newDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, dsn, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestAccentFoldingConfigured(t *testing.T) {
	s, _ := openTest(t)
	var folded string
	err := s.pool.QueryRow(context.Background(),
		`SELECT to_tsvector('digestbot_english'::regconfig, 'Café')::text`).Scan(&folded)
	if err != nil {
		t.Fatal(err)
	}
	var hasUnaccent bool
	if err := s.pool.QueryRow(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent')`).Scan(&hasUnaccent); err != nil {
		t.Fatal(err)
	}
	if hasUnaccent && folded != "'cafe':1" {
		t.Errorf("tsvector of Café = %s, want 'cafe':1 (unaccent is installed)", folded)
	}
	if !hasUnaccent {
		t.Logf("unaccent not installed: search does not fold accents (tsvector %s)", folded)
	}
}

// TestTimesRoundTrip checks the zero time and microseconds survive.
func TestTimesRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for _, want := range []time.Time{{}, time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)} {
		var got time.Time
		if err := s.pool.QueryRow(ctx, `SELECT $1::timestamptz`, dbTime(want)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got = goTime(got); !got.Equal(want) || got.IsZero() != want.IsZero() {
			t.Errorf("time %v came back as %v", want, got)
		}
	}
}

// TestOpenReadOnly: the read-only commands' store writes nothing (every
// transaction is read-only), reads what is there, and refuses a database
// without digestbot's tables, an older schema and a newer one, in
// bot/migrate's words.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	empty := newDatabase(t)
	if s, err := OpenReadOnly(ctx, empty, nil); err == nil || !strings.Contains(err.Error(), "no digestbot tables") {
		if s != nil {
			s.Close()
		}
		t.Errorf("OpenReadOnly of an empty database = %v, want it refused", err)
	}
	if s, err := Open(ctx, empty, nil); err != nil {
		t.Fatalf("Open after OpenReadOnly: %v (did the read-only open leave something behind?)", err)
	} else {
		s.Close()
	}

	w, dsn := openTest(t)
	is := storetest.Corpus(1, 1)[0]
	chans := []bot.Channel{{ID: "news", Platform: "console", Layout: bot.LayoutThread}}
	if err := w.EnsureFeed(ctx, is.Feed); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SaveIssue(ctx, &is, bot.Deliveries(&is, chans)); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(ctx, dsn, testLogger(t))
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	// What status, search and latest read.
	feeds, err := ro.Feeds(ctx)
	if err != nil || len(feeds) != 1 {
		t.Errorf("Feeds = %v, %v; want the one feed", feeds, err)
	}
	if n, err := ro.CountIssues(ctx, is.Feed); err != nil || n != 1 {
		t.Errorf("CountIssues = %d, %v; want 1", n, err)
	}
	if _, err := ro.DeliveryCounts(ctx); err != nil {
		t.Errorf("DeliveryCounts: %v", err)
	}
	if _, err := ro.PushCounts(ctx); err != nil {
		t.Errorf("PushCounts: %v", err)
	}
	if qs, err := bot.Queues(ctx, ro, chans, time.Now(), 0); err != nil || len(qs) != 1 || qs[0].Pending == 0 {
		t.Errorf("Queues = %+v, %v; want the channel's pending posts", qs, err)
	}
	if _, err := ro.Deliveries(ctx, 20, bot.StateFailed); err != nil {
		t.Errorf("Deliveries: %v", err)
	}
	if _, err := ro.Replicas(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Errorf("Replicas: %v", err)
	}
	if _, err := ro.Search(ctx, bot.ParseQuery(strings.Fields(is.Title)[0]), 5); err != nil {
		t.Errorf("Search: %v", err)
	}
	if got, err := ro.LatestIssue(ctx); err != nil || got.GUID != is.GUID {
		t.Errorf("LatestIssue = %v, %v; want the saved issue", got, err)
	}
	if err := ro.EnsureFeed(ctx, "https://b.example.org/rss/"); err == nil {
		t.Error("EnsureFeed through the read-only store succeeded")
	}
	ro.Close()

	if _, err := w.pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenReadOnly(ctx, dsn, nil); !errors.Is(err, migrate.ErrPending) || !strings.Contains(err.Error(), "digestbot run --once") {
		if s != nil {
			s.Close()
		}
		t.Errorf("OpenReadOnly of an older schema = %v, want migrate.ErrPending with what to run", err)
	}
	if _, err := w.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenReadOnly(ctx, dsn, nil); err == nil || !strings.Contains(err.Error(), "upgrade digestbot") {
		if s != nil {
			s.Close()
		}
		t.Errorf("OpenReadOnly of a newer schema = %v, want a refusal saying to upgrade", err)
	}
}
