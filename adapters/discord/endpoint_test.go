package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

// signed builds an interactions request signed with priv at ts.
func signed(priv ed25519.PrivateKey, ts time.Time, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader(body))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	r.Header.Set("X-Signature-Timestamp", stamp)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(stamp+body))))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// commandBody is an application command interaction for /digest sub.
func commandBody(sub, optName, value string) string {
	opts := ""
	if optName != "" {
		opts = fmt.Sprintf(`,"options":[{"name":%q,"type":3,"value":%q}]`, optName, value)
	}
	return fmt.Sprintf(`{"id":"7001","application_id":"%s","type":2,"token":"itoken-secret","channel_id":"100","guild_id":"500",
"member":{"user":{"id":"42","username":"ada"}},
"data":{"id":"1","name":"digest","type":1,"options":[{"name":%q,"type":1%s}]}}`, testAppID, sub, opts)
}

// recorder is a bot.Handler that remembers the commands it got and
// answers with a reply naming them.
type recorder struct {
	mu   sync.Mutex
	cmds []bot.Command
}

func (h *recorder) ServeCommand(ctx context.Context, w bot.Responder, c bot.Command) {
	h.mu.Lock()
	h.cmds = append(h.cmds, c)
	h.mu.Unlock()
	w.Respond(ctx, bot.Reply{Title: "/digest " + c.Name, Text: "args: " + c.Args})
}

func (h *recorder) Commands() []bot.Command {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Command(nil), h.cmds...)
}

type endpointEnv struct {
	h     http.Handler
	priv  ed25519.PrivateKey
	now   time.Time
	f     *fakeDiscord
	calls *recorder
}

func newEndpoint(t *testing.T, edit func(*InteractionOptions)) endpointEnv {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock()
	f := newFake(t, clock)
	rec := &recorder{}
	opts := InteractionOptions{PublicKey: hex.EncodeToString(pub), Handler: rec, Now: clock.Now, APIURL: f.APIURL()}
	if edit != nil {
		edit(&opts)
	}
	h, err := NewInteractionHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	return endpointEnv{h: h, priv: priv, now: clock.Now(), f: f, calls: rec}
}

func serve(h http.Handler, r *http.Request) (int, map[string]any) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var body map[string]any
	json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body
}

func TestInteractionSignatures(t *testing.T) {
	env := newEndpoint(t, nil)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	ping := `{"id":"1","type":1,"token":"t","application_id":"321"}`
	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"valid ping", func() *http.Request { return signed(env.priv, env.now, ping) }, 200},
		{"timestamp 4 minutes old", func() *http.Request { return signed(env.priv, env.now.Add(-4*time.Minute), ping) }, 200},
		{"forged body", func() *http.Request {
			r := signed(env.priv, env.now, ping)
			r.Body = httptestBody(strings.Replace(ping, `"type":1`, `"type":2`, 1))
			return r
		}, 401},
		{"wrong key", func() *http.Request { return signed(otherKey, env.now, ping) }, 401},
		{"stale", func() *http.Request { return signed(env.priv, env.now.Add(-6*time.Minute), ping) }, 401},
		{"from the future", func() *http.Request { return signed(env.priv, env.now.Add(6*time.Minute), ping) }, 401},
		{"no signature", func() *http.Request {
			r := signed(env.priv, env.now, ping)
			r.Header.Del("X-Signature-Ed25519")
			return r
		}, 401},
		{"no timestamp", func() *http.Request {
			r := signed(env.priv, env.now, ping)
			r.Header.Del("X-Signature-Timestamp")
			return r
		}, 401},
		{"signature not hex", func() *http.Request {
			r := signed(env.priv, env.now, ping)
			r.Header.Set("X-Signature-Ed25519", "zz")
			return r
		}, 401},
		{"signed command with wrong key does no work", func() *http.Request {
			return signed(otherKey, env.now, commandBody("latest", "", ""))
		}, 401},
		{"body too large", func() *http.Request { return signed(env.priv, env.now, ping+strings.Repeat(" ", maxInteractionBytes)) }, 413},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/discord/interactions", nil) }, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := serve(env.h, tt.req())
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == 200 && body["type"] != float64(1) {
				t.Errorf("ping answered %v, want PONG (type 1)", body)
			}
		})
	}
	if cmds := env.calls.Commands(); len(cmds) != 0 {
		t.Errorf("the handler ran for rejected requests: %+v", cmds)
	}
	if n := len(env.f.Requests("", "")); n != 0 {
		t.Errorf("rejected requests made %d REST calls", n)
	}
}

