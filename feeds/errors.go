package feeds

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"digestbot/bot"
)

// Sentinel errors, checked with errors.Is. Every error Fetch returns wraps
// one of these, a *StatusError, bot.ErrNotModified or the caller's context
// error, and names the feed URL (credentials and query removed).
var (
	// ErrTimeout: the server did not answer (headers and body) within
	// Options.Timeout.
	ErrTimeout = errors.New("timed out")
	// ErrTooLarge: the body is over Options.MaxBytes; nothing was parsed.
	ErrTooLarge = errors.New("feed too large")
	// ErrNotAFeed: the document is not RSS, Atom or JSON Feed, e.g. an HTML
	// page (a site's home page, a login or consent wall).
	ErrNotAFeed = errors.New("not a feed")
	// ErrTooManyRedirects: more than 5 redirects (or a redirect loop).
	ErrTooManyRedirects = errors.New("too many redirects")
)

// StatusError is an HTTP answer other than 2xx or 304.
type StatusError struct {
	URL        string        // the feed URL, redacted (no credentials, no query values)
	Code       int           // HTTP status code
	RetryAfter time.Duration // from the Retry-After header, 0 when absent
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("feeds: %s: server answered %d %s", e.URL, e.Code, http.StatusText(e.Code))
	switch {
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden:
		msg += ": the feed is private or blocks this client; check the URL and its access"
	case e.Code == http.StatusNotFound || e.Code == http.StatusGone:
		msg += ": check the feed URL"
	case e.Code == http.StatusTooManyRequests || e.Code == http.StatusServiceUnavailable:
		if e.RetryAfter > 0 {
			msg += fmt.Sprintf(": retry after %s", e.RetryAfter)
		}
	case e.Code >= 500:
		msg += ": the server failed; it will be tried again"
	}
	return msg
}

// RetryLaterError is a 429 or 503 answer carrying a Retry-After header. It
// implements bot.RetryAfterError and unwraps to its *StatusError.
type RetryLaterError struct {
	Status *StatusError
}

func (e *RetryLaterError) Error() string { return e.Status.Error() }

// Unwrap returns the *StatusError.
func (e *RetryLaterError) Unwrap() error { return e.Status }

// RetryAfter is how long the server asked to wait.
func (e *RetryLaterError) RetryAfter() time.Duration { return e.Status.RetryAfter }

// RedactURL is bot.RedactURL, the one URL redaction of digestbot.
//
// Deprecated: call bot.RedactURL.
func RedactURL(raw string) string { return bot.RedactURL(raw) }

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
// It returns 0 when the header is absent or unusable, and caps the wait at a
// week so that a hostile value cannot stop polling for ever.
func parseRetryAfter(v string, now time.Time) time.Duration {
	const maxWait = 7 * 24 * time.Hour
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 63)
		switch {
		case errors.Is(err, strconv.ErrRange) || (err == nil && secs > uint64(maxWait/time.Second)):
			return maxWait
		case err != nil:
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0
	case d > maxWait:
		return maxWait
	}
	return d.Round(time.Second)
}

// maxAge reads max-age from a Cache-Control header; 0 when absent or when
// the response must not be cached.
func maxAge(cc string) time.Duration {
	var age time.Duration
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			v := strings.Trim(strings.TrimPrefix(d, "max-age="), `"`)
			var secs int64
			ok := v != ""
			for i := 0; i < len(v) && ok; i++ {
				if v[i] < '0' || v[i] > '9' {
					ok = false
					break
				}
				secs = secs*10 + int64(v[i]-'0')
				if secs > 365*24*3600 {
					secs = 365 * 24 * 3600
				}
			}
			if ok {
				age = time.Duration(secs) * time.Second
			}
		}
	}
	return age
}
