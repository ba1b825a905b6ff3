package ghost

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

const (
	testSecret = "harbour-notes-webhook-secret-4f2a"
	testFeed   = "https://harbour.example.org/rss/"
	testEmail  = "editor@harbour.example.org"
)

// now is the fake clock of these tests.
var now = time.Date(2026, 3, 2, 8, 0, 5, 0, time.UTC)

// post returns a Ghost-like post object, the way Ghost 5 puts it in
// post.current: the fields the bot reads and some it must ignore,
// authors with their emails among them.
func post(id, status string) map[string]any {
	return map[string]any{
		"id": id, "uuid": "0d6f3a52-1b7e-4c55-9a0e-5d2f8b1c7e41", "title": "Dock workers win a safety charter",
		"slug": "dock-workers-win", "mobiledoc": nil,
		"html":           `<p>Port unions signed a safety charter after a year of talks, covering night shifts and heat.</p><p>Here’s a roundup of other noteworthy news and initiatives:</p><p><a href="https://one.example.com/a">A report on cranes</a> counts the near misses.</p><p><a href="https://two.example.com/b">A new helpline</a> opens for seafarers.</p>`,
		"plaintext":      "Port unions signed…",
		"custom_excerpt": "Port unions sign a safety charter; cranes and a helpline.",
		"excerpt":        "Port unions sign a safety charter; cranes and a helpline.",
		"feature_image":  "https://harbour.example.org/content/images/2026/03/docks.jpg",
		"url":            "https://harbour.example.org/dock-workers-win/",
		"status":         status, "visibility": "public",
		"published_at": "2026-03-02T08:00:00.000Z", "updated_at": "2026-03-02T08:00:00.000Z",
		"authors": []any{map[string]any{"id": "1", "name": "Test Editor", "email": testEmail}},
		"tags":    []any{},
	}
}

func body(cur, prev map[string]any) []byte {
	if cur == nil {
		cur = map[string]any{}
	}
	if prev == nil {
		prev = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"post": map[string]any{"current": cur, "previous": prev}})
	return b
}

// recorder is a fake bot.Pusher.Accept keeping keys like the store does.
type recorder struct {
	mu   sync.Mutex
	keys map[string]bool
	evs  []*bot.PushEvent
}

func (r *recorder) record(ctx context.Context, ev *bot.PushEvent) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	if r.keys[ev.Key] {
		return false, nil
	}
	r.keys[ev.Key] = true
	r.evs = append(r.evs, ev)
	return true, nil
}

func newHandler(logs *bytes.Buffer, legacy bool) (*Handler, *recorder) {
	rec := &recorder{}
	h := &Handler{
		Sites:  []Site{{Feed: testFeed, Secret: testSecret}},
		Legacy: legacy,
		Build: func(feed string, p Post) (*bot.Issue, error) {
			return &bot.Issue{Feed: feed, GUID: p.ID, Title: p.Title, Link: p.URL}, nil
		},
		Record: rec.record,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return now },
	}
	return h, rec
}

