package postgres

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tests run against a real PostgreSQL: TestMain starts one throwaway
// cluster (initdb + pg_ctl, fsync off, a unix socket in a temp dir) for the
// whole test binary and every test gets a fresh database in it. Set
// PG_TEST_URL to a postgres:// URL of a server you own to use it instead
// (each test creates and leaves a database t_<pid>_<n> there).

var (
	testServer     string // base URL of the server, database "postgres"
	testSkipReason string // why the tests skip, when no server is available
	dbSeq          atomic.Int64
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

// startCluster finds or starts the server the tests use and returns how
// to stop it.
func startCluster() (stop func(), err error) {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		testServer = u
		return func() {}, nil
	}
	bin, ok := findPGBin()
	if !ok {
		testSkipReason = "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (apt-get install postgresql) or set PG_TEST_URL=postgres://user:pass@host/postgres"
		return func() {}, nil
	}
	var cred *syscall.Credential
	var uid, gid int = -1, -1
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the server as the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			testSkipReason = "running as root and there is no postgres user to run initdb as: run the tests as another user, or set PG_TEST_URL"
			return func() {}, nil
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// Under /tmp when root, so the postgres user can reach it ($TMPDIR may
	// sit in a home directory it cannot enter).
	parent := ""
	if uid >= 0 {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "digestbot-pg-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %v: %w\n%s", name, args, err, out.Bytes())
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB", dir)
	if err := run("pg_ctl", "start", "-w", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	testServer = "postgres://postgres@/postgres?host=" + url.QueryEscape(dir)
	return func() {
		if err := run("pg_ctl", "stop", "-m", "immediate", "-D", data); err != nil {
			fmt.Fprintln(os.Stderr, "postgres tests: stop cluster:", err)
		}
		os.RemoveAll(dir)
	}, nil
}

// findPGBin returns the directory holding initdb and pg_ctl: PATH first,
// then Debian's /usr/lib/postgresql/<version>/bin, newest version first.
func findPGBin() (string, bool) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, true
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, true
		}
	}
	return "", false
}

// newDatabase creates an empty database for one test and returns its URL.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	if testServer == "" {
		tb.Skip(testSkipReason)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testServer)
	if err != nil {
		tb.Fatalf("connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 STRATEGY FILE_COPY"); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	u, err := url.Parse(testServer)
	if err != nil {
		tb.Fatalf("test server URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
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
