package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDiscordShareButton: a reader searches privately, presses the Share
// button of a roundup item (a signed interaction at POST
// /discord/interactions), and the item is posted into the channel where
// it was pressed, once however often it is pressed, with "Shared by" and
// a mention that pings nobody; no other channel gets anything. A forged
// press posts nothing.
func TestDiscordShareButton(t *testing.T) {
	feed, _ := followFeed(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, forger, _ := ed25519.GenerateKey(rand.Reader)
	const (
		postsCh = "100000000000000002"
		pressCh = "100000000000000009"
		presser = "200000000000000007"
		appID   = "300000000000000003"
	)
	b := newTestBot(t, feed.URL+"/rss/")
	f := b.fakeChat("discord")
	b.writeConfig(fmt.Sprintf("channels:\n  - {name: posts, platform: discord, id: %q, layout: separate}\n", postsCh))
	b.runOnce() // archives and posts issue one
	own := len(f.texts(postsCh))
	if own == 0 {
		t.Fatal("issue one was not posted")
	}

	// The bot with its interactions endpoint; the runs go without it.
	runVars := clone(b.vars)
	b.vars["DIGESTBOT_HTTP_ADDR"] = "127.0.0.1:0"
	b.vars["DIGESTBOT_DISCORD_COMMANDS"] = "http"
	b.vars["DIGESTBOT_DISCORD_PUBLIC_KEY"] = hex.EncodeToString(pub)
	b.vars["DIGESTBOT_DISCORD_APP_ID"] = appID
	a := b.app()
	endpoint := a.serve() + "/discord/interactions"

	var seq atomic.Int64
	who := fmt.Sprintf(`"channel_id":%q,"guild_id":"500000000000000000","member":{"user":{"id":%q,"username":"ada"},"permissions":"2048"}`, pressCh, presser)
	interact := func(key ed25519.PrivateKey, typ int, data string) (int, map[string]any) {
		t.Helper()
		body := fmt.Sprintf(`{"id":"%d","application_id":%q,"type":%d,"token":"itoken-%d",%s,"data":%s}`,
			600000000000000000+seq.Add(1), appID, typ, seq.Load(), who, data)
		return discordPost(t, endpoint, key, body)
	}
	// data returns an interaction answer's message: inline, or the edit of
	// a deferred answer.
	data := func(resp map[string]any) []byte {
		t.Helper()
		switch resp["type"] {
		case float64(4):
			b, _ := json.Marshal(resp["data"])
			return b
		case float64(5):
			select {
			case b := <-f.edits:
				return b
			case <-time.After(30 * time.Second):
				t.Fatal("the deferred answer was never edited")
			}
		}
		t.Fatalf("answer %v", resp)
		return nil
	}

	// A private search: each hit has a Share button.
	code, resp := interact(priv, 2, `{"id":"1","name":"digest","type":1,"options":[{"name":"search","type":1,"options":[{"name":"query","type":3,"value":"volcano"}]}]}`)
	if code != 200 {
		t.Fatalf("search: status %d", code)
	}
	var reply struct {
		Components []struct {
			Components []struct {
				CustomID string `json:"custom_id"`
			} `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data(resp), &reply); err != nil {
		t.Fatal(err)
	}
	var buttons []string
	for _, row := range reply.Components {
		for _, c := range row.Components {
			buttons = append(buttons, c.CustomID)
		}
	}
	if len(buttons) != 1 || !strings.HasPrefix(buttons[0], "digest_share:") {
		t.Fatalf("search answer's buttons %q, want one Share button", buttons)
	}
	press := func(key ed25519.PrivateKey, customID string) (int, map[string]any) {
		return interact(key, 3, fmt.Sprintf(`{"custom_id":%q,"component_type":2}`, customID))
	}
	for _, want := range []string{"Shared “", "already shared here by you"} { // pressed twice: shared once
		code, resp := press(priv, buttons[0])
		if code != 200 {
			t.Fatalf("press: status %d", code)
		}
		if flags := resp["data"].(map[string]any)["flags"]; flags != float64(64) {
			t.Errorf("press answered with flags %v, want 64 (only the presser sees it)", flags)
		}
		if answer := data(resp); !strings.Contains(string(answer), want) {
			t.Errorf("press answered %s, want %q", answer, want)
		}
	}
	if code, _ := press(forger, "digest_share:1.lead"); code != 401 {
		t.Errorf("forged press: status %d, want 401", code)
	}

	a.close()
	b.vars = runVars
	b.runOnce()
	b.runOnce()
	got := f.texts(pressCh)
	if len(got) != 1 {
		t.Fatalf("%d messages in the channel where the button was pressed, want 1: %q", len(got), got)
	}
	var sent struct {
		Content         string          `json:"content"`
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
	}
	json.Unmarshal([]byte(got[0]), &sent)
	if sent.Content != "Shared by <@"+presser+">" || string(sent.AllowedMentions) != `{"parse":[]}` {
		t.Errorf("shared post: content %q, allowed_mentions %s: want the sharer named, nobody pinged", sent.Content, sent.AllowedMentions)
	}
	if !strings.Contains(got[0], "volcano observatory") || bytes.Contains([]byte(got[0]), []byte("Fishing crews")) {
		t.Errorf("shared post %s: want the volcano item only", got[0])
	}
	if n := len(f.texts(postsCh)); n != own {
		t.Errorf("%d posts in the channel of the issue after the share, want its own %d", n, own)
	}
	for ch, n := range f.postedIn() {
		if ch != postsCh && ch != pressCh {
			t.Errorf("%d posts in another channel (%s)", n, ch)
		}
	}
}
