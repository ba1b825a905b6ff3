package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

const feedColumns = `url, title, etag, last_modified, last_poll, last_success,
	next_poll, failures, last_error, lease_owner, lease_until`

func scanFeed(row pgx.Row) (bot.FeedState, error) {
	var f bot.FeedState
	err := row.Scan(&f.URL, &f.Title, &f.ETag, &f.LastModified, &f.LastPoll, &f.LastSuccess,
		&f.NextPoll, &f.ConsecutiveFailures, &f.LastError, &f.LeaseOwner, &f.LeaseUntil)
	f.LastPoll, f.LastSuccess = goTime(f.LastPoll), goTime(f.LastSuccess)
	f.NextPoll, f.LeaseUntil = goTime(f.NextPoll), goTime(f.LeaseUntil)
	return f, err
}

// EnsureFeed adds a feed if it is not known yet; a new feed is due at once.
func (s *Store) EnsureFeed(ctx context.Context, url string) error {
	if url == "" {
		return errors.New("postgres: ensure feed: empty URL")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO feeds (url) VALUES ($1) ON CONFLICT (url) DO NOTHING`, url); err != nil {
		return fmt.Errorf("postgres: ensure feed %s: %w", url, err)
	}
	return nil
}

// Feed returns one feed's state, or bot.ErrNotFound.
func (s *Store) Feed(ctx context.Context, url string) (bot.FeedState, error) {
	f, err := scanFeed(s.pool.QueryRow(ctx, `SELECT `+feedColumns+` FROM feeds WHERE url = $1`, url))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.FeedState{}, fmt.Errorf("postgres: feed %s: %w", url, bot.ErrNotFound)
	}
	if err != nil {
		return bot.FeedState{}, fmt.Errorf("postgres: feed %s: %w", url, err)
	}
	return f, nil
}

// Feeds returns every feed, ordered by URL.
func (s *Store) Feeds(ctx context.Context) ([]bot.FeedState, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+feedColumns+` FROM feeds ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list feeds: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.FeedState, error) { return scanFeed(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list feeds: %w", err)
	}
	return out, nil
}

// ClaimFeed leases the most overdue feed (earliest NextPoll, then URL)
// that is due and not leased, to owner until now+lease. Replicas claiming
// at the same moment skip each other's locked rows (FOR UPDATE SKIP
// LOCKED), so each gets a different feed or none, never the same one.
func (s *Store) ClaimFeed(ctx context.Context, owner string, now time.Time, lease time.Duration) (bot.FeedState, bool, error) {
	if owner == "" {
		return bot.FeedState{}, false, errors.New("postgres: claim feed: empty owner")
	}
	f, err := scanFeed(s.pool.QueryRow(ctx, `
		WITH due AS (
			SELECT url FROM feeds
			WHERE next_poll <= $3 AND (lease_owner = '' OR lease_until <= $3)
			ORDER BY next_poll, url
			LIMIT 1
			FOR UPDATE SKIP LOCKED)
		UPDATE feeds f SET lease_owner = $1, lease_until = $2
		FROM due WHERE f.url = due.url
		RETURNING `+prefixed("f.", feedColumns), owner, dbTime(now.Add(lease)), dbTime(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.FeedState{}, false, nil
	}
	if err != nil {
		return bot.FeedState{}, false, fmt.Errorf("postgres: claim feed for %s: %w", owner, err)
	}
	return f, true, nil
}

// NextFeedDue returns the earliest time a feed becomes due: its NextPoll,
// or its lease's expiry when a lease runs past NextPoll.
func (s *Store) NextFeedDue(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT MIN(CASE WHEN lease_owner <> '' AND lease_until > next_poll
			THEN lease_until ELSE next_poll END) FROM feeds`).Scan(&t)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("postgres: next feed due: %w", err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return goTime(*t), true, nil
}

// RecordPoll stores a poll's outcome and releases the feed's lease. A
// failed poll (r.Err set) counts a consecutive failure and keeps the title
// and validators; a successful one resets the count, stores the validators
// as given and the title unless it is "".
func (s *Store) RecordPoll(ctx context.Context, url string, r bot.PollRecord) error {
	var q string
	var args []any
	if r.Err != "" {
		q = `UPDATE feeds SET last_poll = $1, next_poll = $2, failures = failures + 1,
				last_error = $3, lease_owner = '', lease_until = $4
			WHERE url = $5`
		args = []any{dbTime(r.At), dbTime(r.NextPoll), r.Err, time.Time{}, url}
	} else {
		q = `UPDATE feeds SET title = CASE WHEN $1 = '' THEN title ELSE $1 END,
				etag = $2, last_modified = $3, last_poll = $4, last_success = $4,
				next_poll = $5, failures = 0, last_error = '', lease_owner = '', lease_until = $6
			WHERE url = $7`
		args = []any{r.Title, r.ETag, r.LastModified, dbTime(r.At), dbTime(r.NextPoll), time.Time{}, url}
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: record poll of %s: %w", url, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: record poll of %s: %w", url, bot.ErrNotFound)
	}
	return nil
}
