package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

func ghostFeed(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ghost.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newServer starts an httptest server closed at the end of the test.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func newTestFetcher(srv *httptest.Server, opts Options) *Fetcher {
	if srv != nil {
		opts.Client = srv.Client()
		// httptest listens on 127.0.0.1, which the egress policy refuses
		// unless it is allowed, as an admin would.
		opts.Egress.AllowPrivateHosts = append(opts.Egress.AllowPrivateHosts, "127.0.0.1")
	}
	return NewFetcher(opts)
}

func TestFetchConditionalGET(t *testing.T) {
	feed := ghostFeed(t)
	const etag = `"v1-abc"`
	const lastMod = "Tue, 03 Feb 2026 07:00:00 GMT"
	var gotINM, gotIMS []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotINM = append(gotINM, r.Header.Get("If-None-Match"))
		gotIMS = append(gotIMS, r.Header.Get("If-Modified-Since"))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(feed)
	})
	f := newTestFetcher(srv, Options{})
	url := srv.URL + "/rss/"

	res, err := f.Fetch(context.Background(), bot.FeedState{URL: url})
	if err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	if res.ETag != etag || res.LastModified != lastMod {
		t.Errorf("validators = %q, %q; want %q, %q", res.ETag, res.LastModified, etag, lastMod)
	}
	if res.Title != "Field Notes on Fair Work" || len(res.Issues) != 2 {
		t.Fatalf("title %q, %d issues", res.Title, len(res.Issues))
	}
	if is := res.Issues[0]; is.Feed != url || is.Newsletter != res.Title || !is.Split || len(is.Roundup) != 6 {
		t.Errorf("issue 0: feed %q newsletter %q split %v roundup %d", is.Feed, is.Newsletter, is.Split, len(is.Roundup))
	}
	if res.TTL != time.Hour {
		t.Errorf("TTL = %v, want 1h from <ttl>60</ttl>", res.TTL)
	}

	res, err = f.Fetch(context.Background(), bot.FeedState{URL: url, ETag: res.ETag, LastModified: res.LastModified})
	if !errors.Is(err, bot.ErrNotModified) || res != nil {
		t.Fatalf("second fetch: res %v, err %v; want ErrNotModified", res, err)
	}
	if want := []string{"", etag}; gotINM[0] != want[0] || gotINM[1] != want[1] {
		t.Errorf("If-None-Match sent: %q, want %q", gotINM, want)
	}
	if gotIMS[0] != "" || gotIMS[1] != lastMod {
		t.Errorf("If-Modified-Since sent: %q", gotIMS)
	}
}

func TestFetchHeaders(t *testing.T) {
	feed := ghostFeed(t)
	var ua, accept, acceptEnc string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		ua, accept, acceptEnc = r.UserAgent(), r.Header.Get("Accept"), r.Header.Get("Accept-Encoding")
		w.Header().Set("Cache-Control", "public, max-age=7200")
		w.Write(feed)
	})
	tests := []struct{ name, opt, want string }{
		{"default", "", DefaultUserAgent},
		{"custom", UserAgent("1.2.3"), "digestbot/1.2.3 (+https://github.com/digestbot/digestbot)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newTestFetcher(srv, Options{UserAgent: tt.opt}).Fetch(context.Background(), bot.FeedState{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if ua != tt.want {
				t.Errorf("User-Agent = %q, want %q", ua, tt.want)
			}
			if !strings.Contains(accept, "application/rss+xml") {
				t.Errorf("Accept = %q", accept)
			}
			if !strings.Contains(acceptEnc, "gzip") {
				t.Errorf("Accept-Encoding = %q, want gzip (set by the transport)", acceptEnc)
			}
			if res.TTL != 2*time.Hour {
				t.Errorf("TTL = %v, want max-age 2h over <ttl> 1h", res.TTL)
			}
		})
	}
}