func send(h http.Handler, b []byte, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Ghost/5.130 (https://github.com/TryGhost/Ghost)")
	if sig != "" {
		req.Header.Set("X-Ghost-Signature", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestVerificationTable(t *testing.T) {
	published := body(post("65e2c0ffee0000000000a001", "published"), map[string]any{"status": "draft"})
	changed := bytes.Clone(published)
	changed[len(changed)/2] ^= 0x01
	big := bytes.Repeat([]byte(" "), 3<<20)
	for _, c := range []struct {
		name   string
		body   []byte
		sig    string
		legacy bool
		want   int
		stored int
	}{
		{"good", published, Sign(testSecret, published, now.Add(-2*time.Second)), false, 202, 1},
		{"wrong secret", published, Sign("another-secret", published, now), false, 401, 0},
		{"body changed by one byte", changed, Sign(testSecret, published, now), false, 401, 0},
		{"stale timestamp", published, Sign(testSecret, published, now.Add(-6*time.Minute)), false, 401, 0},
		{"future timestamp", published, Sign(testSecret, published, now.Add(6*time.Minute)), false, 401, 0},
		{"within skew ahead", published, Sign(testSecret, published, now.Add(4*time.Minute)), false, 202, 1},
		{"legacy scheme refused", published, SignLegacy(testSecret, published, now), false, 401, 0},
		{"legacy scheme allowed", published, SignLegacy(testSecret, published, now), true, 202, 1},
		{"missing header", published, "", false, 401, 0},
		{"malformed header", published, "sha256=zz, t=now", false, 401, 0},
		{"header without timestamp", published, strings.Split(Sign(testSecret, published, now), ",")[0], false, 401, 0},
		{"3 MB body", big, Sign(testSecret, big, now), false, 413, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, rec := newHandler(&logs, c.legacy)
			w := send(h, c.body, c.sig)
			if w.Code != c.want {
				t.Errorf("status %d, want %d (%s)", w.Code, c.want, strings.TrimSpace(w.Body.String()))
			}
			if len(rec.evs) != c.stored {
				t.Errorf("%d events stored, want %d", len(rec.evs), c.stored)
			}
			if strings.Contains(logs.String(), testEmail) || strings.Contains(logs.String(), "safety charter") {
				t.Errorf("the log shows the payload: %s", logs.String())
			}
		})
	}
}

func TestReplayRefused(t *testing.T) {
	var logs bytes.Buffer
	h, rec := newHandler(&logs, false)
	b := body(post("65e2c0ffee0000000000a001", "published"), map[string]any{"status": "draft"})
	sig := Sign(testSecret, b, now)
	if w := send(h, b, sig); w.Code != 202 {
		t.Fatalf("first: %d", w.Code)
	}
	if w := send(h, b, sig); w.Code != 401 {
		t.Errorf("replay: %d, want 401", w.Code)
	}
	if len(rec.evs) != 1 {
		t.Errorf("%d events stored, want 1", len(rec.evs))
	}
	if !strings.Contains(logs.String(), "replay") {
		t.Errorf("the refusal does not say replay: %s", logs.String())
	}
	// The same body signed a moment later is another event (Ghost sends
	// unpublished and deleted with identical bodies when a post is deleted).
	if w := send(h, b, Sign(testSecret, b, now.Add(6*time.Millisecond))); w.Code != 202 {
		t.Errorf("same body, new timestamp: %d, want 202", w.Code)
	}
}

func TestNeverGone(t *testing.T) {
	var logs bytes.Buffer
	h, _ := newHandler(&logs, false)
	h.Record = func(context.Context, *bot.PushEvent) (bool, error) { return false, context.DeadlineExceeded }
	b := body(post("65e2c0ffee0000000000a001", "published"), nil)
	if w := send(h, b, Sign(testSecret, b, now)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("store failure: %d, want 503", w.Code)
	}
	h.Sites = nil
	if w := send(h, b, Sign(testSecret, b, now)); w.Code != 401 {
		t.Errorf("no secret configured: %d, want 401", w.Code)
	}
	if !strings.Contains(logs.String(), "ghost.webhook_secret") {
		t.Error("the log does not say how to configure the secret")
	}
}

func TestClassify(t *testing.T) {
	id := "65e2c0ffee0000000000a001"
	full := post(id, "published")
	for _, c := range []struct {
		name string
		body []byte
		kind bot.PushKind
		what string
	}{
		{"first publish", body(full, map[string]any{"status": "draft", "published_at": nil}), bot.PushPublished, "published"},
		{"published, previous empty", body(full, nil), bot.PushPublished, "published"},
		{"republish", body(full, map[string]any{"status": "draft", "updated_at": "x"}), bot.PushPublished, "published"},
		{"published by the scheduler", body(full, map[string]any{"status": "scheduled"}), bot.PushPublished, "published by the scheduler"},
		{"edited", body(full, map[string]any{"html": "<p>old</p>", "updated_at": "x"}), bot.PushEdited, "edited"},
		{"unpublished", body(post(id, "draft"), map[string]any{"status": "published"}), bot.PushWithdrawn, "unpublished"},
		{"deleted", body(nil, full), bot.PushWithdrawn, "deleted"},
		{"scheduled", body(post(id, "scheduled"), map[string]any{"status": "draft"}), bot.PushScheduled, "scheduled"},
		{"draft saved", body(post(id, "draft"), map[string]any{"title": "x"}), "", "status draft"},
	} {
		ev, err := Classify(c.body)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ev.Kind != c.kind || ev.What != c.what || ev.ID != id {
			t.Errorf("%s: got %q %q %q, want %q %q %q", c.name, ev.Kind, ev.What, ev.ID, c.kind, c.what, id)
		}
	}
	for _, bad := range []string{`[]`, `{}`, `{"post":{"current":{},"previous":{}}}`, `{"post":{"current":{"status":"published"}}}`} {
		if _, err := Classify([]byte(bad)); err == nil {
			t.Errorf("Classify(%s) succeeded", bad)
		}
	}
}

// Several Ghost sites: each feed's secret, and the post URL's site when
// two feeds share one.
func TestSitesMatched(t *testing.T) {
	var logs bytes.Buffer
	h, rec := newHandler(&logs, false)
	h.Sites = []Site{
		{Feed: testFeed, Secret: testSecret},
		{Feed: "https://river.example.net/rss/", Secret: "river-secret"},
		{Feed: "https://lake.example.net/rss/", Secret: "river-secret"},
	}
	p := post("65e2c0ffee0000000000a002", "published")
	p["url"] = "https://lake.example.net/some-post/"
	b := body(p, nil)
	if w := send(h, b, Sign("river-secret", b, now)); w.Code != 202 {
		t.Fatalf("status %d", w.Code)
	}
	if rec.evs[0].Feed != "https://lake.example.net/rss/" {
		t.Errorf("matched feed %s, want the lake site", rec.evs[0].Feed)
	}
	// two sites share the secret and the post names neither: refused
	p["url"] = "https://elsewhere.example.com/p/"
	b2 := body(p, map[string]any{"status": "draft"})
	if w := send(h, b2, Sign("river-secret", b2, now)); w.Code != 400 {
		t.Errorf("post of an unknown site: %d, want 400", w.Code)
	}
	// deleted (no URL) with a shared secret: withdrawn from both
	gone := post("65e2c0ffee0000000000a003", "published")
	delete(gone, "url") // Ghost's deleted payload has no url
	d := body(nil, gone)
	if w := send(h, d, Sign("river-secret", d, now)); w.Code != 202 {
		t.Fatalf("status %d", w.Code)
	}
	if n := len(rec.evs); n != 3 {
		t.Errorf("%d events, want 1 + 2 withdrawals", n)
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add("sha256=" + strings.Repeat("ab", 32) + ", t=1700000000000")
	f.Add("sha256=,t=")
	f.Add("t=1, sha256=" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, h string) {
		sig, err := ParseSignature(h)
		if err == nil && (len(sig.MAC) != 32 || sig.T == "") {
			t.Errorf("accepted %q without a MAC and timestamp", h)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add(body(post("a", "published"), nil))
	f.Add(body(nil, post("a", "published")))
	f.Add([]byte(`{"post":{"current":{"id":1}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Classify(b)
		if err == nil && ev.Kind != "" && ev.ID == "" {
			t.Errorf("event %q without a post id", ev.Kind)
		}
	})
}
