package websub_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/adapters/websub"
	"digestbot/bot"
	"digestbot/feeds"
)

// hub is an httptest WebSub hub: it records (un)subscription requests.
type hub struct {
	mu   sync.Mutex
	reqs []url.Values
	srv  *httptest.Server
}

func newHub(t *testing.T) *hub {
	h := &hub{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		h.mu.Lock()
		h.reqs = append(h.reqs, r.PostForm)
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) last(t *testing.T, n int) url.Values {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) != n {
		t.Fatalf("the hub got %d requests, want %d", len(h.reqs), n)
	}
	return h.reqs[n-1]
}

func feedXML(hubURL, self, title string) string {
	return `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>River Weekly</title><link>https://river.example.net/</link>
<atom:link rel="hub" href="` + hubURL + `"/><atom:link rel="self" href="` + self + `"/>
<item><title>` + title + `</title><link>https://river.example.net/1/</link><guid>r-1</guid><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>Lead story about the river with words enough.</p><p>In brief</p><p><a href="https://a.example.com/x">Item</a> one.</p>]]></content:encoded></item></channel></rss>`
}

type rec struct {
	mu  sync.Mutex
	evs []*bot.PushEvent
}

func (r *rec) record(ctx context.Context, ev *bot.PushEvent) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.evs {
		if e.Key == ev.Key {
			return false, nil
		}
	}
	r.evs = append(r.evs, ev)
	return true, nil
}

