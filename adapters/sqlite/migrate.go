package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

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

var dialect = migrate.Dialect{
	Name: "sqlite",
	CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied INTEGER NOT NULL
	)`,
	Record: `INSERT INTO schema_migrations(version, name, applied) VALUES (?, ?, ?)`,
	Time:   func(t time.Time) any { return dbTime(t) },
}

// migrate applies pending migrations in one IMMEDIATE transaction, so two
// processes opening a new file at once apply them once.
func (s *Store) migrate(ctx context.Context) error {
	// WAL mode cannot change inside a transaction; the DSN asked for it,
	// this makes sure the first connection has run it.
	if _, err := s.w.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		return fmt.Errorf("sqlite: migrate: set WAL mode: %w", err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := migrate.Run(ctx, migrateTx{tx}, dialect, migrations(), s.logger); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		return nil
	})
}

// migrateTx is a *sql.Tx as the migration runner uses it.
type migrateTx struct{ tx *sql.Tx }

func (t migrateTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, query, args...)
	return err
}

func (t migrateTx) Versions(ctx context.Context, query string) ([]int, error) {
	return ints(queryIDs(ctx, t.tx, query))
}

// versions reads the schema versions recorded in the database.
func versions(ctx context.Context, db *sql.DB) ([]int, error) {
	return ints(queryIDs(ctx, db, migrate.VersionsQuery))
}

func ints(ids []int64, err error) ([]int, error) {
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, nil
}
