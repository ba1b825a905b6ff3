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
// Run migrates; Check is the same decision for a store opened read-only,
// which writes nothing and refuses a schema that Run would change.
//
// Standard library only.
package migrate

import (
	"context"
	"errors"
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

// VersionsQuery reads the recorded versions from schema_migrations.
const VersionsQuery = `SELECT version FROM schema_migrations`

// ErrPending is wrapped by Check's error for a database that lacks
// migrations of this program.
var ErrPending = errors.New("migrations pending")

// Pending returns the migrations of fsys that applied (the versions a
// database recorded) lacks, in version order. A recorded version that
// fsys does not have is an error: the database was migrated by a newer
// program.
func Pending(fsys fs.FS, applied []int) ([]Migration, error) {
	ms, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	return pending(ms, applied)
}

// pending is Pending of the loaded migrations ms.
func pending(ms []Migration, applied []int) ([]Migration, error) {
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
		if !known[v] {
			newest := 0
			if len(ms) > 0 {
				newest = ms[len(ms)-1].Version
			}
			return nil, fmt.Errorf("the database has schema version %d, which this program (newest %d) does not know: it is newer than this program: upgrade digestbot", v, newest)
		}
	}
	var out []Migration
	for _, m := range ms {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}

// Check is Pending for a database opened read-only: nil when applied
// holds every migration of fsys; Pending's error for a newer database;
// for an older one an error wrapping ErrPending that names the missing
// migrations and what to run.
func Check(fsys fs.FS, applied []int) error {
	missing, err := Pending(fsys, applied)
	if err != nil || len(missing) == 0 {
		return err
	}
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = m.Name
	}
	return pendingError(names)
}

// pendingError names the migrations a database lacks; it is ErrPending.
type pendingError []string

func (e pendingError) Error() string {
	return fmt.Sprintf("the database's schema is older than this digestbot (missing %s): run `digestbot run --once` once with write access to upgrade it, then read it again",
		strings.Join(e, ", "))
}

func (e pendingError) Is(target error) bool { return target == ErrPending }

// Run applies to tx every migration of fsys that the database has not
// recorded (Pending), in version order, and records each. Errors name the
// migration; the store wraps them with its own name.
func Run(ctx context.Context, tx Tx, d Dialect, fsys fs.FS, log *slog.Logger) error {
	ms, err := Load(fsys)
	if err != nil {
		return err
	}
	if err := tx.Exec(ctx, d.CreateTable); err != nil {
		return fmt.Errorf("create schema_migrations (may this role create tables in the database?): %w", err)
	}
	recorded, err := tx.Versions(ctx, VersionsQuery)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	todo, err := pending(ms, recorded)
	if err != nil {
		return err
	}
	for _, m := range todo {
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