func httptestBody(s string) *readCloser { return &readCloser{bytes.NewReader([]byte(s))} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestInteractionCommands(t *testing.T) {
	tests := []struct {
		sub, opt, value string
		inChannel       bool
		want            bot.Command
	}{
		{sub: "latest", want: bot.Command{Name: "latest"}},
		{sub: "search", opt: "query", value: `  solar "river towns" -wind `, want: bot.Command{Name: "search", Args: `solar "river towns" -wind`}},
		{sub: "issue", opt: "which", value: "2024-05-01", want: bot.Command{Name: "issue", Args: "2024-05-01"}},
		{sub: "feeds", inChannel: true, want: bot.Command{Name: "feeds"}},
		{sub: "help", want: bot.Command{Name: "help"}},
	}
	for _, tt := range tests {
		t.Run(tt.sub, func(t *testing.T) {
			env := newEndpoint(t, func(o *InteractionOptions) { o.InChannel = tt.inChannel })
			code, body := serve(env.h, signed(env.priv, env.now, commandBody(tt.sub, tt.opt, tt.value)))
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			want := tt.want
			want.Platform, want.User, want.Channel, want.UserName = "discord", "42", "100", "ada"
			if got := env.calls.Commands(); len(got) != 1 || got[0] != want {
				t.Fatalf("handler got %+v, want %+v", got, want)
			}
			if body["type"] != float64(4) {
				t.Fatalf("response type %v, want 4", body["type"])
			}
			data := body["data"].(map[string]any)
			embeds := data["embeds"].([]any)
			title := embeds[0].(map[string]any)["title"]
			if title != "/digest "+tt.sub {
				t.Errorf("reply title %v", title)
			}
			flags, _ := data["flags"].(float64)
			if wantFlags := map[bool]float64{false: 64, true: 0}[tt.inChannel]; flags != wantFlags {
				t.Errorf("flags = %v, want %v", flags, wantFlags)
			}
			if am, _ := json.Marshal(data["allowed_mentions"]); string(am) != `{"parse":[]}` {
				t.Errorf("allowed_mentions = %s", am)
			}
		})
	}
}

type suggester struct{ got []string }

func (s *suggester) Suggest(_ context.Context, prefix string, limit int) ([]string, error) {
	s.got = append(s.got, fmt.Sprintf("%s/%d", prefix, limit))
	out := []string{"solar", "solar", "", strings.Repeat("x", 150)}
	for i := range 40 {
		out = append(out, fmt.Sprintf("solar %d", i))
	}
	return out, nil
}

func TestAutocomplete(t *testing.T) {
	s := &suggester{}
	env := newEndpoint(t, func(o *InteractionOptions) { o.Suggester = s })
	body := fmt.Sprintf(`{"id":"7002","application_id":%q,"type":4,"token":"t","channel_id":"100",
"data":{"id":"1","name":"digest","type":1,"options":[{"name":"search","type":1,"options":[{"name":"query","type":3,"value":"sol","focused":true}]}]}}`, testAppID)
	code, resp := serve(env.h, signed(env.priv, env.now, body))
	if code != 200 || resp["type"] != float64(8) {
		t.Fatalf("status %d, type %v, want 200 and 8", code, resp["type"])
	}
	choices := resp["data"].(map[string]any)["choices"].([]any)
	if len(choices) != 25 {
		t.Errorf("%d choices, want 25", len(choices))
	}
	first := choices[0].(map[string]any)
	if first["name"] != "solar" || first["value"] != "solar" || choices[1].(map[string]any)["name"] != "solar 0" {
		t.Errorf("choices start %v, %v: want solar (once), then solar 0", first, choices[1])
	}
	if len(s.got) != 1 || s.got[0] != "sol/25" {
		t.Errorf("suggester asked %v, want [sol/25]", s.got)
	}
	if len(env.calls.Commands()) != 0 {
		t.Error("autocomplete ran the command handler")
	}
}

// A handler slower than InlineWait: the answer is deferred, then the reply
// edits it and a second reply follows up. Synchronised by channels.
func TestSlowHandlerIsDeferred(t *testing.T) {
	release := make(chan struct{})
	handled := make(chan struct{})
	slow := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
		defer close(handled)
		<-release
		if err := w.Respond(ctx, bot.Reply{Text: "Found 3 issues."}); err != nil {
			t.Errorf("Respond: %v", err)
		}
		if err := w.Respond(ctx, bot.Reply{Text: "And one more thing."}); err != nil {
			t.Errorf("second Respond: %v", err)
		}
	})
	env := newEndpoint(t, func(o *InteractionOptions) { o.Handler = slow; o.InlineWait = time.Millisecond })
	code, body := serve(env.h, signed(env.priv, env.now, commandBody("search", "query", "solar")))
	if code != 200 || body["type"] != float64(5) {
		t.Fatalf("status %d body %v, want a deferred answer (type 5)", code, body)
	}
	if flags := body["data"].(map[string]any)["flags"]; flags != float64(64) {
		t.Errorf("deferred flags = %v, want 64 (ephemeral)", flags)
	}
	close(release)
	edit := env.f.waitFor("PATCH", "webhooks/"+testAppID+"/itoken-secret/messages/@original")
	if !bytes.Contains(edit.Body, []byte("Found 3 issues.")) {
		t.Errorf("edit body = %s", edit.Body)
	}
	follow := env.f.waitFor("POST", "webhooks/"+testAppID+"/itoken-secret")
	if !bytes.Contains(follow.Body, []byte("And one more thing.")) || !bytes.Contains(follow.Body, []byte(`"flags":64`)) {
		t.Errorf("follow-up body = %s", follow.Body)
	}
	<-handled
}