func TestFetchGzip(t *testing.T) {
	feed := ghostFeed(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Write(feed)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write(feed)
		gz.Close()
	})
	res, err := newTestFetcher(srv, Options{}).Fetch(context.Background(), bot.FeedState{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issues) != 2 {
		t.Errorf("got %d issues from a gzipped feed, want 2", len(res.Issues))
	}
}

func TestFetchStatusErrors(t *testing.T) {
	now := time.Date(2026, 2, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		code       int
		retryAfter string
		wantRetry  time.Duration
		retryable  bool // implements bot.RetryAfterError
		wantInMsg  string
	}{
		{"500", 500, "", 0, false, "500 Internal Server Error"},
		{"502", 502, "", 0, false, "will be tried again"},
		{"404", 404, "", 0, false, "check the feed URL"},
		{"403", 403, "", 0, false, "private or blocks"},
		{"429 seconds", 429, "120", 120 * time.Second, true, "retry after 2m0s"},
		{"503 http date", 503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true, "503 Service Unavailable"},
		{"429 date in the past", 429, now.Add(-time.Hour).Format(http.TimeFormat), 0, true, "429"},
		{"429 huge", 429, "99999999999999999999", 7 * 24 * time.Hour, true, "429"},
		{"429 without Retry-After", 429, "", 0, false, "429 Too Many Requests"},
		{"500 ignores Retry-After", 500, "30", 0, false, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.code)
			})
			f := newTestFetcher(srv, Options{})
			f.now = func() time.Time { return now }
			_, err := f.Fetch(context.Background(), bot.FeedState{URL: srv.URL + "/feed"})
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *StatusError", err, err)
			}
			if se.Code != tt.code || se.RetryAfter != tt.wantRetry {
				t.Errorf("StatusError{Code %d, RetryAfter %v}, want {%d, %v}", se.Code, se.RetryAfter, tt.code, tt.wantRetry)
			}
			if se.URL != srv.URL+"/feed" {
				t.Errorf("URL = %q", se.URL)
			}
			d, ok := bot.RetryAfter(err)
			if ok != tt.retryable || d != tt.wantRetry {
				t.Errorf("bot.RetryAfter = %v, %v; want %v, %v", d, ok, tt.wantRetry, tt.retryable)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) || !strings.HasPrefix(err.Error(), "feeds: ") {
				t.Errorf("error %q lacks %q", err, tt.wantInMsg)
			}
		})
	}
}

func TestFetchTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 4096)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"content-length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		}},
		{"chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Write(big[:512])
			w.(http.Flusher).Flush()
			w.Write(big[512:])
		}},
		{"gzipped", func(w http.ResponseWriter, r *http.Request) {
			// small on the wire, large once decompressed
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write(big)
			gz.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			_, err := newTestFetcher(srv, Options{MaxBytes: 1024}).Fetch(context.Background(), bot.FeedState{URL: srv.URL})
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"stalled body", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			_, err := newTestFetcher(srv, Options{Timeout: 50 * time.Millisecond}).Fetch(context.Background(), bot.FeedState{URL: srv.URL})
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
		})
	}
}

func TestFetchCallerCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	_, err := newTestFetcher(srv, Options{}).Fetch(ctx, bot.FeedState{URL: srv.URL})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestFetchRedirects(t *testing.T) {
	feed := ghostFeed(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n == 0 {
				w.Write(feed)
				return
			}
			http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusMovedPermanently)
		}
	})
	f := newTestFetcher(srv, Options{})
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: srv.URL + "/loop"}); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("loop: err = %v, want ErrTooManyRedirects", err)
	}
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: srv.URL + "/hop/5"}); err != nil {
		t.Errorf("5 redirects: %v, want success", err)
	}
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: srv.URL + "/hop/6"}); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("6 redirects: err = %v, want ErrTooManyRedirects", err)
	}
}

