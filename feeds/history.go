package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"digestbot/bot"
)

// PageURL returns the address of page n (from 1) of a feed's history, or
// "" when the feed has no known pagination. Ghost serves /rss/2/,
// WordPress ?paged=2.
func PageURL(feed string, n int) string {
	if n == 1 {
		return feed
	}
	u, err := url.Parse(feed)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	switch {
	case strings.HasSuffix(u.Path, "/rss/") || strings.HasSuffix(u.Path, "/rss"):
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strconv.Itoa(n) + "/"
	case strings.Contains(u.Path, "/feed"):
		q := u.Query()
		q.Set("paged", strconv.Itoa(n))
		u.RawQuery = q.Encode()
	default:
		return ""
	}
	return u.String()
}

// History fetches the pages of a feed's history in order, at most pages
// of them, and hands each to fn with its number. It stops past the last
// page: a 404 after page 1, a page with no issues, a page that starts with
// the issue the one before started with (a server that ignores the page
// number), or a feed with no known pagination (PageURL). An error of a
// fetch, or of fn, ends it.
func (f *Fetcher) History(ctx context.Context, feed string, pages int, fn func(page int, res *bot.FetchResult) error) error {
	prevFirst := ""
	for page := 1; page <= pages; page++ {
		u := PageURL(feed, page)
		if u == "" {
			return nil
		}
		res, err := f.Fetch(ctx, bot.FeedState{URL: u})
		if err != nil {
			var se *StatusError
			if page > 1 && errors.As(err, &se) && se.Code == 404 {
				return nil // past the last page
			}
			return fmt.Errorf("page %d: %w", page, err)
		}
		if len(res.Issues) == 0 || res.Issues[0].GUID == prevFirst {
			return nil
		}
		prevFirst = res.Issues[0].GUID
		if err := fn(page, res); err != nil {
			return err
		}
	}
	return nil
}
