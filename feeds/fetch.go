// Package feeds fetches newsletter feeds (RSS 2.0, Atom, JSON Feed) over
// HTTP or from local files, parses them with gofeed and splits every item
// into a bot.Issue: a lead story and roundup items.
package feeds

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"digestbot/bot"
)

// Defaults for Options.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxBytes = 10 << 20 // 10 MiB
	maxRedirects    = 5
)

// DefaultUserAgent is sent when Options.UserAgent is empty.
var DefaultUserAgent = UserAgent("dev")

// UserAgent returns the User-Agent for a digestbot version.
func UserAgent(version string) string {
	return "digestbot/" + version + " (+https://github.com/digestbot/digestbot)"
}

// Options configures a Fetcher. The zero value works.
type Options struct {
	UserAgent string        // default DefaultUserAgent
	Timeout   time.Duration // per request, headers and body; default 30s
	MaxBytes  int64         // body cap, after decompression; default 10 MiB
	Markers   []string      // extra section markers for every feed (see SplitOptions)
	// Feeds holds per-feed split settings, by feed URL as given to
	// Fetch; their Markers are added to Markers.
	Feeds  map[string]SplitOptions
	Client *http.Client // optional, e.g. for tests; its CheckRedirect, dialer and proxy are replaced
	Logger *slog.Logger // nil: discard
	// Egress is the policy on the addresses feeds may reach. The zero
	// value refuses every private address (see Egress).
	Egress Egress
}

// Fetcher fetches and splits feeds. It implements bot.Source and is safe
// for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client // every feed: private addresses refused unless allowed
	open   *http.Client // configured feeds with allow_private_feeds; nil when off
	strict *guard       // client's policy, for URL checks before dialling
	// configured holds the configuration's feed URLs, which open serves.
	configured map[string]bool
	split      *splitter
	byFeed     map[string]*splitter // Options.Feeds, compiled
	log        *slog.Logger
	// explain, when set, receives how each issue was split
	explain func([]Explanation)
	now     func() time.Time
}

var _ bot.Source = (*Fetcher)(nil)

