package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// chatFake is a Slack Web API stand-in that records every request body:
// what the bot says in chat.
type chatFake struct {
	mu   sync.Mutex
	seen bytes.Buffer
	srv  *httptest.Server
}

func newChatFake(t *testing.T) *chatFake {
	f := &chatFake{}
	var ts atomic.Int64
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		f.mu.Lock()
		f.seen.WriteString(r.URL.String() + "\n")
		// The token is sent to the platform as it must be; what the
		// channel shows is the rest.
		f.seen.Write(bytes.ReplaceAll(b, []byte(r.FormValue("token")), nil))
		f.seen.WriteString("\n")
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "chat.postMessage"):
			n := ts.Add(1)
			io.WriteString(w, `{"ok":true,"channel":"C0123ABCD","ts":"1700000000.`+strconv.FormatInt(100000+n, 10)+`"}`)
		default:
			io.WriteString(w, `{"ok":true,"messages":[]}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *chatFake) said() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen.String()
}

// TestNoSecretInAnyOutput puts credentials and query secrets into every
// setting that takes a URL or an address (none of them secret keys) and
// checks that no output shows them: stdout, stderr and logs of config
// check, run --once, status and backfill, what the bot says in chat (posts
// and a /digest feeds reply) and /metrics.
func TestNoSecretInAnyOutput(t *testing.T) {
	const secret = "S3CR3T"
	feedXML, err := os.ReadFile(sampleFeed)
	if err != nil {
		t.Fatal(err)
	}
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/good" {
			w.Write(feedXML)
			return
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer feedSrv.Close()
	chat := newChatFake(t)
	host := strings.TrimPrefix(feedSrv.URL, "http://")
	good := "http://reader:" + secret + "1@" + host + "/good?format=rss&token=" + secret + "2"
	bad := "http://" + secret + "3tokenasuser@" + host + "/bad?api_key=" + secret + "4&sig=" + secret + "5"
	b := newTestBot(t, "") // the fake feed server listens on 127.0.0.1
	b.writeConfig("feeds:\n  - url: " + good + "\n  - url: " + bad + "\nchannels:\n  - name: team\n    platform: slack\n    id: C0123ABCD\n    layout: combined\n")
	apiURL := strings.Replace(chat.srv.URL, "http://", "http://apiuser:"+secret+"6@", 1) + "/api/"
	for k, v := range map[string]string{
		"DIGESTBOT_HTTP_ADDR":            "127.0.0.1:0",
		"DIGESTBOT_SLACK_BOT_TOKEN":      "xoxb-1-" + secret + "7",
		"DIGESTBOT_SLACK_SIGNING_SECRET": secret + "8",
		"DIGESTBOT_SLACK_COMMANDS":       "http",
		"DIGESTBOT_SLACK_API_URL":        apiURL,
		"DIGESTBOT_USER_AGENT":           "digestbot-test (+https://ua:" + secret + "11@example.org/?key=" + secret + "12)",
		"DIGESTBOT_LOG_LEVEL":            "debug",
	} {
		b.vars[k] = v
	}
	var all strings.Builder
	record := func(what string, code int, out, stderr string) {
		all.WriteString("== " + what + " exit " + strconv.Itoa(code) + "\n" + out + stderr)
	}
	for i, db := range []string{"postgres://bot:" + secret + "13@db:5432/x?sslmode=disable", "host=db user=bot password=" + secret + "14", b.vars["DIGESTBOT_DB"]} {
		v := clone(b.vars)
		v["DIGESTBOT_DB"] = db
		v["DIGESTBOT_DISCORD_API_URL"] = "https://du:" + secret + "9@discord.example/api/v10/?token=" + secret + "10"
		code, out, stderr := digestbot(t, v, "config", "check", "--config", b.cfg)
		record("config check db #"+strconv.Itoa(i), code, out, stderr)
	}
	code, out, stderr := b.cmd("run", "--once")
	record("run --once", code, out, stderr)
	if code == 0 {
		t.Errorf("run --once with a failing feed exited 0")
	}
	if !strings.Contains(chat.said(), "chat.postMessage") {
		t.Errorf("nothing was posted to the chat fake:\n%s", stderr)
	}
	code, out, stderr = b.cmd("status")
	record("status", code, out, stderr)
	if !strings.Contains(out, "/bad?api_key=xxxxx&sig=xxxxx") {
		t.Errorf("status does not show the failing feed redacted:\n%s", out)
	}
	code, out, stderr = b.cmd("backfill", good)
	record("backfill", code, out, stderr)

	// /digest feeds over the HTTP endpoint, and /metrics.
	var logs bytes.Buffer
	a := b.appLogging(&logs)
	defer a.close()
	base := a.serve()
	form := url.Values{"command": {"/digest"}, "text": {"feeds"}, "user_id": {"U1"}, "channel_id": {"C1"},
		"response_url": {chat.srv.URL + "/response"}}
	status, reply := slackPost(t, base+"/slack/commands", secret+"8", form)
	record("/digest feeds", status, string(reply), "")
	if !strings.Contains(string(reply)+chat.said(), "/bad?") || !strings.Contains(string(reply)+chat.said(), "sig=xxxxx") {
		t.Errorf("/digest feeds does not show the untitled feed redacted:\n%s", reply)
	}
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsBody, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	record("/metrics", mresp.StatusCode, string(metricsBody), "")
	record("logs", 0, logs.String(), "")
	record("chat", 0, chat.said(), "")

	if i := strings.Index(all.String(), secret); i >= 0 {
		s := all.String()
		lo, hi := max(0, i-300), min(len(s), i+100)
		t.Errorf("a secret was shown:\n…%s…", s[lo:hi])
	}
}
