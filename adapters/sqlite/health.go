package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"digestbot/bot"
	"digestbot/bot/migrate"
)

// OpenReadOnly opens an existing database file for reading only, for the
// commands that only read (status, search, latest): nothing is written,
// not even the switch to WAL mode or a migration, so it works on a
// read-only file or volume. The schema must be the one this program
// expects; an older one is refused with what to run. Writes through the
// returned store fail.
func OpenReadOnly(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path, such as ./digestbot.db", path)
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sqlite: open %s: no database there yet: run `digestbot run --once` or `digestbot backfill FEED` first (or check DIGESTBOT_DB)", path)
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db, err := openRO(ctx, path, false)
	if err != nil {
		// A WAL database in a directory we cannot write needs -shm: read
		// the file as it is instead (no other process may be writing then).
		db2, err2 := openRO(ctx, path, true)
		if err2 != nil {
			return nil, explain(fmt.Errorf("sqlite: open %s read-only: %w", path, err), path)
		}
		db = db2
	}
	if err := checkSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	logger.Debug("sqlite_opened_read_only", slog.String("path", path))
	return &Store{w: db, r: db, logger: logger, readOnly: true}, nil
}

// openRO opens path with mode=ro (immutable=1 when immutable) and pings it.
func openRO(ctx context.Context, path string, immutable bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// The first read proves the file is a database and readable (with WAL,
	// opening alone succeeds where reading the -shm does not).
	var x int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&x); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkSchema compares the migrations recorded in the file with those
// this program has.
func checkSchema(ctx context.Context, db *sql.DB) error {
	applied, err := versions(ctx, db)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return errors.New("not a digestbot database (no schema_migrations table): check DIGESTBOT_DB")
		}
		return err
	}
	return migrate.Check(migrations(), applied)
}

// precheck runs before anything writes to an existing file: a quick
// integrity check (PRAGMA quick_check) on a read-only connection, so that
// a damaged file is refused, untouched, with what to do.
func precheck(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		return nil // a new file: nothing to check; open reports real errors
	}
	// Without a WAL file to replay, read the file as it is: opening it even
	// read-only would create -shm and -wal beside it.
	_, werr := os.Stat(path + "-wal")
	db, err := openRO(ctx, path, errors.Is(werr, os.ErrNotExist))
	if err != nil {
		if re, ok := bot.StoreRefusal(err); ok && re.Reason == bot.ReasonDamaged {
			return re
		}
		return nil // e.g. cannot create -shm here: the normal open says why
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		if re, ok := bot.StoreRefusal(err); ok {
			return re
		}
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		if re, ok := bot.StoreRefusal(err); ok {
			return re
		}
		return err
	}
	if len(problems) > 0 {
		return &bot.StoreRefusedError{Reason: bot.ReasonDamaged, Hint: bot.HintDamaged,
			Err: fmt.Errorf("quick_check: %s", strings.Join(problems, "; "))}
	}
	return nil
}

// explain turns a SQLite failure into a *bot.StoreRefusedError when it is
// one: disk full (also when SQLite only says "disk I/O error" but the file
// system has no space left), read-only, damaged.
func explain(err error, path string) error {
	if err == nil {
		return nil
	}
	re, ok := bot.StoreRefusal(err)
	if ok && re.Reason != bot.ReasonIO {
		return re
	}
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "unable to open") || strings.Contains(msg, "(14)") || ok {
		target := path
		if _, err := os.Stat(path); err != nil {
			target = filepath.Dir(path)
		}
		if w, known := writable(target); known && !w {
			return &bot.StoreRefusedError{Reason: bot.ReasonReadOnly, Hint: bot.HintReadOnly, Err: err}
		}
	}
	if ok || strings.Contains(msg, "unable to open") || strings.Contains(msg, "(10)") || strings.Contains(msg, "i/o error") {
		if free, known := freeBytes(filepath.Dir(path)); known && free < 1<<20 {
			return &bot.StoreRefusedError{Reason: bot.ReasonNoSpace, Hint: bot.HintNoSpace, Err: err}
		}
	}
	if ok {
		return re
	}
	return err
}
