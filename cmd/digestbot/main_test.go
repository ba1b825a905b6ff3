package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

const sampleFeed = "../../testdata/sample-feed.xml"

// digestbot runs a command line with the given variables and returns its
// exit status, stdout and stderr.
func digestbot(t testing.TB, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	code := run(context.Background(), args, env{stdout: &out, stderr: &errb, lookup: lookup})
	return code, out.String(), errb.String()
}

func quickstart(t *testing.T) map[string]string {
	return map[string]string{
		"DIGESTBOT_FEED_URL":  sampleFeed,
		"DIGESTBOT_DB":        filepath.Join(t.TempDir(), "bot.db"),
		"DIGESTBOT_HTTP_ADDR": "off",
	}
}

func TestRunOnceDeliversOnce(t *testing.T) {
	vars := quickstart(t)
	code, out, stderr := digestbot(t, vars, "run", "--once")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The newest of three issues, lead then six roundup items, in a thread.
	if n := strings.Count(out, "── The Watershed Digest"); n != 1 {
		t.Errorf("%d lead posts, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "↳ Roundup"); n != 6 {
		t.Errorf("%d roundup posts, want 6", n)
	}
	if !strings.Contains(out, "SMALL TOWNS ARE RUNNING OUT") {
		t.Errorf("newest issue missing:\n%s", out)
	}
	code, out, stderr = digestbot(t, vars, "run", "--once")
	if code != 0 || out != "" {
		t.Fatalf("second run: exit %d, printed %q (%s)", code, out, stderr)
	}
	code, out, _ = digestbot(t, vars, "status")
	if code != 0 || !strings.Contains(out, "Outbox: 7 sent, 0 failed, 0 removed, 0 in flight") ||
		!regexp.MustCompile(`(?m)^console +0 +0 +- +just now +-$`).MatchString(out) || !strings.Contains(out, "sample-feed.xml  3") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
}

func TestPreviewJSON(t *testing.T) {
	code, out, stderr := digestbot(t, nil, "preview", "--json", sampleFeed)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var issues []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &issues); err != nil {
		t.Fatal(err)
	}
	if len(issues) != 3 {
		t.Fatalf("%d issues, want 3", len(issues))
	}
	var keys []string
	for k := range issues[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"guid", "image", "lead", "link", "published", "roundup", "sections", "split", "standfirst", "title"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	var item []map[string]any
	json.Unmarshal(issues[0]["roundup"], &item)
	if len(item) != 6 || item[0]["url"] != "https://basin.example.com/news/open-flood-maps" {
		t.Errorf("roundup %v", item)
	}
	if string(issues[0]["published"]) != `"2026-03-12T08:30:00Z"` {
		t.Errorf("published %s", issues[0]["published"])
	}
}

func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		args []string
		vars map[string]string
		code int
		want string
	}{
		{[]string{"frobnicate"}, nil, 2, `unknown command "frobnicate"`},
		{[]string{"preview"}, nil, 2, "Usage: digestbot preview"},
		{[]string{"preview", "testdata/missing.xml"}, nil, 1, "missing.xml"},
		{[]string{"search", "--limit", "0", "x"}, nil, 1, "--limit 0"},
		{[]string{"run", "--once"}, map[string]string{}, 1, "feed"},
		{[]string{"config", "check"}, map[string]string{
			"DIGESTBOT_FEED_URL": "ftp://x", "DIGESTBOT_SLACK_BOT_TOKEN": "not-a-token-s3cret", "DIGESTBOT_SLACK_CHANNEL": "C0123ABCD",
		}, 1, "DIGESTBOT_SLACK_BOT_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, stderr := digestbot(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if strings.Contains(out+stderr, "s3cret") {
				t.Errorf("a secret was printed:\n%s\n%s", out, stderr)
			}
		})
	}
}