func TestHandlerWithoutReply(t *testing.T) {
	silent := bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) {})
	env := newEndpoint(t, func(o *InteractionOptions) { o.Handler = silent })
	_, body := serve(env.h, signed(env.priv, env.now, commandBody("latest", "", "")))
	if body["type"] != float64(4) || !strings.Contains(fmt.Sprint(body["data"]), "Nothing to show.") {
		t.Errorf("got %v, want an inline \"Nothing to show.\"", body)
	}
}

func TestNewInteractionHandlerValidates(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		opts InteractionOptions
	}{
		{"no key", InteractionOptions{Handler: &recorder{}}},
		{"short key", InteractionOptions{PublicKey: "abcd", Handler: &recorder{}}},
		{"no handler", InteractionOptions{PublicKey: hex.EncodeToString(pub)}},
		{"bad app id", InteractionOptions{PublicKey: hex.EncodeToString(pub), Handler: &recorder{}, AppID: "x"}},
	}
	for _, tt := range tests {
		if _, err := NewInteractionHandler(tt.opts); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func FuzzVerifySignature(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1714550400, 0)
	ok := signed(priv, now, `{"type":1}`)
	f.Add(ok.Header.Get("X-Signature-Ed25519"), ok.Header.Get("X-Signature-Timestamp"), []byte(`{"type":1}`))
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		h := http.Header{}
		h.Set("X-Signature-Ed25519", sig)
		h.Set("X-Signature-Timestamp", ts)
		if verifySignature(pub, h, body, now) && !ed25519.Verify(pub, append([]byte(ts), body...), mustHex(sig)) {
			t.Errorf("accepted a signature ed25519 rejects")
		}
	})
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// A handler's quick path (bot.Quick) answers the interaction inline without
// the full handler; when it declines or panics, the full handler runs.
func TestInteractionQuickPath(t *testing.T) {
	rec := &recorder{}
	env := newEndpoint(t, func(o *InteractionOptions) {
		o.Handler = bot.WithQuick(rec, func(c bot.Command) (bot.Reply, bool) {
			switch c.Args {
			case "cached":
				return bot.Reply{Title: "from memory"}, true
			case "boom":
				panic("quick path bug")
			}
			return bot.Reply{}, false
		})
	})
	for _, tc := range []struct{ value, title string }{
		{"cached", "from memory"},
		{"fresh", "/digest search"},
		{"boom", "/digest search"},
	} {
		code, body := serve(env.h, signed(env.priv, env.now, commandBody("search", "query", tc.value)))
		if code != 200 || body["type"] != float64(4) {
			t.Fatalf("%s: status %d, type %v", tc.value, code, body["type"])
		}
		data := body["data"].(map[string]any)
		if title := data["embeds"].([]any)[0].(map[string]any)["title"]; title != tc.title {
			t.Errorf("%s: title %v, want %q", tc.value, title, tc.title)
		}
		if am, _ := json.Marshal(data["allowed_mentions"]); string(am) != `{"parse":[]}` {
			t.Errorf("%s: allowed_mentions = %s", tc.value, am)
		}
	}
	var ran []string
	for _, c := range rec.Commands() {
		ran = append(ran, c.Args)
	}
	if strings.Join(ran, ",") != "fresh,boom" {
		t.Errorf("full handler ran for %v, want fresh and boom", ran)
	}
}
