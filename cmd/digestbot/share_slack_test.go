package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"digestbot/bot"
)

// TestSlackShareButtonEndToEnd: /digest latest over a signed POST
// /slack/commands answers privately with Share buttons; pressing one
// (a signed block_actions payload to POST /slack/interactions) shares the
// story, and the next run posts it into the channel where it was pressed,
// once however often it is pressed, saying who shared it; the other
// channels get nothing. A forged press is refused and shares nothing.
func TestSlackShareButtonEndToEnd(t *testing.T) {
	feed, _ := followFeed(t)
	const secret, postsCh, user = "share-signing-secret", "C0POSTS000", "U0SHARER1"
	b := newTestBot(t, feed.URL+"/rss/")
	f := b.fakeChat("slack")
	b.vars["DIGESTBOT_HTTP_ADDR"] = "127.0.0.1:0"
	b.vars["DIGESTBOT_SLACK_SIGNING_SECRET"] = secret
	b.vars["DIGESTBOT_SLACK_COMMANDS"] = "http"
	b.writeConfig(fmt.Sprintf("channels:\n  - {name: posts, platform: slack, id: %q, layout: separate}\n", postsCh))
	b.runOnce() // issue one: the lead and two items
	own := len(f.texts(postsCh))
	if own != 3 {
		t.Fatalf("issue one: %d posts, want 3", own)
	}

	a := b.app()
	base := a.serve()
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

	pressForm := func(actionValue string, n int) url.Values {
		p, _ := json.Marshal(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": user, "username": "ann"},
			"channel":      map[string]any{"id": postsCh},
			"container":    map[string]any{"type": "message", "channel_id": postsCh, "is_ephemeral": true},
			"response_url": fmt.Sprintf("https://hooks.example.invalid/actions/T1/%d/x", n), // refused: no test reaches the internet
			"actions":      []map[string]any{{"action_id": bot.ShareActionID, "block_id": "b", "type": "button", "value": actionValue}},
		})
		return url.Values{"payload": {string(p)}}
	}
	if code, _ := post("/slack/interactions", pressForm(value, 0), "not-the-secret"); code != 401 {
		t.Fatalf("forged press: %d, want 401", code)
	}
	for n := range 2 { // pressed twice (two requests, not a replay): shared once
		if code, body := post("/slack/interactions", pressForm(value, n+1), secret); code != 200 || len(body) != 0 {
			t.Fatalf("press: %d %q, want 200 and nothing", code, body)
		}
	}
	// The presser's answer would go to response_url, refused here (not a
	// Slack host); the share is recorded before it. Shutting down waits for
	// the presses' handlers. The answer to one more press, as the adapter
	// hands it to the command router, says it is shared already.
	a.stopServing()
	r := a.command(bot.Command{Name: bot.ShareCommand, Args: value, Button: true, Platform: "slack",
		User: user, UserName: "ann", Channel: postsCh})
	if r.Error || !r.Private || !strings.Contains(r.Text, "already shared here by you") {
		t.Errorf("pressed again: %+v", r)
	}
	a.close()

	b.runOnce()
	b.runOnce() // nothing twice
	got := f.texts(postsCh)
	if len(got) != own+1 {
		t.Fatalf("%d posts in the channel after the press, want %d", len(got), own+1)
	}
	shared := got[own]
	if !strings.Contains(shared, `Shared by \u003c@`+user+`\u003e`) && !strings.Contains(shared, "Shared by <@"+user+">") {
		t.Errorf("shared post does not say who shared it: %s", shared)
	}
	if !strings.Contains(shared, "Issue one") || strings.Contains(shared, "volcano") || strings.Contains(shared, "Fishing crews") {
		t.Errorf("shared post is not issue one's lead (alone): %s", shared)
	}
	for ch, n := range f.postedIn() {
		if ch != postsCh {
			t.Errorf("%d posts in another channel (%s)", n, ch)
		}
	}
}
