package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file is a fake of Discord's REST API, enough for the adapter: it
// stores messages, threads and forum posts, enforces nonces, checks the bot
// and webhook tokens, sends rate-limit headers and refuses with 429 when a
// bucket is spent, and records every request.

const (
	testToken        = "test-bot-token.XYZ"
	testWebhookID    = "900"
	testWebhookToken = "s3cret-webhook-token_ABC"
	testGuild        = "500"
	testAppID        = "321" // interaction follow-ups go to webhooks/321/<interaction token>
	textChannel      = "100"
	forumChannel     = "200"
	bucketLimit      = 5
)

// fakeClock is the clock both the client and the fake use: Sleep advances
// it at once and records the wait.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

type recorded struct {
	Method, Path string // Path without the /api/v10/ prefix
	Query        string
	Header       http.Header
	Body         []byte
}

func (r recorded) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v: %s", r.Method, r.Path, err, r.Body)
	}
	return m
}

// scripted is a canned answer for the next requests matching Method and a
// Path prefix. Store lets the request take effect before the canned answer
// (a message created whose answer is lost).
type scripted struct {
	Method, Path string
	Times        int
	Status       int
	Header       map[string]string
	Body         string
	Store        bool
}

type fakeMessage struct {
	ID        string            `json:"id"`
	ChannelID string            `json:"channel_id"`
	Nonce     string            `json:"nonce,omitempty"`
	Embeds    []json.RawMessage `json:"embeds"`
	Author    map[string]any    `json:"author"`
	WebhookID string            `json:"webhook_id,omitempty"`
}

type fakeChannel struct {
	ID, GuildID, ParentID string
	Type                  int
	Messages              []*fakeMessage
}

type fakeBucket struct {
	remaining int
	reset     time.Time
}

type fakeDiscord struct {
	t     *testing.T
	srv   *httptest.Server
	clock *fakeClock
	mux   *http.ServeMux

	mu        sync.Mutex
	nextID    int64
	channels  map[string]*fakeChannel
	nonces    map[string]*fakeMessage // channel|nonce -> message, while the window lasts
	requests  []recorded
	scripts   []*scripted
	buckets   map[string]*fakeBucket
	changed   chan struct{}
	hookChan  string // the webhook's channel
	commands  map[string]json.RawMessage
	noBuckets bool // send no rate-limit headers
	limited   int  // 429s the buckets gave (scripted ones not counted)
}

func newFake(t *testing.T, clock *fakeClock) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{
		t: t, clock: clock, nextID: 1000,
		channels: map[string]*fakeChannel{
			textChannel:  {ID: textChannel, GuildID: testGuild, Type: 0},
			forumChannel: {ID: forumChannel, GuildID: testGuild, Type: 15},
		},
		nonces:   map[string]*fakeMessage{},
		buckets:  map[string]*fakeBucket{},
		changed:  make(chan struct{}),
		hookChan: textChannel,
		commands: map[string]json.RawMessage{},
	}
	f.mux = http.NewServeMux()
	f.routes()
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// APIURL is the fake's REST base URL.
func (f *fakeDiscord) APIURL() string { return f.srv.URL + "/api/v10/" }

// script queues canned answers.
func (f *fakeDiscord) script(s ...scripted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range s {
		if s[i].Times == 0 {
			s[i].Times = 1
		}
		f.scripts = append(f.scripts, &s[i])
	}
}

// forgetNonces ends Discord's nonce window: a repeated nonce now makes a
// new message.
func (f *fakeDiscord) forgetNonces() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nonces = map[string]*fakeMessage{}
}

// Requests returns what was received, optionally only one method and path
// prefix.
func (f *fakeDiscord) Requests(method, prefix string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor blocks until a request matching method and prefix has arrived.
// The deadline only guards against a hang; nothing sleeps.
func (f *fakeDiscord) waitFor(method, prefix string) recorded {
	f.t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if rs := f.Requests(method, prefix); len(rs) > 0 {
			return rs[0]
		}
		select {
		case <-ch:
		case <-deadline.C:
			f.t.Fatalf("no %s %s request arrived", method, prefix)
		}
	}
}

// Messages returns the messages stored in a channel, oldest first.
func (f *fakeDiscord) Messages(channel string) []*fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.channels[channel]; c != nil {
		return append([]*fakeMessage(nil), c.Messages...)
	}
	return nil
}

func (f *fakeDiscord) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	path := strings.TrimPrefix(r.URL.Path, "/api/v10/")
	rec := recorded{Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}

	f.mu.Lock()
	f.requests = append(f.requests, rec)
	close(f.changed)
	f.changed = make(chan struct{})
	var hit *scripted
	for _, s := range f.scripts {
		if s.Times > 0 && s.Method == r.Method && strings.HasPrefix(path, s.Path) {
			s.Times--
			hit = s
			break
		}
	}
	f.mu.Unlock()

	if hit != nil && hit.Store {
		f.mux.ServeHTTP(httptest.NewRecorder(), r)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if hit != nil {
		for k, v := range hit.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(hit.Status)
		io.WriteString(w, hit.Body)
		return
	}
	if strings.HasPrefix(path, "channels/") || strings.HasPrefix(path, "guilds/") ||
		strings.HasPrefix(path, "applications/") || strings.HasPrefix(path, "gateway") {
		if r.Header.Get("Authorization") != "Bot "+testToken {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
			return
		}
	}
	if !f.rateLimit(w, r.Method, path) {
		return
	}
	f.mux.ServeHTTP(w, r)
}

// rateLimit sends real bucket headers and refuses a spent bucket with 429.
func (f *fakeDiscord) rateLimit(w http.ResponseWriter, method, path string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noBuckets {
		return true
	}
	route := routeOf(method, path)
	now := f.clock.Now()
	b := f.buckets[route]
	if b == nil || !now.Before(b.reset) {
		b = &fakeBucket{remaining: bucketLimit, reset: now.Add(time.Second)}
		f.buckets[route] = b
	}
	after := b.reset.Sub(now).Seconds()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(bucketLimit))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(b.reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after, 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", fmt.Sprintf("bkt%x", len(route)*7919+int(route[0])))
	if b.remaining <= 0 {
		f.limited++
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Scope", "user")
		h.Set("Retry-After", strconv.Itoa(int(after+0.999)))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": after, "global": false})
		return false
	}
	b.remaining--
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiErr(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func (f *fakeDiscord) id() string {
	f.nextID++
	return strconv.FormatInt(f.nextID, 10)
}
