package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
	"github.com/slack-go/slack/socketmode"

	"digestbot/bot"
)

const testAppToken = "xapp-1-A1-123-appsecret"

// socketServer is a slacktest server that serves apps.connections.open
// and a Socket Mode websocket: it sends envelope once connected and passes
// on the acks the client sends back.
func socketServer(t *testing.T, envelope map[string]any) (*slacktest.Server, <-chan map[string]any) {
	acks := make(chan map[string]any, 4)
	var srv *slacktest.Server
	srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testAppToken {
				writeAPI(w, map[string]any{"ok": false, "error": "invalid_auth"})
				return
			}
			writeAPI(w, map[string]any{"ok": true, "url": "ws://" + srv.ServerAddr + "/socket"})
		})
		c.Handle("/socket", slacktest.Websocket(func(conn *websocket.Conn) {
			if err := conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}); err != nil {
				t.Errorf("write hello: %v", err)
				return
			}
			if err := conn.WriteJSON(envelope); err != nil {
				t.Errorf("write envelope: %v", err)
				return
			}
			for {
				var v map[string]any
				if err := conn.ReadJSON(&v); err != nil {
					return // client went away
				}
				acks <- v
			}
		}))
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	return srv, acks
}

// runSocket runs RunSocketMode against srv until the test ends.
func runSocket(t *testing.T, srv *slacktest.Server, o SocketModeOptions) (done <-chan error, stop func()) {
	c, err := New(Options{Token: testToken, APIURL: srv.GetAPIURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	o.AppToken = testAppToken
	go func() { ch <- c.RunSocketMode(ctx, o) }()
	return ch, cancel
}

// TestSocketModeEndToEnd runs RunSocketMode against a slacktest server that
// serves apps.connections.open and a Socket Mode websocket: it sends a slash
// command envelope and reads the ack the client sends back.
func TestSocketModeEndToEnd(t *testing.T) {
	srv, acks := socketServer(t, map[string]any{
		"envelope_id": "env-1",
		"type":        "slash_commands",
		"payload": map[string]any{
			"command": "/digest", "text": "latest", "user_id": "U0USER", "channel_id": "C0CHAN",
			"response_url": "https://hooks.slack.com/commands/T1/1/abc",
		},
		"accepts_response_payload": true,
	})
	got := make(chan bot.Command, 1)
	done, cancel := runSocket(t, srv, SocketModeOptions{Handler: replyHandler(got), InlineWait: time.Minute})

	select {
	case cmd := <-got:
		if cmd.Name != "latest" || cmd.Platform != "slack" || cmd.User != "U0USER" || cmd.Channel != "C0CHAN" {
			t.Errorf("command = %+v", cmd)
		}
	case err := <-done:
		t.Fatalf("RunSocketMode returned early: %v", err)
	}
	ack := <-acks
	if ack["envelope_id"] != "env-1" {
		t.Errorf("ack envelope = %v, want env-1", ack["envelope_id"])
	}
	payload, _ := ack["payload"].(map[string]any)
	if payload["response_type"] != "ephemeral" || payload["blocks"] == nil || !strings.Contains(payload["text"].(string), "Latest issue") {
		t.Errorf("ack payload = %v", payload)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunSocketMode after cancel: %v", err)
	}
}

// TestSocketModeSharePress: a Share button press arrives as an interactive
// envelope; the client acknowledges it empty, the handler gets the share
// command and the presser's answer goes to response_url.
func TestSocketModeSharePress(t *testing.T) {
	sink, posted := responseSink(t)
	var payload map[string]any
	if err := json.Unmarshal([]byte(pressPayload(bot.ShareActionID, "42.3", sink.URL+"/actions/T1/1/abc")), &payload); err != nil {
		t.Fatal(err)
	}
	srv, acks := socketServer(t, map[string]any{"envelope_id": "env-press", "type": "interactive", "payload": payload, "accepts_response_payload": false})
	got := make(chan bot.Command, 1)
	done, cancel := runSocket(t, srv, SocketModeOptions{Handler: shareAnswer(got), InlineWait: time.Minute,
		ResponseClient: sink.Client(), AllowResponseURL: allowHost(sink)})
	select {
	case cmd := <-got:
		if cmd != wantShare {
			t.Errorf("command = %+v, want %+v", cmd, wantShare)
		}
	case err := <-done:
		t.Fatalf("RunSocketMode returned early: %v", err)
	}
	if ack := <-acks; ack["envelope_id"] != "env-press" || ack["payload"] != nil {
		t.Errorf("ack = %v, want env-press with no payload", ack)
	}
	checkPressAnswer(t, <-posted)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunSocketMode after cancel: %v", err)
	}
}

func TestSocketModeBadAppToken(t *testing.T) {
	c, err := New(Options{Token: testToken, APIURL: "http://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.RunSocketMode(context.Background(), SocketModeOptions{AppToken: "xoxb-not-an-app-token", Handler: replyHandler(nil)})
	if err == nil || !strings.Contains(err.Error(), "DIGESTBOT_SLACK_APP_TOKEN") || strings.Contains(err.Error(), "xoxb-not") {
		t.Errorf("err = %v, want advice without the token", err)
	}
}

// fakeAcker records Socket Mode acks.
type fakeAcker struct {
	mu   sync.Mutex
	acks []any
	got  chan struct{}
}

func (f *fakeAcker) AckCtx(_ context.Context, _ string, p any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acks = append(f.acks, p)
	f.got <- struct{}{}
	return nil
}

func TestSocketCommandSlowAndLarge(t *testing.T) {
	sink, posted := responseSink(t)
	c, err := New(Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	sc := slack.SlashCommand{Command: "/digest", UserID: "U1", ChannelID: "C1", ResponseURL: sink.URL + "/r"}
	req := socketmode.Request{EnvelopeID: "env", Type: "slash_commands"}

	t.Run("slow handler: working ack, answer to response_url", func(t *testing.T) {
		release := make(chan struct{})
		h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, cmd bot.Command) {
			<-release
			_ = w.Respond(ctx, bot.Reply{Text: "done"})
		})
		d := newDispatcher(h, true, time.Millisecond, sink.Client(), allowHost(sink), c.log)
		ack := &fakeAcker{got: make(chan struct{}, 1)}
		var wg sync.WaitGroup
		sc.Text = "search pier"
		c.handleSocketEvent(context.Background(), ack, d, socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc, Request: &req}, &wg)
		<-ack.got
		if p, ok := ack.acks[0].(replyPayload); !ok || p.Text != workingText {
			t.Fatalf("ack = %#v, want the working note", ack.acks[0])
		}
		close(release)
		p := <-posted
		if p["response_type"] != "in_channel" || !strings.Contains(p["text"].(string), "done") {
			t.Errorf("response_url got %v", p)
		}
		wg.Wait()
	})
	t.Run("large answer goes to response_url", func(t *testing.T) {
		var secs []bot.Section
		for i := range 40 {
			secs = append(secs, bot.Section{Title: "Result", URL: "https://example.com/" + strings.Repeat("x", 200), Text: strings.Repeat("Q&A <b> ", 300), Meta: "meta " + string(rune('a'+i%26))})
		}
		h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, cmd bot.Command) {
			_ = w.Respond(ctx, bot.Reply{Title: "Many", Sections: secs})
		})
		d := newDispatcher(h, false, time.Minute, sink.Client(), allowHost(sink), c.log)
		ack := &fakeAcker{got: make(chan struct{}, 1)}
		c.serveSocketCommand(context.Background(), ack, d, req, sc)
		<-ack.got
		if p, ok := ack.acks[0].(replyPayload); !ok || p.Text != workingText {
			t.Fatalf("ack = %#v, want the working note", ack.acks[0])
		}
		p := <-posted
		b, _ := json.Marshal(p)
		if p["blocks"] == nil || len(b) < maxAckPayload {
			t.Errorf("response_url got %d bytes, want the large answer", len(b))
		}
	})
}
