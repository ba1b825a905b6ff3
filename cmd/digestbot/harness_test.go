package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/adapters/slack"
	"digestbot/bot"
)

// testBot is a bot's surroundings for end-to-end tests: a temporary
// directory with its database and digestbot.yaml, and the environment the
// commands see (vars, edit it before running anything).
type testBot struct {
	t    testing.TB
	dir  string
	cfg  string            // path of digestbot.yaml once written, else ""
	vars map[string]string // DIGESTBOT_* environment
}

// newTestBot: a SQLite database in a temporary directory, no HTTP server,
// feeds on 127.0.0.1 allowed (the fakes), and feedURL as the feed ("" for
// none: the config names them).
func newTestBot(t testing.TB, feedURL string) *testBot {
	dir := t.TempDir()
	b := &testBot{t: t, dir: dir, vars: map[string]string{
		"DIGESTBOT_DB":                  filepath.Join(dir, "bot.db"),
		"DIGESTBOT_HTTP_ADDR":           "off",
		"DIGESTBOT_ALLOW_PRIVATE_FEEDS": "true",
	}}
	if feedURL != "" {
		b.vars["DIGESTBOT_FEED_URL"] = feedURL
	}
	return b
}

// chat points the bot's platform ("slack" or "discord") at a fake API
// served at base, with a test token and chat commands off.
func (b *testBot) chat(platform, base string) {
	switch platform {
	case "slack":
		b.vars["DIGESTBOT_SLACK_BOT_TOKEN"] = "xoxb-test"
		b.vars["DIGESTBOT_SLACK_API_URL"] = base + "/api/"
		b.vars["DIGESTBOT_SLACK_COMMANDS"] = "off"
	case "discord":
		b.vars["DIGESTBOT_DISCORD_BOT_TOKEN"] = "test-token"
		b.vars["DIGESTBOT_DISCORD_API_URL"] = base + "/api/v10/"
		b.vars["DIGESTBOT_DISCORD_COMMANDS"] = "off"
	default:
		b.t.Fatalf("no fake for platform %q", platform)
	}
}

// clone copies an environment (vars).
func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// writeConfig writes digestbot.yaml, which the commands and app read from
// then on.
func (b *testBot) writeConfig(yaml string) {
	b.t.Helper()
	b.cfg = filepath.Join(b.dir, "digestbot.yaml")
	if err := os.WriteFile(b.cfg, []byte(yaml), 0o600); err != nil {
		b.t.Fatal(err)
	}
}

// cmd runs `digestbot <name> [--config digestbot.yaml] <args>` in
// process and returns its exit code, stdout and stderr.
func (b *testBot) cmd(name string, args ...string) (int, string, string) {
	b.t.Helper()
	if b.cfg != "" {
		args = append([]string{"--config", b.cfg}, args...)
	}
	return digestbot(b.t, b.vars, append([]string{name}, args...)...)
}

// runOnce runs `digestbot run --once` and fails the test unless it exits 0.
func (b *testBot) runOnce() {
	b.t.Helper()
	if code, _, stderr := b.cmd("run", "--once"); code != 0 {
		b.t.Fatalf("run --once: exit %d\n%s", code, stderr)
	}
}

// env is the environment the commands see, writing to out.
func (b *testBot) env(out io.Writer) env {
	return env{stdout: out, stderr: out, lookup: func(k string) (string, bool) { v, ok := b.vars[k]; return v, ok }}
}

// testApp is the bot built as `digestbot run` builds it, to reach its
// store, command router and HTTP server.
type testApp struct {
	*app
	t    testing.TB
	srv  *http.Server
	base string // http://host:port once serving
}

// app builds the bot from the config and vars; close it before the next
// command runs.
func (b *testBot) app() *testApp { return b.appLogging(io.Discard) }

// appLogging is app with the logs (and the environment's output) written
// to out.
func (b *testBot) appLogging(out io.Writer) *testApp {
	b.t.Helper()
	e := b.env(out)
	conf, err := loadConfig(b.cfg, e)
	if err != nil {
		b.t.Fatal(err)
	}
	a, err := buildApp(context.Background(), conf, e, newLogger(conf, out))
	if err != nil {
		b.t.Fatal(err)
	}
	return &testApp{app: a, t: b.t}
}

// serve starts the HTTP server (DIGESTBOT_HTTP_ADDR 127.0.0.1:0), ready,
// and returns its base URL.
func (a *testApp) serve() string {
	a.t.Helper()
	var ready atomic.Bool
	ready.Store(true)
	srv, ln, err := a.httpServer(&ready)
	if err != nil {
		a.t.Fatal(err)
	}
	go srv.Serve(ln)
	a.srv, a.base = srv, "http://"+ln.Addr().String()
	return a.base
}

// stopServing shuts the HTTP server down (waiting for the requests'
// handlers) and closes the platforms' command handlers.
func (a *testApp) stopServing() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if a.srv != nil {
		if err := a.srv.Shutdown(ctx); err != nil {
			a.t.Fatal(err)
		}
		a.srv = nil
	}
	for i := range a.plats {
		for _, c := range a.plats[i].closers {
			if err := c(ctx); err != nil {
				a.t.Fatal(err)
			}
		}
		a.plats[i].closers = nil // once
	}
}

// close stops serving and closes the store.
func (a *testApp) close() {
	a.t.Helper()
	a.stopServing()
	a.store.Close()
}

