package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Migrations are the files migrations/NNNN_name.sql, applied in order of
// NNNN and recorded in schema_migrations. A released migration is never
// edited: changes go in a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the pg_advisory_xact_lock key that serialises
// migrations of replicas starting at the same time ("digestbt" in ASCII).
const migrateLockKey int64 = 0x6469676573746274

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies pending migrations in one transaction holding a
// transaction-level advisory lock: replicas starting together wait for
// the first one, then find nothing left to do. A failed migration rolls
// back whole.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", s.where, err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY,
			name    text NOT NULL,
			applied timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations (may this role create tables in the database?): %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
		if len(ms) > 0 && current > ms[len(ms)-1].version {
			return fmt.Errorf("the database is at schema version %d, newer than this program's %d: upgrade digestbot", current, ms[len(ms)-1].version)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("record %s: %w", m.name, err)
			}
			s.logger.Info("postgres_migration_applied", slog.Int("version", m.version), slog.String("name", m.name))
		}
		return nil
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
