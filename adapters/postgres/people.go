package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

var _ bot.PeopleStore = (*Store)(nil)

// AddFollow saves a follow; added is false when the user already has it.
func (s *Store) AddFollow(ctx context.Context, f bot.Follow) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO follows (platform, user_id, query, created)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, f.Platform, f.User, f.Query, dbTime(f.Created))
	if err != nil {
		return false, fmt.Errorf("postgres: add follow %q of %s user %s: %w", f.Query, f.Platform, f.User, err)
	}
	return tag.RowsAffected() > 0, nil
}

// RemoveFollow deletes a follow; removed is false when there was none.
func (s *Store) RemoveFollow(ctx context.Context, platform, user, query string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM follows WHERE platform = $1 AND user_id = $2 AND query = $3`,
		platform, user, query)
	if err != nil {
		return false, fmt.Errorf("postgres: remove follow %q of %s user %s: %w", query, platform, user, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Follows returns one user's follows, oldest first.
func (s *Store) Follows(ctx context.Context, platform, user string) ([]bot.Follow, error) {
	fs, err := s.follows(ctx, `SELECT platform, user_id, query, created FROM follows
		WHERE platform = $1 AND user_id = $2 ORDER BY created, query`, platform, user)
	if err != nil {
		return nil, fmt.Errorf("postgres: follows of %s user %s: %w", platform, user, err)
	}
	return fs, nil
}

// AllFollows returns every follow.
func (s *Store) AllFollows(ctx context.Context) ([]bot.Follow, error) {
	fs, err := s.follows(ctx, `SELECT platform, user_id, query, created FROM follows
		ORDER BY platform, user_id, created, query`)
	if err != nil {
		return nil, fmt.Errorf("postgres: all follows: %w", err)
	}
	return fs, nil
}

func (s *Store) follows(ctx context.Context, query string, args ...any) ([]bot.Follow, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []bot.Follow
	var f bot.Follow
	_, err = pgx.ForEachRow(rows, []any{&f.Platform, &f.User, &f.Query, &f.Created}, func() error {
		f.Created = goTime(f.Created)
		out = append(out, f)
		return nil
	})
	return out, err
}

// LastCatchup returns when the user last caught up, zero when never.
func (s *Store) LastCatchup(ctx context.Context, platform, user string) (time.Time, error) {
	var last time.Time
	err := s.pool.QueryRow(ctx, `SELECT last FROM catchups WHERE platform = $1 AND user_id = $2`,
		platform, user).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: last catch-up of %s user %s: %w", platform, user, err)
	}
	return goTime(last), nil
}

// SetLastCatchup records the user's catch-up time.
func (s *Store) SetLastCatchup(ctx context.Context, platform, user string, t time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO catchups (platform, user_id, last) VALUES ($1, $2, $3)
		ON CONFLICT (platform, user_id) DO UPDATE SET last = excluded.last`, platform, user, dbTime(t))
	if err != nil {
		return fmt.Errorf("postgres: record catch-up of %s user %s: %w", platform, user, err)
	}
	return nil
}

// IssuesSince returns up to limit issues published after since (undated
// ones by when they were archived), newest first.
func (s *Store) IssuesSince(ctx context.Context, since time.Time, limit int) ([]*bot.Issue, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM issues
		WHERE (CASE WHEN published = '0001-01-01 00:00:00+00' THEN created ELSE published END) > $1
		ORDER BY (CASE WHEN published = '0001-01-01 00:00:00+00' THEN created ELSE published END) DESC, id DESC
		LIMIT $2`, dbTime(since), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: issues since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: issues since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	out := make([]*bot.Issue, 0, len(ids))
	for _, id := range ids {
		is, err := s.Issue(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, nil
}