// NewFetcher returns a Fetcher with opts' zero fields set to defaults.
func NewFetcher(opts Options) *Fetcher {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	var c http.Client
	if opts.Client != nil {
		c = *opts.Client
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	allow, err := ParseAllowList(opts.Egress.AllowPrivateHosts)
	if err != nil {
		// config.Validate refuses such entries first; ignoring them here
		// only refuses more.
		log.Error("egress_allow_list_ignored", slog.Any("error", err))
	}
	f := &Fetcher{
		opts:   opts,
		strict: newGuard(allow, false, opts.Egress.Resolver),
		split:  newSplitter(SplitOptions{Markers: opts.Markers}),
		byFeed: feedSplitters(opts),
		log:    log,
		now:    time.Now,
	}
	f.client = guardedClient(c, f.strict)
	if len(opts.Egress.ConfiguredFeeds) > 0 {
		f.configured = map[string]bool{}
		for _, u := range opts.Egress.ConfiguredFeeds {
			f.configured[u] = true
		}
		if opts.Egress.AllowPrivateFeeds {
			f.open = guardedClient(c, newGuard(allow, true, opts.Egress.Resolver))
		}
	}
	return f
}

// clientFor returns the client whose egress policy applies to a feed URL,
// and that policy's guard (nil when every address is allowed).
func (f *Fetcher) clientFor(feedURL string) (*http.Client, *guard) {
	if f.open != nil && f.configured[feedURL] {
		return f.open, nil
	}
	return f.client, f.strict
}

func feedSplitters(opts Options) map[string]*splitter {
	m := make(map[string]*splitter, len(opts.Feeds))
	for u, so := range opts.Feeds {
		so.Markers = append(append([]string(nil), opts.Markers...), so.Markers...)
		m[u] = newSplitter(so)
	}
	return m
}

// Explain fetches the feed at url like Fetch and returns, for each issue,
// what the splitter recognised and why (`digestbot preview --explain`).
func (f *Fetcher) Explain(ctx context.Context, url string) (*bot.FetchResult, []Explanation, error) {
	var ex []Explanation
	fx := *f
	fx.explain = func(e []Explanation) { ex = e }
	res, err := fx.Fetch(ctx, bot.FeedState{URL: url})
	return res, ex, err
}

// Fetch gets the feed at f.URL (http, https, file:// or a local path) and
// splits it. It sends f.ETag and f.LastModified as validators; a 304
// returns an error wrapping bot.ErrNotModified. Errors for 429 and 503 with
// Retry-After implement bot.RetryAfterError; other HTTP answers are
// *StatusError; see also ErrTimeout, ErrTooLarge, ErrNotAFeed and
// ErrTooManyRedirects.
func (f *Fetcher) Fetch(ctx context.Context, fs bot.FeedState) (*bot.FetchResult, error) {
	u, err := url.Parse(fs.URL)
	if err != nil || fs.URL == "" {
		return nil, fmt.Errorf("feeds: feed URL %q is not a URL or a path", RedactURL(fs.URL))
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		return f.fetchHTTP(ctx, fs)
	case f.configured != nil && !f.configured[fs.URL]:
		// Local files are for the configuration only, never a feed added from chat.
		return nil, fmt.Errorf("feeds: %s: %w", RedactURL(fs.URL), &EgressError{Rule: "scheme", Scheme: cmp.Or(u.Scheme, "file")})
	case u.Scheme == "file":
		p := u.Path
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("feeds: %s: file URLs must be local (file:///path)", fs.URL)
		}
		return f.fetchFile(fs.URL, p)
	case u.Scheme == "" || len(u.Scheme) == 1: // a path; "C:" on Windows
		return f.fetchFile(fs.URL, fs.URL)
	}
	return nil, fmt.Errorf("feeds: %s: unsupported scheme %q: use http, https, file:// or a path", RedactURL(fs.URL), u.Scheme)
}

func (f *Fetcher) fetchFile(feedURL, path string) (*bot.FetchResult, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("feeds: read %s: %w", feedURL, err)
	}
	defer file.Close()
	body, err := readCapped(file, f.opts.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("feeds: read %s: %w", feedURL, err)
	}
	if err := checkFeed(body, "", feedURL); err != nil {
		return nil, err
	}
	res, err := f.result(body, feedURL, "")
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (f *Fetcher) fetchHTTP(ctx context.Context, fs bot.FeedState) (*bot.FetchResult, error) {
	name := RedactURL(fs.URL)
	start := f.now()
	rctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, fs.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("feeds: %s: bad request: %w", name, unwrapURLError(err))
	}
	client, g := f.clientFor(fs.URL)
	if g != nil {
		if err := g.checkURL(req.URL); err != nil {
			f.log.Warn("feed_refused", slog.String("url", name), slog.Any("error", err))
			return nil, fmt.Errorf("feeds: %s: %w", name, err)
		}
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
	// No Accept-Encoding: the transport then asks for gzip itself and
	// decompresses transparently.
	if fs.ETag != "" {
		req.Header.Set("If-None-Match", fs.ETag)
	}
	if fs.LastModified != "" {
		req.Header.Set("If-Modified-Since", fs.LastModified)
	}

	resp, err := client.Do(req)
	if err != nil {
		return nil, f.requestError(ctx, rctx, name, err)
	}
	defer resp.Body.Close()

	switch code := resp.StatusCode; {
	case code == http.StatusNotModified:
		f.log.Debug("feed_not_modified", slog.String("url", name))
		return nil, fmt.Errorf("feeds: %s: %w", name, bot.ErrNotModified)
	case code < 200 || code > 299:
		se := &StatusError{URL: name, Code: code}
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), f.now())
			if se.RetryAfter > 0 || resp.Header.Get("Retry-After") != "" {
				return nil, &RetryLaterError{Status: se}
			}
		}
		return nil, se
	}

	if resp.ContentLength > f.opts.MaxBytes {
		return nil, fmt.Errorf("feeds: %s: %w: %d bytes announced, the limit is %d", name, ErrTooLarge, resp.ContentLength, f.opts.MaxBytes)
	}
	body, err := readCapped(resp.Body, f.opts.MaxBytes)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, fmt.Errorf("feeds: %s: %w", name, err)
		}
		return nil, f.requestError(ctx, rctx, name, err)
	}
	if err := checkFeed(body, resp.Header.Get("Content-Type"), fs.URL); err != nil {
		return nil, err
	}
	res, err := f.result(body, fs.URL, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	res.ETag = resp.Header.Get("ETag")
	res.LastModified = resp.Header.Get("Last-Modified")
	if age := maxAge(resp.Header.Get("Cache-Control")); age > res.TTL {
		res.TTL = age
	}
	f.log.Debug("feed_fetched",
		slog.String("url", name),
		slog.Int("status", resp.StatusCode),
		slog.Int("bytes", len(body)),
		slog.Int("issues", len(res.Issues)),
		slog.Duration("duration", f.now().Sub(start)))
	return res, nil
}

