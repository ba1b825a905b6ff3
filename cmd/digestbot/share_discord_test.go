package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shareFake is a fake Discord REST API for the Share test: channels take
// messages (recorded with their content and embeds), interaction
// follow-ups and edits are recorded and announced on edits.
type shareFake struct {
	mu    sync.Mutex
	msgs  map[string][]string // channel → message bodies
	edits chan []byte         // PATCH webhooks/<app>/<token>/messages/@original bodies
	srv   *httptest.Server
}

func newShareFake(t *testing.T) *shareFake {
	f := &shareFake{msgs: map[string][]string{}, edits: make(chan []byte, 16)}
	var n atomic.Int64
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v10/"), "/")
		switch {
		case parts[0] == "webhooks":
			if r.Method == http.MethodPatch {
				f.edits <- b
			}
			fmt.Fprintf(w, `{"id":"%d","channel_id":"1"}`, 800000000000000000+n.Add(1))
		case len(parts) < 2 || parts[0] != "channels":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"404: Not Found","code":0}`)
		case r.Method == http.MethodGet && len(parts) == 2:
			fmt.Fprintf(w, `{"id":%q,"type":0,"guild_id":"500000000000000000"}`, parts[1])
		case r.Method == http.MethodGet:
			io.WriteString(w, `[]`)
		case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
			f.mu.Lock()
			f.msgs[parts[1]] = append(f.msgs[parts[1]], string(b))
			f.mu.Unlock()
			fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), parts[1])
		default:
			fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), parts[1])
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *shareFake) messages(ch string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs[ch]...)
}

// TestDiscordShareButton: a reader searches privately, presses the Share
// button of a roundup item (a signed interaction at POST
// /discord/interactions), and the item is posted into the channel where
// it was pressed, once however often it is pressed, with "Shared by" and
// a mention that pings nobody. A forged press posts nothing.
func TestDiscordShareButton(t *testing.T) {
	feed, _ := followFeed(t)
	f := newShareFake(t)
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
	b.chat("discord", f.srv.URL)
	b.writeConfig(fmt.Sprintf("channels:\n  - {name: posts, platform: discord, id: %q, layout: separate}\n", postsCh))
	b.runOnce() // archives and posts issue one
	own := len(f.messages(postsCh))
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
	got := f.messages(pressCh)
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
	if n := len(f.messages(postsCh)); n != own {
		t.Errorf("%d posts in the channel of the issue after the share, want its own %d", n, own)
	}
}
