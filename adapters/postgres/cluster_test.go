package postgres

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"digestbot/adapters/postgres/pgtest"
)

// The tests run against a real PostgreSQL: TestMain starts one throwaway
// cluster (pgtest: initdb + pg_ctl, fsync off, a unix socket in a temp dir)
// for the whole test binary and every test gets a fresh database in it. Set
// PG_TEST_URL to a postgres:// URL of a server you own to use it instead
// (each test creates and leaves a database t_<pid>_<n> there).

var (
	testServer     *pgtest.Server // nil when no server is available
	testSkipReason string         // why the tests skip, when no server is available
)

func TestMain(m *testing.M) {
	flag.Parse()
	stop, err := startCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postgres tests:", err)
		os.Exit(1)
	}
	// Stop the cluster when the tests end, fail, are interrupted, or are
	// about to hit -timeout (the timeout panic skips deferred calls).
	var once sync.Once
	cleanup := func() { once.Do(stop) }
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sig; ok {
			cleanup()
			os.Exit(2)
		}
	}()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 5*time.Second {
			t := time.AfterFunc(d-3*time.Second, cleanup)
			defer t.Stop()
		}
	}
	code := m.Run()
	signal.Stop(sig)
	close(sig)
	cleanup()
	os.Exit(code)
}

// startCluster finds or starts the server the tests use (pgtest) and
// returns how to stop it.
func startCluster() (stop func(), err error) {
	srv, stop, skip, err := pgtest.Start()
	if err != nil {
		return nil, err
	}
	testServer, testSkipReason = srv, skip
	return stop, nil
}

// newDatabase creates an empty database for one test and returns its URL.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	if testServer == nil {
		tb.Skip(testSkipReason)
	}
	dsn, err := testServer.NewDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// openTest opens a Store on a fresh database, closed when the test ends.
func openTest(tb testing.TB) (*Store, string) {
	tb.Helper()
	dsn := newDatabase(tb)
	s, err := Open(context.Background(), dsn, testLogger(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, dsn
}

// testLogger logs to the test's output at debug level when -v is set.
func testLogger(tb testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
