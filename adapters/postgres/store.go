// Package postgres implements bot.Store on PostgreSQL with pgx: the archive
// of issues and stories (with full-text search on a generated tsvector
// column), the outbox of deliveries, the feeds' poll state and the
// replicas' heartbeats.
//
// It is the store for running several replicas of digestbot on one
// database: feeds and deliveries are claimed with SELECT … FOR UPDATE SKIP
// LOCKED and an expiring lease, so each poll and each post is handled by
// one replica at a time, and the work of a replica that dies is picked up
// by the others when its leases run out. Schema migrations run at Open
// under an advisory lock, so replicas starting together migrate once.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ bot.Store = (*Store)(nil)

// Store is a bot.Store on a PostgreSQL database. It is safe for concurrent
// use by goroutines and by replicas (processes) sharing the database.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	where  string // the database's address without the password, for errors
}

// Open connects to the database at url (postgres://user:password@host:5432/db
// or postgresql://…, with any parameter pgx accepts, such as sslmode),
// applies pending schema migrations and returns the store. Errors name the
// address with its password masked.
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	s, err := connect(ctx, url, logger, false)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, scrub(err, url)
	}
	s.logger.Debug("postgres_opened", slog.String("db", s.where))
	return s, nil
}

// OpenReadOnly connects for the commands that only read (status, search,
// latest): nothing is written and no migration runs (every transaction is
// read-only: default_transaction_read_only), and a schema this program
// would migrate, or one from a newer digestbot, is refused with what to do
// (bot/migrate.Check, as sqlite.OpenReadOnly does). Writes through the
// returned store fail.
func OpenReadOnly(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	s, err := connect(ctx, url, logger, true)
	if err != nil {
		return nil, err
	}
	if err := s.checkSchema(ctx); err != nil {
		s.pool.Close()
		return nil, scrub(err, url)
	}
	s.logger.Debug("postgres_opened_read_only", slog.String("db", s.where))
	return s, nil
}

// connect opens the pool and pings the server.
func connect(ctx context.Context, url string, logger *slog.Logger, readOnly bool) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	where := bot.RedactDSN(url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w (want postgres://user:password@host:5432/database)", where, scrub(err, url))
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "digestbot"
	}
	if readOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", where, scrub(err, url))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w (check the address, the password and that the server is running)", where, scrub(err, url))
	}
	return &Store{pool: pool, logger: logger, where: where}, nil
}

// Close closes every connection. The store must not be used afterwards.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// passwordParam matches password=… in a query string or keyword form,
// quoted or not.
var passwordParam = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)`)

// userinfoPassword finds the password of scheme://user:password@host…
// without parsing the URL (which may be malformed): raw[i:j] is it.
func userinfoPassword(raw string) (i, j int, ok bool) {
	k := strings.Index(raw, "://")
	if k < 0 {
		return 0, 0, false
	}
	start := k + 3
	rest := raw[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return 0, 0, false
	}
	c := strings.Index(rest[:at], ":")
	if c < 0 {
		return 0, 0, false
	}
	return start + c + 1, start + at, true
}

// passwords returns the password(s) written in a database address, raw
// and unescaped, so that they can be removed from error texts.
func passwords(raw string) []string {
	var out []string
	add := func(p string) {
		p = strings.Trim(p, "'")
		if len(p) < 3 {
			return // too short to remove without mangling the message
		}
		out = append(out, p)
		if u, err := url.QueryUnescape(p); err == nil && u != p {
			out = append(out, u)
		}
		if u, err := url.PathUnescape(p); err == nil && u != p {
			out = append(out, u)
		}
	}
	if i, j, ok := userinfoPassword(raw); ok {
		add(raw[i:j])
	}
	for _, m := range passwordParam.FindAllStringSubmatch(raw, -1) {
		add(m[2])
	}
	return out
}

// scrubbed is an error whose text has the database password removed; it
// still unwraps to the original for errors.Is and errors.As.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub removes the password of the database URL from err's text.
func scrub(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, p := range passwords(rawURL) {
		if strings.Contains(msg, p) {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &scrubbed{msg: msg, err: err}
}

// tx runs f in a transaction, committing when f returns nil. Deadlocks
// and serialization failures (possible when replicas race on the same
// rows) are retried a few times.
func (s *Store) tx(ctx context.Context, f func(tx pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, f)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		s.logger.Debug("postgres_tx_retry", slog.Any("error", err), slog.Int("attempt", attempt+1))
	}
	return err
}

// retryable reports whether err is a deadlock or serialization failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// Times: Go's zero time is stored as 0001-01-01 00:00:00 UTC (which is
// what pgx writes for it) and read back as the zero time; every time is
// returned in UTC. PostgreSQL keeps microseconds.

func goTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// dbTime is the value written for t: microseconds, UTC.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// prefixed qualifies each column of a comma-separated list with p ("f.").
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
