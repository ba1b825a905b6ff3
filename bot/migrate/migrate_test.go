package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// fakeTx records statements and keeps schema_migrations in memory.
type fakeTx struct {
	recorded []int
	ran      []string
	fail     string // a script that fails
}

func (f *fakeTx) Exec(_ context.Context, q string, args ...any) error {
	if q == f.fail {
		return errors.New("syntax error")
	}
	if q == "RECORD" {
		f.recorded = append(f.recorded, args[0].(int))
		return nil
	}
	f.ran = append(f.ran, q)
	return nil
}

func (f *fakeTx) Versions(context.Context, string) ([]int, error) {
	return slices.Clone(f.recorded), nil
}

var testDialect = Dialect{Name: "fake", CreateTable: "CREATE", Record: "RECORD", Time: func(t time.Time) any { return t.Unix() }}

func files(names ...string) fstest.MapFS {
	fs := fstest.MapFS{}
	for _, n := range names {
		fs[n] = &fstest.MapFile{Data: []byte("-- " + n)}
	}
	return fs
}

// Every migration not yet recorded is applied, in order, including one
// numbered below a recorded version (migrations from parallel branches).
func TestRunAppliesEveryMissingMigrationInOrder(t *testing.T) {
	tx := &fakeTx{recorded: []int{1, 3}}
	fsys := files("0001_init.sql", "0004_d.sql", "0002_b.sql", "0003_c.sql", "README")
	if err := Run(context.Background(), tx, testDialect, fsys, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(tx.ran, ","), "CREATE,-- 0002_b.sql,-- 0004_d.sql"; got != want {
		t.Errorf("ran %s, want %s", got, want)
	}
	if fmt.Sprint(tx.recorded) != "[1 3 2 4]" {
		t.Errorf("recorded %v", tx.recorded)
	}
	// Again: nothing to do.
	tx.ran = nil
	if err := Run(context.Background(), tx, testDialect, fsys, nil); err != nil || len(tx.ran) != 1 {
		t.Errorf("second run: %v, ran %v", err, tx.ran)
	}
}

func TestRunRefusesUnknownVersions(t *testing.T) {
	tx := &fakeTx{recorded: []int{1, 9999}}
	err := Run(context.Background(), tx, testDialect, files("0001_init.sql", "0002_b.sql"), nil)
	if err == nil || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade digestbot") {
		t.Errorf("err %v, want a refusal naming 9999", err)
	}
	if len(tx.ran) != 1 {
		t.Errorf("ran %v before refusing", tx.ran)
	}
}

func TestRunNamesTheFailedMigration(t *testing.T) {
	tx := &fakeTx{fail: "-- 0002_b.sql"}
	err := Run(context.Background(), tx, testDialect, files("0001_init.sql", "0002_b.sql", "0003_c.sql"), nil)
	if err == nil || !strings.Contains(err.Error(), "apply 0002_b.sql") {
		t.Errorf("err %v", err)
	}
	if fmt.Sprint(tx.recorded) != "[1]" {
		t.Errorf("recorded %v", tx.recorded)
	}
}

func TestLoadRejectsBadNames(t *testing.T) {
	for _, fsys := range []fstest.MapFS{files("init.sql"), files("0000_zero.sql"), files("0001_a.sql", "0001_b.sql"), files("x1_a.sql")} {
		if _, err := Load(fsys); err == nil {
			t.Errorf("Load(%v) accepted", fsys)
		}
	}
}

// Check decides as Run does, without a transaction: what Run would apply
// is a refusal naming it, what Run refuses is refused.
func TestCheck(t *testing.T) {
	fsys := files("0001_init.sql", "0002_b.sql", "0003_c.sql")
	if err := Check(fsys, []int{3, 1, 2}); err != nil {
		t.Errorf("Check of an up-to-date database: %v", err)
	}
	err := Check(fsys, []int{1, 3})
	if !errors.Is(err, ErrPending) || !strings.Contains(err.Error(), "missing 0002_b.sql)") || !strings.Contains(err.Error(), "digestbot run --once") {
		t.Errorf("Check of a database without 0002: %v, want ErrPending naming 0002_b.sql", err)
	}
	err = Check(fsys, []int{1, 2, 3, 9999})
	if err == nil || errors.Is(err, ErrPending) || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade digestbot") {
		t.Errorf("Check of a newer database: %v, want a refusal naming 9999", err)
	}
	if err := Check(files("init.sql"), nil); err == nil {
		t.Error("Check accepted a badly named migration")
	}
	ms, err := Pending(fsys, []int{2})
	if err != nil || len(ms) != 2 || ms[0].Name != "0001_init.sql" || ms[1].Name != "0003_c.sql" {
		t.Errorf("Pending = %v, %v; want 0001 and 0003", ms, err)
	}
}
