package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"digestbot/bot"
)

// ErrGhostKey is returned when Ghost refuses the Content API key.
var ErrGhostKey = errors.New("Ghost refused the Content API key")

// GhostPage is one page of Ghost's Content API posts.
type GhostPage struct {
	Posts []GhostPost
	Page  int // this page
	Pages int // how many pages there are
	Total int // how many posts there are
	Next  int // the next page, 0 when this is the last
}

// GhostAPIBase returns the Content API's address for a Ghost feed: the
// site's root (the feed's address without its trailing rss/) followed by
// ghost/api/content/.
func GhostAPIBase(feedURL string) (string, error) {
	u, err := url.Parse(feedURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("feeds: %s: the Content API needs an http(s) feed address", RedactURL(feedURL))
	}
	p := strings.TrimSuffix(u.Path, "/")
	p = strings.TrimSuffix(p, "/rss")
	u.Path = p + "/ghost/api/content/"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// GhostPosts reads one page of the Ghost site's published posts, with
// their HTML, from the Content API (key is the custom integration's
// Content API key): /ghost/api/content/posts/?key=…&formats=html&limit=…&page=N.
// A page past the end has no posts. A wrong key returns an error wrapping
// ErrGhostKey. The key never appears in errors or logs.
func (f *Fetcher) GhostPosts(ctx context.Context, feedURL, key string, page, limit int) (GhostPage, error) {
	base, err := GhostAPIBase(feedURL)
	if err != nil {
		return GhostPage{}, err
	}
	q := url.Values{}
	q.Set("key", key)
	q.Set("formats", "html")
	q.Set("limit", strconv.Itoa(limit))
	q.Set("page", strconv.Itoa(page))
	u := base + "posts/?" + q.Encode()
	name := RedactURL(base+"posts/") + "?page=" + strconv.Itoa(page)

	rctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return GhostPage{}, fmt.Errorf("feeds: %s: bad request: %w", name, unwrapURLError(err))
	}
	client, g := f.clientFor(feedURL)
	if g != nil {
		if err := g.checkURL(req.URL); err != nil {
			return GhostPage{}, fmt.Errorf("feeds: %s: %w", name, err)
		}
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Version", "v5.0")
	resp, err := client.Do(req)
	if err != nil {
		return GhostPage{}, f.requestError(ctx, rctx, name, err)
	}
	defer resp.Body.Close()
	body, err := readCapped(resp.Body, f.opts.MaxBytes)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return GhostPage{}, fmt.Errorf("feeds: %s: %w", name, err)
		}
		return GhostPage{}, f.requestError(ctx, rctx, name, err)
	}

	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		var e struct {
			Errors []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		_ = json.Unmarshal(body, &e)
		code := ""
		if len(e.Errors) > 0 {
			code = e.Errors[0].Code
		}
		if code == "" {
			code = resp.Status
		}
		return GhostPage{}, fmt.Errorf("feeds: %s: %w (%s): copy the Content API key of a custom integration from Ghost Admin (Settings → Integrations), not the Admin API key", name, ErrGhostKey, code)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return GhostPage{}, &StatusError{URL: name, Code: resp.StatusCode}
	}
	var out struct {
		Posts []GhostPost `json:"posts"`
		Meta  struct {
			Pagination struct {
				Page  int  `json:"page"`
				Pages int  `json:"pages"`
				Total int  `json:"total"`
				Next  *int `json:"next"`
			} `json:"pagination"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return GhostPage{}, fmt.Errorf("feeds: %s: not a Ghost Content API answer: %w", name, err)
	}
	p := GhostPage{Posts: out.Posts, Page: out.Meta.Pagination.Page, Pages: out.Meta.Pagination.Pages, Total: out.Meta.Pagination.Total}
	if n := out.Meta.Pagination.Next; n != nil && *n > page {
		p.Next = *n
	}
	return p, nil
}

// GhostHistory reads a Ghost site's published posts through its Content
// API, page by page of limit posts (at most pages pages), and calls fn with
// each page's posts as issues, titled newsletter, the way History calls it
// with each page of a feed. It stops at a page without posts or when Ghost
// says there is no next page. Errors: a refused key wraps ErrGhostKey; a
// failed page names it ("Content API page N: …"), a post that cannot be
// read its id ("post ID: …"); fn's error is returned as it is.
func (f *Fetcher) GhostHistory(ctx context.Context, feed, key, newsletter string, pages, limit int, fn func(page int, res *bot.FetchResult) error) error {
	for page := 1; page <= pages; page++ {
		gp, err := f.GhostPosts(ctx, feed, key, page, limit)
		if err != nil {
			if errors.Is(err, ErrGhostKey) {
				return err
			}
			return fmt.Errorf("Content API page %d: %w", page, err)
		}
		if len(gp.Posts) == 0 {
			return nil // past the last page
		}
		res := &bot.FetchResult{Title: newsletter}
		for _, p := range gp.Posts {
			is, err := f.GhostIssue(feed, p)
			if err != nil {
				return fmt.Errorf("post %s: %w", p.ID, err)
			}
			res.Issues = append(res.Issues, is)
		}
		if err := fn(page, res); err != nil {
			return err
		}
		if gp.Next == 0 {
			return nil
		}
	}
	return nil
}

// IsGhostFeedURL reports whether a feed address has the shape of a Ghost
// site's feed (…/rss/ or …/rss).
func IsGhostFeedURL(feed string) bool {
	u, err := url.Parse(feed)
	return err == nil && (strings.HasSuffix(u.Path, "/rss/") || strings.HasSuffix(u.Path, "/rss"))
}
