package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"digestbot/bot"
)

const testContentKey = "c0ffee5eed1234abcd5678ef90"

// fakeContentAPI serves n posts of an invented site through Ghost's
// Content API, pages as Ghost answers them (a page past the end is 200
// with no posts), dates ending +00:00.
func fakeContentAPI(t *testing.T, n int, nextNull bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ghost/api/content/posts/" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("key") != testContentKey {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"errors":[{"message":"Unknown Content API Key","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"UNKNOWN_CONTENT_API_KEY","id":"x","ghostErrorCode":null}]}`)
			return
		}
		if r.URL.Query().Get("formats") != "html" {
			t.Errorf("formats = %q, want html", r.URL.Query().Get("formats"))
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		pages := (n + limit - 1) / limit
		var posts []string
		for i := (page - 1) * limit; i < page*limit && i < n; i++ {
			posts = append(posts, fmt.Sprintf(`{"id":"65e2c0ffee00000000%06d","uuid":"u%d","title":"Issue %d","slug":"issue-%d","html":"<p>Lead story %d with enough words.</p><p>Here’s a roundup of other noteworthy news and initiatives:</p><p><a href=\"https://src.example.com/%d\">Source</a> says a thing.</p>","feature_image":null,"custom_excerpt":null,"excerpt":"Lead story %d with enough words.","url":"%s/issue-%d/","published_at":"2025-0%d-0%dT08:00:00.000+00:00","updated_at":"2025-01-01T08:00:00.000+00:00"}`,
				i, i, i, i, i, i, i, "http://"+r.Host, i, 1+i%9, 1+i%9))
		}
		next := "null"
		if page < pages && !nextNull {
			next = strconv.Itoa(page + 1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"posts":[%s],"meta":{"pagination":{"page":%d,"limit":%d,"pages":%d,"total":%d,"next":%s,"prev":null}}}`,
			strings.Join(posts, ","), page, limit, pages, n, next)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGhostPostsPaging(t *testing.T) {
	srv := fakeContentAPI(t, 7, false)
	f := NewFetcher(Options{Egress: Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
	feed := srv.URL + "/rss/"
	var ids []string
	for page := 1; ; page++ {
		gp, err := f.GhostPosts(context.Background(), feed, testContentKey, page, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(gp.Posts) == 0 {
			t.Fatalf("page %d empty before next was null", page)
		}
		for _, p := range gp.Posts {
			is, err := f.GhostIssue(feed, p)
			if err != nil {
				t.Fatal(err)
			}
			if is.Published.IsZero() || !is.Split || len(is.Roundup) != 1 {
				t.Errorf("post %s: published %v, split %v", p.ID, is.Published, is.Split)
			}
			ids = append(ids, is.GUID)
		}
		if gp.Next == 0 {
			break
		}
	}
	if len(ids) != 7 {
		t.Errorf("read %d posts, want 7", len(ids))
	}
	// past the end: 200, no posts
	gp, err := f.GhostPosts(context.Background(), feed, testContentKey, 9, 3)
	if err != nil || len(gp.Posts) != 0 {
		t.Errorf("page past the end: %d posts, %v", len(gp.Posts), err)
	}
}

func TestGhostPostsWrongKey(t *testing.T) {
	srv := fakeContentAPI(t, 3, false)
	f := NewFetcher(Options{Egress: Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
	_, err := f.GhostPosts(context.Background(), srv.URL+"/rss/", "wrong-key-9f8e7d", 1, 15)
	if !errors.Is(err, ErrGhostKey) {
		t.Fatalf("err = %v, want ErrGhostKey", err)
	}
	if !strings.Contains(err.Error(), "UNKNOWN_CONTENT_API_KEY") || !strings.Contains(err.Error(), "Integrations") {
		t.Errorf("the error does not say what is wrong and what to do: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-key-9f8e7d") {
		t.Errorf("the error shows the key: %v", err)
	}
}

func TestGhostAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://news.example.org/rss/":      "https://news.example.org/ghost/api/content/",
		"https://news.example.org/blog/rss/": "https://news.example.org/blog/ghost/api/content/",
		"https://news.example.org/rss":       "https://news.example.org/ghost/api/content/",
	} {
		if got, err := GhostAPIBase(in); err != nil || got != want {
			t.Errorf("GhostAPIBase(%s) = %s, %v", in, got, err)
		}
	}
	if _, err := GhostAPIBase("testdata/ghost.xml"); err == nil {
		t.Error("a local path got an API address")
	}
}

// GhostHistory reads every post once, page by page, stopping at next:null,
// within the page limit; fn's error and a refused key stop it.
func TestGhostHistory(t *testing.T) {
	f := NewFetcher(Options{Egress: Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
	for _, nextNull := range []bool{false, true} {
		srv := fakeContentAPI(t, 7, nextNull)
		feed := srv.URL + "/rss/"
		var pages []int
		guids := map[string]bool{}
		err := f.GhostHistory(context.Background(), feed, testContentKey, "The Digest", 10, 3, func(page int, res *bot.FetchResult) error {
			pages = append(pages, page)
			if res.Title != "The Digest" {
				t.Errorf("page %d titled %q", page, res.Title)
			}
			for _, is := range res.Issues {
				guids[is.GUID] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want, posts, most := "[1 2 3]", 7, "[1 2]"
		if nextNull {
			want, posts, most = "[1]", 3, "[1]" // Ghost says there is no page 2
		}
		if fmt.Sprint(pages) != want || len(guids) != posts {
			t.Errorf("next null %v: pages %v, %d posts; want %s and %d", nextNull, pages, len(guids), want, posts)
		}
		pages = nil
		_ = f.GhostHistory(context.Background(), feed, testContentKey, "", 2, 3, func(page int, _ *bot.FetchResult) error {
			pages = append(pages, page)
			return nil
		})
		if fmt.Sprint(pages) != most {
			t.Errorf("next null %v, at most 2 pages: read %v, want %s", nextNull, pages, most)
		}
	}
	srv := fakeContentAPI(t, 3, false)
	stop := errors.New("stop")
	if err := f.GhostHistory(context.Background(), srv.URL+"/rss/", testContentKey, "", 5, 3, func(int, *bot.FetchResult) error { return stop }); err != stop {
		t.Errorf("fn's error came back as %v", err)
	}
	err := f.GhostHistory(context.Background(), srv.URL+"/rss/", "wrong-key-9f8e7d", "", 5, 3, func(int, *bot.FetchResult) error {
		t.Error("fn called with a wrong key")
		return nil
	})
	if !errors.Is(err, ErrGhostKey) || strings.Contains(err.Error(), "wrong-key-9f8e7d") {
		t.Errorf("wrong key: %v", err)
	}
}

func TestIsGhostFeedURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://news.example.org/rss/":       true,
		"https://news.example.org/blog/rss":   true,
		"https://news.example.org/feed.xml":   false,
		"https://news.example.org/?feed=rss2": false,
	} {
		if got := IsGhostFeedURL(in); got != want {
			t.Errorf("IsGhostFeedURL(%s) = %v, want %v", in, got, want)
		}
	}
}