func TestFetchNotAFeed(t *testing.T) {
	tests := []struct {
		name, ctype, body, wantInMsg string
	}{
		{"login page", "text/html; charset=utf-8", `<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>Password</form></body></html>`, "text/html"},
		{"html with xml content type", "application/xml", "\n  <html><body>Consent</body></html>", "got an HTML page"},
		{"home page with feed link", "text/html", `<html><head><link rel="alternate" type="application/rss+xml" href="/rss/"></head><body></body></html>`, "links to a feed at http"},
		{"json that is not a feed", "application/json", `{"hello": "world"}`, "JSON Feed version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.Write([]byte(tt.body))
			})
			_, err := newTestFetcher(srv, Options{}).Fetch(context.Background(), bot.FeedState{URL: srv.URL + "/blog"})
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantInMsg != "" && (!errors.Is(err, ErrNotAFeed) || !strings.Contains(err.Error(), tt.wantInMsg)) {
				t.Errorf("err = %v, want ErrNotAFeed mentioning %q", err, tt.wantInMsg)
			}
		})
	}
	// A feed served as text/html is still a feed.
	feed := ghostFeed(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(feed)
	})
	if _, err := newTestFetcher(srv, Options{}).Fetch(context.Background(), bot.FeedState{URL: srv.URL}); err != nil {
		t.Errorf("RSS served as text/html: %v", err)
	}
}

func TestFetchRedactsURL(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	url := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/feed?token=s3cr3t"
	_, err := newTestFetcher(srv, Options{}).Fetch(context.Background(), bot.FeedState{URL: url})
	if err == nil {
		t.Fatal("no error")
	}
	for _, secret := range []string{"hunter2", "s3cr3t", "user"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
	if !strings.Contains(err.Error(), "/feed?token=xxxxx") {
		t.Errorf("error %q does not name the feed", err)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.org/rss", "https://example.org/rss"},
		{"https://u:p@example.org/rss?key=1#frag", "https://xxxxx@example.org/rss?key=xxxxx"},
		{"testdata/feed.xml", "testdata/feed.xml"},
		{"http://[::1", "<invalid url>"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFetchFile(t *testing.T) {
	abs, err := filepath.Abs("testdata/ghost.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, url string }{
		{"relative path", "testdata/ghost.xml"},
		{"absolute path", abs},
		{"file URL", "file://" + filepath.ToSlash(abs)},
	}
	f := NewFetcher(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.Fetch(context.Background(), bot.FeedState{URL: tt.url})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Issues) != 2 || res.Issues[0].Feed != tt.url {
				t.Errorf("got %d issues, feed %q", len(res.Issues), res.Issues[0].Feed)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := f.Fetch(context.Background(), bot.FeedState{URL: "testdata/no-such-feed.xml"})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want os.ErrNotExist", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		_, err := NewFetcher(Options{MaxBytes: 100}).Fetch(context.Background(), bot.FeedState{URL: "testdata/ghost.xml"})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("html file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "page.html")
		os.WriteFile(p, []byte("<!doctype html><html><body>hi</body></html>"), 0o644)
		if _, err := f.Fetch(context.Background(), bot.FeedState{URL: p}); !errors.Is(err, ErrNotAFeed) {
			t.Errorf("err = %v, want ErrNotAFeed", err)
		}
	})
	t.Run("unsupported scheme", func(t *testing.T) {
		if _, err := f.Fetch(context.Background(), bot.FeedState{URL: "ftp://example.org/feed"}); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestFetchLogs(t *testing.T) {
	feed := ghostFeed(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write(feed) })
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	url := srv.URL + "/rss?token=s3cr3t"
	if _, err := newTestFetcher(srv, Options{Logger: log}).Fetch(context.Background(), bot.FeedState{URL: url}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `"msg":"feed_fetched"`) || !strings.Contains(out, `"issues":2`) {
		t.Errorf("log = %s", out)
	}
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("log leaks the query: %s", out)
	}
}
