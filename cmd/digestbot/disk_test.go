package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tmpfs mounts a small tmpfs, or skips where that is not allowed.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): run the tests as root to cover this", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestDiskFullReadyzAndAlert: with the disk full, a poll cannot archive:
// /readyz answers 503 naming "no space left on device", one alert says so,
// and the status of the archive still reads.
func TestDiskFullReadyzAndAlert(t *testing.T) {
	dir := tmpfs(t, "2m")
	vars := quickstart(t)
	vars["DIGESTBOT_DB"] = filepath.Join(dir, "bot.db")
	vars["DIGESTBOT_HTTP_ADDR"] = "127.0.0.1:0"
	vars["DIGESTBOT_ALERTS_CHANNEL"] = "console"
	var out, logs bytes.Buffer
	e := env{stdout: &out, stderr: &logs, lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	cfg, err := loadConfig("", e)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, e, newLogger(cfg, &logs))
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	if err := a.poller.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	if err := a.runOnce(context.Background()); err == nil {
		t.Fatal("run --once archived on a full disk")
	}
	var ready atomic.Bool
	ready.Store(true)
	srv, ln, err := a.httpServer(&ready)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "no space left on device") {
		t.Errorf("/readyz = %d %q, want 503 naming the full disk", resp.StatusCode, body)
	}
	if n := strings.Count(out.String(), "[alert] 🛑 The database refuses writes: no space left on device"); n != 1 {
		t.Errorf("%d store alerts, want 1:\n%s", n, out.String())
	}
	// A restart on the full disk says so too, not "disk I/O error".
	vars["DIGESTBOT_DB"] = filepath.Join(dir, "other.db")
	code, _, stderr := digestbot(t, vars, "run", "--once")
	if code != 1 || !strings.Contains(stderr, "no space left on device") {
		t.Errorf("run --once on a full disk: exit %d, %s", code, stderr)
	}
}

// TestReadOnlyVolumeCommands: status, search and latest work on a
// read-only volume; run refuses, naming it.
func TestReadOnlyVolumeCommands(t *testing.T) {
	dir := tmpfs(t, "8m")
	vars := quickstart(t)
	vars["DIGESTBOT_DB"] = filepath.Join(dir, "bot.db")
	if code, _, stderr := digestbot(t, vars, "run", "--once"); code != 0 {
		t.Fatal(stderr)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v %s", err, out)
	}
	for _, args := range [][]string{{"status"}, {"search", "flood"}, {"latest"}} {
		code, out, stderr := digestbot(t, vars, args...)
		if code != 0 || out == "" {
			t.Errorf("%v on a read-only volume: exit %d\n%s", args, code, stderr)
		}
	}
	code, _, stderr := digestbot(t, vars, "run", "--once")
	if code != 1 || !strings.Contains(stderr, "read-only") {
		t.Errorf("run --once on a read-only volume: exit %d, %s", code, stderr)
	}
}
