package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

const feedColumns = `url, title, etag, last_modified, last_poll, last_success,
	next_poll, failures, last_error, lease_owner, lease_until`

func scanFeed(sc interface{ Scan(...any) error }) (bot.FeedState, error) {
	var f bot.FeedState
	var lastPoll, lastSuccess, nextPoll, leaseUntil int64
	err := sc.Scan(&f.URL, &f.Title, &f.ETag, &f.LastModified, &lastPoll, &lastSuccess,
		&nextPoll, &f.ConsecutiveFailures, &f.LastError, &f.LeaseOwner, &leaseUntil)
	f.LastPoll, f.LastSuccess = goTime(lastPoll), goTime(lastSuccess)
	f.NextPoll, f.LeaseUntil = goTime(nextPoll), goTime(leaseUntil)
	return f, err
}

// EnsureFeed adds a feed if it is not known yet; a new feed is due at once.
func (s *Store) EnsureFeed(ctx context.Context, url string) error {
	if url == "" {
		return errors.New("sqlite: ensure feed: empty URL")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO feeds (url) VALUES (?) ON CONFLICT (url) DO NOTHING`, url)
	if err != nil {
		return fmt.Errorf("sqlite: ensure feed %s: %w", url, err)
	}
	return nil
}

// Feed returns one feed's state, or bot.ErrNotFound.
func (s *Store) Feed(ctx context.Context, url string) (bot.FeedState, error) {
	f, err := scanFeed(s.r.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds WHERE url = ?`, url))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.FeedState{}, fmt.Errorf("sqlite: feed %s: %w", url, bot.ErrNotFound)
	}
	if err != nil {
		return bot.FeedState{}, fmt.Errorf("sqlite: feed %s: %w", url, err)
	}
	return f, nil
}

// Feeds returns every feed, ordered by URL.
func (s *Store) Feeds(ctx context.Context) ([]bot.FeedState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list feeds: %w", err)
	}
	defer rows.Close()
	var out []bot.FeedState
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list feeds: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list feeds: %w", err)
	}
	return out, nil
}

// ClaimFeed leases the most overdue feed (earliest NextPoll, then URL) that
// is due and not leased by anyone until now+lease.
func (s *Store) ClaimFeed(ctx context.Context, owner string, now time.Time, lease time.Duration) (bot.FeedState, bool, error) {
	if owner == "" {
		return bot.FeedState{}, false, errors.New("sqlite: claim feed: empty owner")
	}
	n := dbTime(now)
	f, err := scanFeed(s.w.QueryRowContext(ctx, `
		UPDATE feeds SET lease_owner = ?, lease_until = ?
		WHERE url = (
			SELECT url FROM feeds
			WHERE next_poll <= ? AND (lease_owner = '' OR lease_until <= ?)
			ORDER BY next_poll, url LIMIT 1)
		RETURNING `+feedColumns, owner, dbTime(now.Add(lease)), n, n))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.FeedState{}, false, nil
	}
	if err != nil {
		return bot.FeedState{}, false, fmt.Errorf("sqlite: claim feed for %s: %w", owner, err)
	}
	return f, true, nil
}

// NextFeedDue returns the earliest time a feed becomes due: its NextPoll,
// or its lease's expiry when a lease runs past NextPoll.
func (s *Store) NextFeedDue(ctx context.Context) (time.Time, bool, error) {
	var t sql.NullInt64
	err := s.r.QueryRowContext(ctx, `
		SELECT MIN(CASE WHEN lease_owner <> '' AND lease_until > next_poll
			THEN lease_until ELSE next_poll END) FROM feeds`).Scan(&t)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: next feed due: %w", err)
	}
	if !t.Valid {
		return time.Time{}, false, nil
	}
	return goTime(t.Int64), true, nil
}

// RecordPoll stores a poll's outcome and releases the feed's lease. A
// failed poll (r.Err set) counts a consecutive failure and keeps the title
// and validators; a successful one resets the count, stores the validators
// as given and the title unless it is "".
func (s *Store) RecordPoll(ctx context.Context, url string, r bot.PollRecord) error {
	var res sql.Result
	var err error
	if r.Err != "" {
		res, err = s.w.ExecContext(ctx, `
			UPDATE feeds SET last_poll = ?, next_poll = ?, failures = failures + 1,
				last_error = ?, lease_owner = '', lease_until = 0
			WHERE url = ?`, dbTime(r.At), dbTime(r.NextPoll), r.Err, url)
	} else {
		res, err = s.w.ExecContext(ctx, `
			UPDATE feeds SET title = CASE WHEN ? = '' THEN title ELSE ? END,
				etag = ?, last_modified = ?, last_poll = ?, last_success = ?,
				next_poll = ?, failures = 0, last_error = '', lease_owner = '', lease_until = 0
			WHERE url = ?`, r.Title, r.Title, r.ETag, r.LastModified, dbTime(r.At), dbTime(r.At),
			dbTime(r.NextPoll), url)
	}
	if err != nil {
		return fmt.Errorf("sqlite: record poll of %s: %w", url, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: record poll of %s: %w", url, bot.ErrNotFound)
	}
	return nil
}