func TestSearchAndLatest(t *testing.T) {
	vars := quickstart(t)
	if code, _, stderr := digestbot(t, vars, "run", "--once"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := digestbot(t, vars, "search", "--json", "flood", "maps")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var hits []map[string]string
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) == 0 {
		t.Fatalf("hits %v, %v", hits, err)
	}
	h := hits[0]
	if h["part"] != "roundup" || h["url"] != "https://basin.example.com/news/open-flood-maps" || h["issue_guid"] == "" || h["published"] == "" {
		t.Errorf("first hit %v", h)
	}
	if code, out, _ := digestbot(t, vars, "search", `"unbalanced`, "NEAR(", "*"); code != 0 || !strings.Contains(out, `Search: "unbalanced near"`) {
		t.Errorf("hostile query: exit %d\n%s", code, out)
	}
	if code, _, stderr := digestbot(t, vars, "search", "-only"); code != 1 || !strings.Contains(stderr, "nothing to search for") {
		t.Errorf("empty query: exit %d %s", code, stderr)
	}
	code, out, _ = digestbot(t, vars, "search", "flood", "-maps", "--limit", "3", "--json")
	if code != 0 || strings.Contains(out, "open-flood-maps") {
		t.Errorf("flood -maps: exit %d\n%s", code, out)
	}
	code, out, _ = digestbot(t, vars, "latest", "--json")
	if code != 0 || !strings.Contains(out, `"title": "Small towns are running out of people who can run a water plant"`) {
		t.Errorf("latest: exit %d\n%s", code, out)
	}
}

// TestHTTPServer checks the service's routes with a signed Slack slash
// command going through the real handler to the archive.
func TestHTTPServer(t *testing.T) {
	vars := quickstart(t)
	if code, _, stderr := digestbot(t, vars, "run", "--once"); code != 0 {
		t.Fatal(stderr)
	}
	const secret = "test-signing-secret"
	vars["DIGESTBOT_HTTP_ADDR"] = "127.0.0.1:0"
	vars["DIGESTBOT_SLACK_SIGNING_SECRET"] = secret
	vars["DIGESTBOT_SLACK_COMMANDS"] = "http"
	e := env{stdout: io.Discard, stderr: io.Discard, lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	cfg, err := loadConfig("", e)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, e, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	var ready atomic.Bool
	srv, ln, err := a.httpServer(&ready)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz before start: %d, want 503", code)
	}
	ready.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz %d", code)
	}

	slash := func(text string, sign bool) (int, string) {
		key := secret
		if !sign {
			key = "" // no signature
		}
		code, b := slackPost(t, base+"/slack/commands", key, url.Values{"command": {"/digest"}, "text": {text},
			"user_id": {"U1"}, "channel_id": {"C1"}, "response_url": {"https://hooks.slack.com/commands/x"}})
		return code, string(b)
	}
	if code, body := slash("search flood maps", true); code != 200 || !strings.Contains(body, "open-flood-maps") {
		t.Errorf("signed search: %d %s", code, body)
	}
	if code, _ := slash("latest", false); code != 401 {
		t.Errorf("unsigned command: %d, want 401", code)
	}
	// Share buttons: POST /slack/interactions checks the same signature.
	press := func(payload string, sign bool) int {
		key := secret
		if !sign {
			key = ""
		}
		code, _ := slackPost(t, base+"/slack/interactions", key, url.Values{"payload": {payload}})
		return code
	}
	if code := press(`{"type":"block_actions","actions":[{"action_id":"other"}]}`, false); code != 401 {
		t.Errorf("unsigned interaction: %d, want 401", code)
	}
	if code := press(`{"type":"block_actions","actions":[{"action_id":"other"}]}`, true); code != 200 {
		t.Errorf("signed interaction with an unknown action: %d, want 200", code)
	}
	// The same search again comes from the reply cache, on the request's
	// goroutine, and is observed before its answer is sent; the first one
	// is observed when its handler goroutine ends, which may be later.
	if code, body := slash("search Flood  maps", true); code != 200 || !strings.Contains(body, "open-flood-maps") {
		t.Errorf("cached search: %d %s", code, body)
	}
	seen := regexp.MustCompile(`digestbot_command_duration_seconds_count\{command="search",platform="slack"\} [12]\n`)
	if code, body := get("/metrics"); code != 200 || !seen.MatchString(body) {
		t.Errorf("/metrics %d lacks the command latency:\n%.2000s", code, body)
	}
}

func TestPreviewExplain(t *testing.T) {
	code, out, stderr := digestbot(t, nil, "preview", "--explain", sampleFeed)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`feed ` + sampleFeed + `: "The Watershed Digest", 3 issues`,
		`issue 1: "Small towns are running out of people who can run a water plant"`,
		`section (unnamed) started by the built-in marker "Here's a roundup of other noteworthy news and initiatives:"`,
		`lead: 6 paragraphs; 6 items`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
