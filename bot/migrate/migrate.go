// Package migrate is the one schema migration runner of the SQL stores
// (adapters/sqlite, adapters/postgres), like river's rivermigrate: each
// store embeds its migrations as files NNNN_name.sql and hands them over
// as an fs.FS, with its dialect; the runner decides what to apply.
//
// A migration is applied once, and every migration the database has not
// recorded is applied, in version order, even one numbered below a
// version already recorded (migrations written on parallel branches land
// in any order). A database that has recorded a version this program does
// not know was migrated by a newer digestbot and is refused. A released
// migration is never edited: changes go in a new file.
//
// Standard library only.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one file NNNN_name.sql.
type Migration struct {
	Version int    // NNNN
	Name    string // the file's name
	SQL     string
}

// Load reads the migrations *.sql at the root of fsys, in version order.
// A file not named NNNN_name.sql, or two files with one number, is an
// error.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// Dir returns the directory dir of fsys, the store's embedded migration
// files. It panics when dir is not a valid path: a build mistake.
func Dir(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("migrate: %v", err))
	}
	return sub
}

// Tx is the transaction the runner works in, as each store provides it.
// The store makes sure no other process migrates meanwhile (SQLite: a
// write transaction; PostgreSQL: an advisory lock) and commits when Run
// succeeds.
type Tx interface {
	// Exec runs one statement, or a migration's script.
	Exec(ctx context.Context, query string, args ...any) error
	// Versions runs query and returns the one integer column of its rows.
	Versions(ctx context.Context, query string) ([]int, error)
}

// Dialect is what differs between the stores' SQL.
type Dialect struct {
	// Name names the store in logs ("sqlite" logs sqlite_migration_applied).
	Name string
	// CreateTable creates schema_migrations(version, name, applied) if it
	// does not exist.
	CreateTable string
	// Record inserts one row; its parameters are the version, the name and
	// the time applied.
	Record string
	// Time converts the time applied to what Record stores; nil passes a
	// time.Time.
	Time func(time.Time) any
}

// Run applies to tx every migration of fsys that the database has not
// recorded, in version order, and records each. Errors name the
// migration; the store wraps them with its own name.
func Run(ctx context.Context, tx Tx, d Dialect, fsys fs.FS, log *slog.Logger) error {
	ms, err := Load(fsys)
	if err != nil {
		return err
	}
	if err := tx.Exec(ctx, d.CreateTable); err != nil {
		return fmt.Errorf("create schema_migrations (may this role create tables in the database?): %w", err)
	}
	recorded, err := tx.Versions(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
	}
	done := map[int]bool{}
	for _, v := range recorded {
		done[v] = true
		if !known[v] {
			newest := 0
			if len(ms) > 0 {
				newest = ms[len(ms)-1].Version
			}
			return fmt.Errorf("the database has schema version %d, which this program (newest %d) does not know: it is newer than this program: upgrade digestbot", v, newest)
		}
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply %s: %w", m.Name, err)
		}
		var at any = time.Now()
		if d.Time != nil {
			at = d.Time(time.Now())
		}
		if err := tx.Exec(ctx, d.Record, m.Version, m.Name, at); err != nil {
			return fmt.Errorf("record %s: %w", m.Name, err)
		}
		if log != nil {
			log.Info(d.Name+"_migration_applied", slog.Int("version", m.Version), slog.String("name", m.Name))
		}
	}
	return nil
}
