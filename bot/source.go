package bot

import (
	"context"
	"errors"
	"time"
)

// ErrNotModified is returned by Source.Fetch when the server answered 304.
var ErrNotModified = errors.New("not modified")

// Source fetches and splits a feed. feeds.Fetcher implements it.
type Source interface {
	// Fetch gets the feed at f.URL, sending f.ETag and f.LastModified as
	// validators. It returns ErrNotModified (wrapped) for a 304; errors
	// that carry a Retry-After implement RetryAfterError.
	Fetch(ctx context.Context, f FeedState) (*FetchResult, error)
}

// FetchResult is one fetched and split feed.
type FetchResult struct {
	Title        string  // the feed's title
	ETag         string  // validators to send next time
	LastModified string  // ""
	Issues       []Issue // in feed order (usually newest first); Feed and Newsletter set
	// TTL is how long the server asks clients to wait (Cache-Control
	// max-age, RSS <ttl>); 0 when it says nothing.
	TTL time.Duration
}
