package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/adapters/slack"
	"digestbot/bot"
)

// TestSlackShareButtonEndToEnd: /digest latest over a signed POST
// /slack/commands answers privately with Share buttons; pressing one
// (a signed block_actions payload to POST /slack/interactions) shares the
// story, and the next run posts it into the channel where it was pressed,
// saying who shared it. A forged press is refused and shares nothing.
func TestSlackShareButtonEndToEnd(t *testing.T) {
	feed, _ := followFeed(t)
	f := newSlackDMFake(t)
	dir := t.TempDir()
	const secret, postsCh, user = "share-signing-secret", "C0POSTS000", "U0SHARER1"
	vars := map[string]string{
		"DIGESTBOT_DB":                   filepath.Join(dir, "bot.db"),
		"DIGESTBOT_HTTP_ADDR":            "127.0.0.1:0",
		"DIGESTBOT_ALLOW_PRIVATE_FEEDS":  "true",
		"DIGESTBOT_FEED_URL":             feed.URL + "/rss/",
		"DIGESTBOT_SLACK_BOT_TOKEN":      "xoxb-test",
		"DIGESTBOT_SLACK_API_URL":        f.srv.URL + "/api/",
		"DIGESTBOT_SLACK_SIGNING_SECRET": secret,
		"DIGESTBOT_SLACK_COMMANDS":       "http",
	}
	cfgPath := filepath.Join(dir, "digestbot.yaml")
	yaml := fmt.Sprintf("channels:\n  - {name: posts, platform: slack, id: %q, layout: separate}\n", postsCh)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	runOnce := func() {
		t.Helper()
		if code, _, stderr := digestbot(t, vars, "run", "--once", "--config", cfgPath); code != 0 {
			t.Fatalf("run --once: exit %d\n%s", code, stderr)
		}
	}
	runOnce() // issue one: the lead and two items
	own := len(f.texts(postsCh))
	if own != 3 {
		t.Fatalf("issue one: %d posts, want 3", own)
	}

	e := env{stdout: io.Discard, stderr: io.Discard, lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	cfg, err := loadConfig(cfgPath, e)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, e, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	var ready atomic.Bool
	srv, ln, err := a.httpServer(&ready)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	post := func(path string, form url.Values, signWith string) (int, []byte) {
		return slackPost(t, base+path, signWith, form)
	}

	// The private answer to /digest latest carries the lead's Share button.
	code, body := post("/slack/commands", url.Values{"command": {"/digest"}, "text": {"latest"}, "user_id": {user},
		"channel_id": {postsCh}, "response_url": {"https://hooks.example.invalid/commands/T1/1/x"}}, secret)
	var answer struct {
		ResponseType string `json:"response_type"`
		Blocks       []struct {
			Accessory struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"accessory"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(body, &answer); code != 200 || err != nil {
		t.Fatalf("/digest latest: %d %s", code, body)
	}
	var value string
	for _, b := range answer.Blocks {
		if b.Accessory.ActionID == bot.ShareActionID {
			value = b.Accessory.Value
			break
		}
	}
	if answer.ResponseType != "ephemeral" || value == "" {
		t.Fatalf("/digest latest: no Share button in %s", body)
	}
	ref, err := bot.ParseStoryRef(value)
	if err != nil || ref.Part != bot.PartLead {
		t.Fatalf("Share button value %q: %v, want the lead", value, err)
	}

	pressForm := func(actionValue string) url.Values {
		p, _ := json.Marshal(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": user, "username": "ann"},
			"channel":      map[string]any{"id": postsCh},
			"container":    map[string]any{"type": "message", "channel_id": postsCh, "is_ephemeral": true},
			"response_url": "https://hooks.example.invalid/actions/T1/1/x", // refused: no test reaches the internet
			"actions":      []map[string]any{{"action_id": bot.ShareActionID, "block_id": "b", "type": "button", "value": actionValue}},
		})
		return url.Values{"payload": {string(p)}}
	}
	if code, _ := post("/slack/interactions", pressForm(value), "not-the-secret"); code != 401 {
		t.Fatalf("forged press: %d, want 401", code)
	}
	if code, body := post("/slack/interactions", pressForm(value), secret); code != 200 || len(body) != 0 {
		t.Fatalf("press: %d %q, want 200 and nothing", code, body)
	}
	// The presser's answer would go to response_url, refused here (not a
	// Slack host); the share is recorded before it. Shutting down waits for
	// the press's handler.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range a.plats {
		for _, c := range p.closers {
			if err := c(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.store.Close()

	runOnce()
	got := f.texts(postsCh)
	if len(got) != own+1 {
		t.Fatalf("%d posts in the channel after the press, want %d", len(got), own+1)
	}
	shared := got[own]
	if !strings.Contains(shared, `Shared by \u003c@`+user+`\u003e`) && !strings.Contains(shared, "Shared by <@"+user+">") {
		t.Errorf("shared post does not say who shared it: %s", shared)
	}
	if !strings.Contains(shared, "Issue one") {
		t.Errorf("shared post is not issue one's lead: %s", shared)
	}
}

// slackPost posts form to u as Slack does, signed with secret ("" for no
// signature), and returns the status and body of the answer.
func slackPost(t *testing.T, u, secret string, form url.Values) (int, []byte) {
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
