// Package sqlite implements bot.Store on one SQLite file, with the pure-Go
// driver modernc.org/sqlite: the archive of issues and stories (with FTS5
// full-text search), the outbox of deliveries, the feeds' poll state and the
// replicas' heartbeats.
//
// The database runs in WAL mode so that readers never wait for the writer.
// Writes go through a pool of one connection whose transactions begin
// IMMEDIATE, so goroutines queue in Go rather than spinning on SQLITE_BUSY,
// and several processes sharing the file wait on busy_timeout instead of
// deadlocking on a lock upgrade.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"digestbot/bot"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ bot.Store = (*Store)(nil)

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 10 * time.Second

// Store is a bot.Store on one SQLite database file. It is safe for
// concurrent use; several processes may share the file.
type Store struct {
	w      *sql.DB // one connection: every write transaction
	r      *sql.DB // read-only connections: queries
	logger *slog.Logger
	// readOnly: opened by OpenReadOnly; w and r are one read-only pool.
	readOnly bool
	path     string
}

// Open opens (creating it if needed) the database file at path, applies
// pending schema migrations and returns the store. path is a file name,
// e.g. "./digestbot.db"; SQLite also creates path-wal and path-shm beside
// it. In-memory databases are refused: each connection would see its own.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path, such as ./digestbot.db", path)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: the path must not contain '?' or '#'", path)
	}
	// A damaged file is refused before anything (WAL switch, migration)
	// writes to it.
	if err := precheck(ctx, path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)")
	common.Add("_journal_mode", "WAL")

	wq := url.Values{}
	for k, v := range common {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)

	s := &Store{w: w, logger: logger, path: path}
	// Migrate before opening readers: query_only connections cannot switch
	// a new file to WAL mode.
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, explain(err, path)
	}

	rq := url.Values{}
	for k, v := range common {
		rq[k] = v
	}
	rq.Set("_query_only", "1")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, explain(fmt.Errorf("sqlite: open %s: %w", path, err), path)
	}
	s.r = r
	logger.Debug("sqlite_opened", slog.String("path", path))
	return s, nil
}

// Close closes the database. The store must not be used afterwards.
func (s *Store) Close() error {
	if s.readOnly {
		return s.r.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// write runs f in an IMMEDIATE transaction on the writer connection.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return explain(err, s.path)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return explain(err, s.path)
	}
	return explain(tx.Commit(), s.path)
}

// read runs f in a read transaction: one consistent snapshot.
func (s *Store) read(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return f(tx)
}

// Times are stored as INTEGER microseconds since the Unix epoch, UTC, with
// 0 for the zero time.

func dbTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func goTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
