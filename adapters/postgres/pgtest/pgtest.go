// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb
// and pg_ctl from the system (PATH, then Debian's
// /usr/lib/postgresql/<version>/bin), fsync off, a unix socket in a temp
// directory and no TCP. As root the server runs as the postgres user
// (initdb refuses root). PG_TEST_URL, a postgres:// URL of a server you
// own, is used instead when set.
//
// It is shared by the store's tests (adapters/postgres) and the crash test
// of the real binary (cmd/digestbot). Test support only: standard library
// and pgx.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL server the tests may create databases in.
type Server struct {
	// URL is the server's base URL, database "postgres".
	URL string
	seq atomic.Int64
}

// Start finds or starts a server. With no server to be had it returns a
// nil Server and the reason, for the tests to skip with; err is a server
// that would not start. stop shuts a started cluster down and removes its
// files (a no-op for PG_TEST_URL); call it once.
func Start() (s *Server, stop func(), skip string, err error) {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return &Server{URL: u}, func() {}, "", nil
	}
	bin, ok := FindBin()
	if !ok {
		return nil, func() {}, "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (apt-get install postgresql) or set PG_TEST_URL=postgres://user:pass@host/postgres", nil
	}
	var cred *syscall.Credential
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the server as the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, func() {}, "running as root and there is no postgres user to run initdb as: run the tests as another user, or set PG_TEST_URL", nil
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
		return nil, nil, "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, nil, "", err
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, nil, "", err
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
		return nil, nil, "", err
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB", dir)
	if err := run("pg_ctl", "start", "-w", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, nil, "", fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	s = &Server{URL: "postgres://postgres@/postgres?host=" + url.QueryEscape(dir)}
	return s, func() {
		if err := run("pg_ctl", "stop", "-m", "immediate", "-D", data); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop cluster:", err)
		}
		os.RemoveAll(dir)
	}, "", nil
}

// FindBin returns the directory holding initdb and pg_ctl: PATH first,
// then Debian's /usr/lib/postgresql/<version>/bin, newest version first.
func FindBin() (string, bool) {
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

// NewDatabase creates an empty database t_<pid>_<n> and returns its URL.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", fmt.Errorf("pgtest: connect to the test server: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), s.seq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 STRATEGY FILE_COPY"); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return "", fmt.Errorf("pgtest: server URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
