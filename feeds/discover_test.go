package feeds

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestFindFeed(t *testing.T) {
	feed := ghostFeed(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rss/":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(feed)
		case "/":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><html><head><title>Site</title><link rel="alternate" type="application/rss+xml" href="/rss/"></head><body>Hi</body></html>`))
		case "/nolink":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><html><head><title>Site</title></head><body>Hi</body></html>`))
		case "/meta":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="http://169.254.169.254/latest/meta-data/"></head></html>`))
		default:
			http.NotFound(w, r)
		}
	})
	f := newTestFetcher(srv, Options{})
	ctx := context.Background()

	got, err := f.FindFeed(ctx, srv.URL+"/rss/")
	if err != nil || got.URL != srv.URL+"/rss/" || got.Title == "" {
		t.Errorf("feed URL: %+v, %v; want the feed itself with its title", got, err)
	}
	got, err = f.FindFeed(ctx, srv.URL+"/")
	if err != nil || got.URL != srv.URL+"/rss/" {
		t.Errorf("site page: %+v, %v; want the linked feed", got, err)
	}
	if _, err := f.FindFeed(ctx, srv.URL+"/nolink"); err == nil || !strings.Contains(err.Error(), "links to no feed") {
		t.Errorf("page without feed link: err = %v", err)
	}
	if _, err := f.FindFeed(ctx, srv.URL+"/meta"); !errors.Is(err, ErrEgress) || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("page linking to the metadata address: err = %v, want a link-local refusal", err)
	}
	for _, bad := range []string{"testdata/ghost.xml", "file:///etc/passwd", "ftp://x/"} {
		if _, err := f.FindFeed(ctx, bad); err == nil {
			t.Errorf("FindFeed(%q) = nil error", bad)
		}
	}
	// Without the test's allowance, 127.0.0.1 itself is refused.
	if _, err := NewFetcher(Options{}).FindFeed(ctx, srv.URL+"/rss/"); !errors.Is(err, ErrEgress) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("loopback without allowance: err = %v", err)
	}
}
