package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"digestbot/bot"
)

// pressPayload is the block_actions payload Slack sends when a user
// presses a button on an ephemeral message in C0CHAN.
func pressPayload(actionID, value, responseURL string) string {
	p := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": "U0PRESS", "username": "ana.sousa", "name": "ana.sousa", "team_id": "T1"},
		"api_app_id":   "A1",
		"token":        "legacy-verification-token",
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0CHAN", "is_ephemeral": true},
		"trigger_id":   "1.2.3",
		"team":         map[string]any{"id": "T1", "domain": "harbour"},
		"channel":      map[string]any{"id": "C0CHAN", "name": "harbour-news"},
		"response_url": responseURL,
		"actions": []map[string]any{{
			"action_id": actionID, "block_id": "b1", "value": value, "type": "button", "action_ts": "1700000000.1",
			"text": map[string]any{"type": "plain_text", "text": bot.ShareButtonLabel},
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func interactionRequest(secret string, ts time.Time, payload string) *http.Request {
	r := signedRequest(secret, ts, url.Values{"payload": {payload}}.Encode())
	r.URL.Path = "/slack/interactions"
	return r
}

// shareAnswer answers the share command as the core does: privately.
func shareAnswer(got chan<- bot.Command) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
		got <- c
		_ = w.Respond(ctx, bot.Reply{Text: "Shared in this channel.", Private: true})
	})
}

var wantShare = bot.Command{Name: bot.ShareCommand, Args: "42.3", Button: true, Platform: "slack",
	User: "U0PRESS", UserName: "ana.sousa", Channel: "C0CHAN"}

// checkPressAnswer checks what the presser is shown on response_url.
func checkPressAnswer(t *testing.T, p map[string]any) {
	t.Helper()
	if p["response_type"] != "ephemeral" || p["replace_original"] != false || !strings.Contains(p["text"].(string), "Shared") {
		t.Errorf("response_url got %v, want an ephemeral answer that keeps the original", p)
	}
}

func TestSharePressOverHTTP(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait time.Duration
	}{{"quick handler", time.Minute}, {"slow handler", time.Nanosecond}} {
		t.Run(tc.name, func(t *testing.T) {
			sink, posted := responseSink(t)
			got := make(chan bot.Command, 1)
			release := make(chan struct{})
			h := NewCommandHandler(CommandOptions{
				SigningSecret: testSecret, InChannel: true, // a press is answered privately all the same
				Handler: bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
					if tc.wait < time.Second {
						<-release
					}
					shareAnswer(got).ServeCommand(ctx, w, c)
				}),
				Now: func() time.Time { return testNow }, InlineWait: tc.wait,
				ResponseClient: sink.Client(), AllowResponseURL: allowHost(sink),
			})
			rec := httptest.NewRecorder()
			if tc.wait >= time.Second {
				close(release)
			}
			h.Interactions().ServeHTTP(rec, interactionRequest(testSecret, testNow, pressPayload(bot.ShareActionID, "42.3", sink.URL+"/actions/T1/1/abc")))
			if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
				t.Fatalf("ack = %d %q, want 200 and nothing", rec.Code, rec.Body.String())
			}
			if tc.wait < time.Second {
				close(release)
			}
			if c := <-got; c != wantShare {
				t.Errorf("command = %+v, want %+v", c, wantShare)
			}
			checkPressAnswer(t, <-posted)
			if err := h.Close(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSharePressRefused(t *testing.T) {
	body := pressPayload(bot.ShareActionID, "42.3", "https://hooks.slack.com/actions/T1/1/abc")
	var calls atomic.Int32
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { calls.Add(1) }),
		Now:           func() time.Time { return testNow },
	})
	for _, tt := range []struct {
		name string
		req  *http.Request
	}{
		{"forged", interactionRequest("not-the-secret", testNow, body)},
		{"stale", interactionRequest(testSecret, testNow.Add(-6*time.Minute), body)},
		{"unsigned", func() *http.Request {
			r := interactionRequest(testSecret, testNow, body)
			r.Header.Del("X-Slack-Signature")
			return r
		}()},
		{"tampered", func() *http.Request {
			r := interactionRequest(testSecret, testNow, body)
			r.Body = httptest.NewRequest("POST", "/", strings.NewReader(url.Values{"payload": {strings.Replace(body, "42.3", "43.0", 1)}}.Encode())).Body
			return r
		}()},
	} {
		rec := httptest.NewRecorder()
		h.Interactions().ServeHTTP(rec, tt.req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tt.name, rec.Code)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times for refused presses", n)
	}
	// Replayed: the first is served, the same signed request again is not,
	// on either endpoint.
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		rec := httptest.NewRecorder()
		h.Interactions().ServeHTTP(rec, interactionRequest(testSecret, testNow, body))
		if rec.Code != want {
			t.Errorf("press %d: status %d, want %d", i, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, interactionRequest(testSecret, testNow, body))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("replayed to /slack/commands: status %d, want 401", rec.Code)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

func TestInteractionIgnoredOrMalformed(t *testing.T) {
	var calls atomic.Int32
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { calls.Add(1) }),
		Now:           func() time.Time { return testNow },
	})
	for _, tt := range []struct {
		name string
		body string
		want int
		says string
	}{
		{"another button", url.Values{"payload": {pressPayload(readFullActionID, "", "")}}.Encode(), http.StatusOK, ""},
		{"a modal submission", url.Values{"payload": {`{"type":"view_submission","user":{"id":"U1"}}`}}.Encode(), http.StatusOK, ""},
		{"no payload", "token=x", http.StatusBadRequest, "payload"},
		{"not JSON", url.Values{"payload": {`{"type":"block_actions",`}}.Encode(), http.StatusBadRequest, "malformed payload"},
		{"not a form", "payload=%zz", http.StatusBadRequest, "malformed"},
	} {
		rec := httptest.NewRecorder()
		r := signedRequest(testSecret, testNow, tt.body)
		h.Interactions().ServeHTTP(rec, r)
		if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("%s: %d %q, want %d saying %q", tt.name, rec.Code, rec.Body.String(), tt.want, tt.says)
		}
	}
	rec := httptest.NewRecorder()
	h.Interactions().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slack/interactions", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", rec.Code)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times", n)
	}
}

func TestSharePressOverSocket(t *testing.T) {
	sink, posted := responseSink(t)
	c, err := New(Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(pressPayload(bot.ShareActionID, "42.3", sink.URL+"/actions/T1/1/abc")), &ic); err != nil {
		t.Fatal(err)
	}
	req := socketmode.Request{EnvelopeID: "env-press", Type: "interactive"}
	got := make(chan bot.Command, 1)
	d := newDispatcher(shareAnswer(got), true, time.Minute, sink.Client(), allowHost(sink), c.log)
	ack := &fakeAcker{got: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	c.handleSocketEvent(context.Background(), ack, d, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: ic, Request: &req}, &wg)
	if cmd := <-got; cmd != wantShare {
		t.Errorf("command = %+v, want %+v", cmd, wantShare)
	}
	<-ack.got
	if ack.acks[0] != nil {
		t.Errorf("ack payload = %#v, want none", ack.acks[0])
	}
	checkPressAnswer(t, <-posted)
	wg.Wait()

	// Another interaction is acknowledged and goes no further.
	other := ic
	other.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: readFullActionID, BlockID: "b2"}}
	c.handleSocketEvent(context.Background(), ack, d, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: other, Request: &req}, &wg)
	<-ack.got
	wg.Wait()
	select {
	case cmd := <-got:
		t.Errorf("handler ran for another button: %+v", cmd)
	default:
	}
}