// result parses and splits a fetched body; contentType is the HTTP
// Content-Type ("" for a file), for its charset.
func (f *Fetcher) result(body []byte, feedURL, contentType string) (*bot.FetchResult, error) {
	s := f.split
	if fs, ok := f.byFeed[feedURL]; ok {
		s = fs
	}
	p, err := parseDoc(body, contentType, feedURL, s, f.explain != nil)
	if err != nil {
		return nil, err
	}
	for _, w := range p.warnings {
		f.log.Warn("feed_warning", slog.String("url", RedactURL(feedURL)), slog.String("warning", w))
	}
	if f.explain != nil {
		f.explain(p.explain)
	}
	return &bot.FetchResult{Title: p.title, Issues: p.issues, TTL: p.ttl}, nil
}

// requestError explains a failed request or body read: the caller's
// context ended, the per-request timeout fired, or the network failed.
func (f *Fetcher) requestError(ctx, rctx context.Context, name string, err error) error {
	err = unwrapURLError(err)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("feeds: %s: %w", name, ctx.Err())
	case errors.Is(err, ErrEgress):
		f.log.Warn("feed_refused", slog.String("url", name), slog.Any("error", err))
		return fmt.Errorf("feeds: %s: %w", name, err)
	case errors.Is(err, ErrTooManyRedirects):
		return fmt.Errorf("feeds: %s: %w (more than %d, or a loop): use the final URL", name, ErrTooManyRedirects, maxRedirects)
	case rctx.Err() != nil || isTimeout(err):
		return fmt.Errorf("feeds: %s: %w: no complete answer within %s", name, ErrTimeout, f.opts.Timeout)
	}
	return fmt.Errorf("feeds: %s: %w", name, err)
}

// unwrapURLError drops net/http's *url.Error wrapper, whose message repeats
// the URL with its query (which may hold a secret).
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readCapped reads r to the end, or fails with ErrTooLarge past max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: over the limit of %d bytes", ErrTooLarge, max)
	}
	return body, nil
}

// checkFeed rejects HTML pages before parsing, with a hint at the page's
// own feed link when it has one.
func checkFeed(body []byte, contentType, feedURL string) error {
	ct := strings.ToLower(contentType)
	htmlType := strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "application/xhtml")
	start := sniffStart(body)
	if !startsHTML(start) && (!htmlType || startsFeed(start)) {
		return nil
	}
	got := "an HTML page"
	if contentType != "" {
		got += " (" + contentType + ")"
	}
	hint := "check that the URL is the feed itself, not the site, a login or a consent page"
	if alt := discoverFeed(body, feedURL); alt != "" {
		hint = "the page links to a feed at " + RedactURL(alt)
	}
	return fmt.Errorf("feeds: %s: %w: got %s instead of RSS, Atom or JSON Feed: %s", RedactURL(feedURL), ErrNotAFeed, got, hint)
}
