package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// serveGateway adds a fake gateway to the fake: GET /gateway names a
// websocket that says Hello, takes the Identify, sends READY and then one
// INTERACTION_CREATE carrying interaction. identified gets the token the
// client identified with.
func serveGateway(t *testing.T, f *fakeDiscord, interaction string, identified chan<- string) {
	t.Helper()
	up := websocket.Upgrader{}
	f.mux.HandleFunc("GET /api/v10/gateway", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	})
	f.mux.HandleFunc("GET /ws/", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		defer conn.Close()
		send := func(v string) bool {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
				t.Errorf("gateway write: %v", err)
				return false
			}
			return true
		}
		if !send(`{"op":10,"d":{"heartbeat_interval":45000}}`) {
			return
		}
		// The client heartbeats (op 1) and identifies (op 2), in either order.
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Errorf("gateway read: %v", err)
				return
			}
			var p struct {
				Op int `json:"op"`
				D  struct {
					Token string `json:"token"`
				} `json:"d"`
			}
			json.Unmarshal(data, &p)
			if p.Op == 2 {
				identified <- p.D.Token
				break
			}
		}
		if !send(`{"op":0,"t":"READY","s":1,"d":{"v":10,"session_id":"sess1","user":{"id":"42","username":"digestbot","bot":true},"guilds":[],"application":{"id":"` + testAppID + `"}}}`) {
			return
		}
		if !send(`{"op":0,"t":"INTERACTION_CREATE","s":2,"d":` + interaction + `}`) {
			return
		}
		for { // heartbeats until the client closes
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	})
}

func TestGatewayAnswersInteractions(t *testing.T) {
	env := newEnv(t, nil)
	identified := make(chan string, 1)
	serveGateway(t, env.f, commandBody("search", "query", "solar"), identified)
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.c.RunGateway(ctx, GatewayOptions{Handler: rec}) }()

	select {
	case tok := <-identified:
		if tok != "Bot "+testToken {
			t.Errorf("identified with %q", tok)
		}
	case err := <-done:
		t.Fatalf("RunGateway ended before identifying: %v", err)
	}
	cb := env.f.waitFor("POST", "interactions/7001/itoken-secret/callback")
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Flags  int `json:"flags"`
			Embeds []struct {
				Title string `json:"title"`
			} `json:"embeds"`
		} `json:"data"`
	}
	if err := json.Unmarshal(cb.Body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Type != 4 || resp.Data.Flags != 64 || len(resp.Data.Embeds) != 1 || resp.Data.Embeds[0].Title != "/digest search" {
		t.Errorf("callback = %s, want an ephemeral reply to /digest search", cb.Body)
	}
	if cmds := rec.Commands(); len(cmds) != 1 || cmds[0].Name != "search" || cmds[0].Args != "solar" || cmds[0].Platform != "discord" {
		t.Errorf("handler got %+v", cmds)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunGateway returned %v after its context ended", err)
	}
}

// TestGatewayCallbackSkipsGlobalLimit: while the outbox holds every permit
// of the global gate, the gateway's 3-second answer to a command still
// goes out at once (Discord does not bind interaction callbacks to the
// global limit).
func TestGatewayCallbackSkipsGlobalLimit(t *testing.T) {
	env := newEnv(t, nil)
	saturateGate(env.c.rest, env.clock.Now())
	identified := make(chan string, 1)
	serveGateway(t, env.f, commandBody("search", "query", "solar"), identified)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.c.RunGateway(ctx, GatewayOptions{Handler: &recorder{}}) }()
	env.f.waitFor("POST", "interactions/7001/itoken-secret/callback")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunGateway returned %v after its context ended", err)
	}
	if s := env.clock.Sleeps(); len(s) != 0 {
		t.Errorf("the interaction callback waited %v behind the saturated global gate", s)
	}
}

func TestGatewayNeedsBotToken(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.BotToken = ""; o.WebhookURL = testWebhookURL })
	if err := env.c.RunGateway(context.Background(), GatewayOptions{Handler: &recorder{}}); err == nil {
		t.Error("RunGateway without a bot token succeeded")
	}
}
