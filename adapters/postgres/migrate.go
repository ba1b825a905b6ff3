package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"digestbot/bot/migrate"
)

// Migrations are the files migrations/NNNN_name.sql, applied by the shared
// runner (bot/migrate): every one not yet recorded in schema_migrations,
// in order of NNNN. A released migration is never edited: changes go in a
// new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations is the directory of migration files.
func migrations() fs.FS { return migrate.Dir(migrationFiles, "migrations") }

// migrateLockKey is the pg_advisory_xact_lock key that serialises
// migrations of replicas starting at the same time ("digestbt" in ASCII).
const migrateLockKey int64 = 0x6469676573746274

var dialect = migrate.Dialect{
	Name: "postgres",
	CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name    text NOT NULL,
		applied timestamptz NOT NULL DEFAULT now()
	)`,
	Record: `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)`,
}

// migrate applies pending migrations in one transaction holding a
// transaction-level advisory lock: replicas starting together wait for
// the first one, then find nothing left to do. A failed migration rolls
// back whole.
func (s *Store) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		return migrate.Run(ctx, migrateTx{tx}, dialect, migrations(), s.logger)
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", s.where, err)
	}
	var folding bool
	if err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM pg_ts_config_map m
			JOIN pg_ts_config c ON c.oid = m.mapcfg
			JOIN pg_ts_dict d ON d.oid = m.mapdict
			WHERE c.cfgname = 'digestbot_english' AND d.dictname = 'unaccent')`).Scan(&folding); err == nil && !folding {
		s.logger.Info("postgres_search_without_unaccent",
			slog.String("hint", "install postgresql-contrib and see docs/postgres.md to fold accents in search"))
	}
	return nil
}

// checkSchema refuses, without writing, a database whose schema is not
// this program's (bot/migrate.Check): OpenReadOnly's test.
func (s *Store) checkSchema(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, migrate.VersionsQuery)
	var applied []int
	if err == nil {
		applied, err = pgx.CollectRows(rows, pgx.RowTo[int])
	}
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "42P01" /* undefined_table */ {
		return fmt.Errorf("postgres: %s: no digestbot tables in this database yet: run `digestbot run --once` or `digestbot backfill FEED` first (or check DIGESTBOT_DB)", s.where)
	}
	if err == nil {
		err = migrate.Check(migrations(), applied)
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", s.where, err)
	}
	return nil
}

// migrateTx is a pgx.Tx as the migration runner uses it.
type migrateTx struct{ tx pgx.Tx }

func (t migrateTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.Exec(ctx, query, args...)
	return err
}

func (t migrateTx) Versions(ctx context.Context, query string) ([]int, error) {
	rows, err := t.tx.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}