func TestWebSubLifecycle(t *testing.T) {
	h := newHub(t)
	var feedSrv *httptest.Server
	feedSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, feedXML(h.srv.URL+"/", feedSrv.URL+"/feed/", "First"))
	}))
	defer feedSrv.Close()
	feed := feedSrv.URL + "/feed/"

	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := feeds.NewFetcher(feeds.Options{Egress: feeds.Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	r := &rec{}
	m := &websub.Manager{
		Store: st, Feeds: []string{feed, "testdata/local.xml"},
		Discover: func(ctx context.Context, feed string) (websub.Hub, error) {
			hb, err := f.DiscoverHub(ctx, feed)
			return websub.Hub{Hub: hb.Hub, Topic: hb.Topic}, err
		},
		Request: f.HubRequest, Parse: f.ParseFeed, Record: r.record,
		Now: func() time.Time { return now },
	}
	cb := httptest.NewServer(m)
	defer cb.Close()
	m.PublicURL = cb.URL

	// Subscribe.
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := h.last(t, 1)
	if req.Get("hub.mode") != "subscribe" || req.Get("hub.topic") != feed || !strings.HasPrefix(req.Get("hub.callback"), cb.URL+"/websub/") ||
		len(req.Get("hub.secret")) < 32 || req.Get("hub.lease_seconds") != "864000" {
		t.Fatalf("subscription request %v", req)
	}
	callback, secret := req.Get("hub.callback"), req.Get("hub.secret")

	verify := func(mode, topic, challenge string, lease int) (int, string) {
		q := url.Values{"hub.mode": {mode}, "hub.topic": {topic}, "hub.challenge": {challenge}, "hub.lease_seconds": {fmt.Sprint(lease)}}
		resp, err := http.Get(callback + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := verify("subscribe", "https://other.example.org/feed", "c0", 600); code != 404 {
		t.Errorf("verification for another topic: %d, want 404", code)
	}
	if code, body := verify("subscribe", feed, "chal-123", 3600); code != 200 || body != "chal-123" {
		t.Fatalf("verification: %d %q", code, body)
	}

	// Content distribution, signed sha256 then sha1; a bad one is ignored.
	post := func(body, sig string) int {
		rq, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
		rq.Header.Set("Content-Type", "application/rss+xml")
		if sig != "" {
			rq.Header.Set("X-Hub-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := feedXML(h.srv.URL+"/", feed, "Second")
	if code := post(body, websub.Sign("sha256", secret, []byte(body))); code != 202 {
		t.Errorf("signed distribution: %d", code)
	}
	body1 := feedXML(h.srv.URL+"/", feed, "Third")
	if code := post(body1, websub.Sign("sha1", secret, []byte(body1))); code != 202 {
		t.Errorf("sha1 distribution: %d", code)
	}
	for _, bad := range []string{websub.Sign("sha256", "wrong", []byte(body)), "", "sha256=zz", "md5=00"} {
		if code := post(body, bad); code != 202 {
			t.Errorf("bad signature %q: %d, want 202 (ignored)", bad, code)
		}
	}
	if len(r.evs) != 2 {
		t.Fatalf("%d events recorded, want the two signed ones", len(r.evs))
	}
	if ev := r.evs[0]; ev.Kind != bot.PushFeed || ev.Feed != feed || len(ev.Result.Issues) != 1 || ev.Result.Issues[0].Title != "Second" {
		t.Errorf("event %+v", ev)
	}

	// The hub granted one hour: with half of it left, the lease is renewed.
	now = now.Add(30 * time.Minute)
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if renew := h.last(t, 2); renew.Get("hub.callback") != callback || renew.Get("hub.secret") != secret {
		t.Errorf("renewal %v, want the same callback and secret", renew)
	}
}

func TestWebSubRenewAndUnsubscribe(t *testing.T) {
	h := newHub(t)
	var feedSrv *httptest.Server
	feedSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+h.srv.URL+`/>; rel="hub", <`+feedSrv.URL+`/feed/>; rel="self"`)
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>`)
	}))
	defer feedSrv.Close()
	feed := feedSrv.URL + "/feed/"
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := feeds.NewFetcher(feeds.Options{Egress: feeds.Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	m := &websub.Manager{
		Store: st, Feeds: []string{feed}, PublicURL: "https://bot.example.org",
		Discover: func(ctx context.Context, feed string) (websub.Hub, error) {
			hb, err := f.DiscoverHub(ctx, feed)
			return websub.Hub{Hub: hb.Hub, Topic: hb.Topic}, err
		},
		Request: f.HubRequest, Parse: f.ParseFeed, Record: (&rec{}).record,
		Now: func() time.Time { return now },
	}
	cb := httptest.NewServer(m)
	defer cb.Close()
	ctx := context.Background()
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	first := h.last(t, 1)
	id := strings.TrimPrefix(first.Get("hub.callback"), "https://bot.example.org/websub/")
	verifyURL := cb.URL + "/websub/" + id + "?" + url.Values{"hub.mode": {"subscribe"}, "hub.topic": {feed}, "hub.challenge": {"x"}, "hub.lease_seconds": {"864000"}}.Encode()
	if resp, err := http.Get(verifyURL); err != nil || resp.StatusCode != 200 {
		t.Fatalf("verification: %v %v", resp, err)
	}

	// Well within the lease: nothing to do.
	now = now.Add(24 * time.Hour)
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	h.last(t, 1)
	// Near the end of the lease: renewed with the same callback and secret.
	now = now.Add(8*24*time.Hour + 12*time.Hour)
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	renew := h.last(t, 2)
	if renew.Get("hub.mode") != "subscribe" || renew.Get("hub.callback") != first.Get("hub.callback") || renew.Get("hub.secret") != first.Get("hub.secret") {
		t.Errorf("renewal %v, want the same callback and secret", renew)
	}

	// The feed leaves the configuration: unsubscribed, and the hub's
	// verification of that removes the subscription.
	m.Feeds = nil
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	un := h.last(t, 3)
	if un.Get("hub.mode") != "unsubscribe" || un.Get("hub.callback") != first.Get("hub.callback") {
		t.Errorf("unsubscribe request %v", un)
	}
	unURL := cb.URL + "/websub/" + id + "?" + url.Values{"hub.mode": {"unsubscribe"}, "hub.topic": {feed}, "hub.challenge": {"y"}}.Encode()
	resp, err := http.Get(unURL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("unsubscribe verification: %v %v", resp, err)
	}
	if subs, _ := st.HubSubscriptions(ctx); len(subs) != 0 {
		t.Errorf("%d subscriptions left", len(subs))
	}
	// A distribution for the removed subscription is not found.
	r2, _ := http.Post(cb.URL+"/websub/"+id, "application/rss+xml", strings.NewReader("<rss/>"))
	if r2.StatusCode != 404 {
		t.Errorf("distribution after unsubscribe: %d", r2.StatusCode)
	}
}
