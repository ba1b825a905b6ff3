package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"digestbot/bot"
)

var _ bot.FeedFinder = (*Fetcher)(nil)

// FindFeed checks a URL typed in chat (/digest subscribe): it must be http
// or https, and is fetched under the egress policy like any feed. A feed
// is returned as it is; a site page is searched for <link rel="alternate">
// and the feed it names is fetched and returned instead.
func (f *Fetcher) FindFeed(ctx context.Context, raw string) (bot.FoundFeed, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bot.FoundFeed{}, fmt.Errorf("feeds: %q is not an http or https URL", RedactURL(raw))
	}
	res, err := f.Fetch(ctx, bot.FeedState{URL: raw})
	if err == nil {
		return bot.FoundFeed{URL: raw, Title: res.Title}, nil
	}
	if !errors.Is(err, ErrNotAFeed) {
		return bot.FoundFeed{}, err
	}
	alt, perr := f.feedLink(ctx, raw)
	if perr != nil {
		return bot.FoundFeed{}, perr
	}
	if alt == "" {
		return bot.FoundFeed{}, fmt.Errorf("feeds: %s is a web page that links to no feed (no <link rel=\"alternate\">): give the feed's own URL, often ending in /rss/, /feed or /atom.xml", RedactURL(raw))
	}
	res, err = f.Fetch(ctx, bot.FeedState{URL: alt})
	if err != nil {
		return bot.FoundFeed{}, fmt.Errorf("feeds: %s links to the feed %s, which fails: %w", RedactURL(raw), RedactURL(alt), err)
	}
	return bot.FoundFeed{URL: alt, Title: res.Title}, nil
}

// feedLink fetches a page under the egress policy and returns the feed
// its <link rel="alternate"> names, resolved against the page's final URL.
func (f *Fetcher) feedLink(ctx context.Context, page string) (string, error) {
	name := RedactURL(page)
	rctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, page, nil)
	if err != nil {
		return "", fmt.Errorf("feeds: %s: bad request: %w", name, unwrapURLError(err))
	}
	client, g := f.clientFor(page)
	if g != nil {
		if err := g.checkURL(req.URL); err != nil {
			return "", fmt.Errorf("feeds: %s: %w", name, err)
		}
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9, */*;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		return "", f.requestError(ctx, rctx, name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &StatusError{URL: name, Code: resp.StatusCode}
	}
	body, err := readCapped(resp.Body, f.opts.MaxBytes)
	if err != nil {
		return "", fmt.Errorf("feeds: %s: %w", name, err)
	}
	return discoverFeed(body, resp.Request.URL.String()), nil
}