// command sends cmd through the bot's command router, as the adapters
// hand commands to it, and returns the (last) reply.
func (a *testApp) command(cmd bot.Command) bot.Reply {
	var got bot.Reply
	a.service.Mux().ServeCommand(context.Background(), bot.ResponderFunc(func(_ context.Context, r bot.Reply) error {
		got = r
		return nil
	}), cmd)
	return got
}

// slackPost posts form to u as Slack does, signed with secret ("" for no
// signature), and returns the status and body of the answer.
func slackPost(t testing.TB, u, secret string, form url.Values) (int, []byte) {
	t.Helper()
	body := []byte(form.Encode())
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	if secret != "" {
		req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// discordPost posts an interaction body to u as Discord does, signed with
// key, and returns the status and the decoded JSON answer.
func discordPost(t testing.TB, u string, key ed25519.PrivateKey, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, []byte(ts+body))))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The channels the platform fakes refuse, as a deleted channel is.
const (
	slackDeadChannel   = "C0DEAD0000"
	discordDeadChannel = "100000000000000666"
)

// platformFake is a fake Slack Web API or Discord REST API (Discord with
// rate-limit headers): it opens direct-message channels (Slack D<user>,
// Discord 7<user without its first digit>), takes messages, recording them
// by channel, refuses the dead channel, and (Discord) takes the edits of
// interaction answers.
type platformFake struct {
	mu    sync.Mutex
	msgs  map[string][]string // channel → bodies: Slack blocks, Discord JSON
	plain map[string][]string // channel → Slack text, Discord content (or "embed: <title>")
	opens map[string]int      // user → direct-message channels opened
	edits chan []byte         // Discord: PATCH webhooks/<app>/<token>/messages/@original bodies
	srv   *httptest.Server
}

// fakeChat starts a fake of platform ("slack" or "discord") and points the
// bot at it (see chat).
func (b *testBot) fakeChat(platform string) *platformFake {
	f := &platformFake{msgs: map[string][]string{}, plain: map[string][]string{}, opens: map[string]int{}, edits: make(chan []byte, 16)}
	var n atomic.Int64
	var h http.HandlerFunc
	switch platform {
	case "slack":
		h = func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			switch {
			case strings.HasSuffix(r.URL.Path, "conversations.open"):
				user := r.FormValue("users")
				f.mu.Lock()
				f.opens[user]++
				f.mu.Unlock()
				fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, user)
			case strings.HasSuffix(r.URL.Path, "chat.postMessage"):
				ch := r.FormValue("channel")
				if ch == slackDeadChannel {
					io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
					return
				}
				f.record(ch, r.FormValue("blocks"), r.FormValue("text"))
				fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, ch, n.Add(1))
			default:
				io.WriteString(w, `{"ok":true,"messages":[]}`)
			}
		}
	case "discord":
		h = func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-RateLimit-Limit", "5")
			w.Header().Set("X-RateLimit-Remaining", "4")
			w.Header().Set("X-RateLimit-Reset-After", "1")
			w.Header().Set("X-RateLimit-Bucket", "b")
			parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v10/"), "/")
			switch {
			case parts[0] == "webhooks":
				if r.Method == http.MethodPatch {
					f.edits <- b
				}
				fmt.Fprintf(w, `{"id":"%d","channel_id":"1"}`, 800000000000000000+n.Add(1))
			case r.Method == http.MethodPost && strings.Join(parts, "/") == "users/@me/channels":
				var body struct {
					Recipient string `json:"recipient_id"`
				}
				json.Unmarshal(b, &body)
				f.mu.Lock()
				f.opens[body.Recipient]++
				f.mu.Unlock()
				fmt.Fprintf(w, `{"id":"7%s","type":1}`, body.Recipient[1:])
			case len(parts) < 2 || parts[0] != "channels":
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"message":"404: Not Found","code":0}`)
			case parts[1] == discordDeadChannel:
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"message":"Unknown Channel","code":10003}`)
			case r.Method == http.MethodGet && len(parts) == 2:
				fmt.Fprintf(w, `{"id":%q,"type":0,"guild_id":"500000000000000000"}`, parts[1])
			case r.Method == http.MethodGet:
				io.WriteString(w, `[]`)
			case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
				var msg struct {
					Content string `json:"content"`
					Embeds  []struct {
						Title string `json:"title"`
					} `json:"embeds"`
				}
				json.Unmarshal(b, &msg)
				text := msg.Content
				if text == "" && len(msg.Embeds) > 0 {
					text = "embed: " + msg.Embeds[0].Title
				}
				f.record(parts[1], string(b), text)
				fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), parts[1])
			default:
				fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), parts[1])
			}
		}
	default:
		b.t.Fatalf("no fake for platform %q", platform)
	}
	f.srv = httptest.NewServer(h)
	b.t.Cleanup(f.srv.Close)
	b.chat(platform, f.srv.URL)
	return f
}

func (f *platformFake) record(ch, body, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs[ch] = append(f.msgs[ch], body)
	f.plain[ch] = append(f.plain[ch], text)
}

// texts returns the bodies of the messages posted in ch.
func (f *platformFake) texts(ch string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs[ch]...)
}

// plainTexts returns the plain texts of the messages posted in ch.
func (f *platformFake) plainTexts(ch string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.plain[ch]...)
}

// postedIn returns the channels with messages, each with its number.
func (f *platformFake) postedIn() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for ch, msgs := range f.msgs {
		if len(msgs) > 0 {
			out[ch] = len(msgs)
		}
	}
	return out
}

// opened returns how many direct-message channels were opened to user.
func (f *platformFake) opened(user string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opens[user]
}
