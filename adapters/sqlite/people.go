package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

var _ bot.PeopleStore = (*Store)(nil)

// AddFollow saves a follow; added is false when the user already has it.
func (s *Store) AddFollow(ctx context.Context, f bot.Follow) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO follows (platform, user_id, query, created)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, f.Platform, f.User, f.Query, dbTime(f.Created))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: add follow %q of %s user %s: %w", f.Query, f.Platform, f.User, err)
	}
	return n > 0, nil
}

// RemoveFollow deletes a follow; removed is false when there was none.
func (s *Store) RemoveFollow(ctx context.Context, platform, user, query string) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE platform = ? AND user_id = ? AND query = ?`,
			platform, user, query)
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: remove follow %q of %s user %s: %w", query, platform, user, err)
	}
	return n > 0, nil
}

// Follows returns one user's follows, oldest first.
func (s *Store) Follows(ctx context.Context, platform, user string) ([]bot.Follow, error) {
	fs, err := s.follows(ctx, `SELECT platform, user_id, query, created FROM follows
		WHERE platform = ? AND user_id = ? ORDER BY created, query`, platform, user)
	if err != nil {
		return nil, fmt.Errorf("sqlite: follows of %s user %s: %w", platform, user, err)
	}
	return fs, nil
}

// AllFollows returns every follow.
func (s *Store) AllFollows(ctx context.Context) ([]bot.Follow, error) {
	fs, err := s.follows(ctx, `SELECT platform, user_id, query, created FROM follows
		ORDER BY platform, user_id, created, query`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: all follows: %w", err)
	}
	return fs, nil
}

func (s *Store) follows(ctx context.Context, query string, args ...any) ([]bot.Follow, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bot.Follow
	for rows.Next() {
		var f bot.Follow
		var created int64
		if err := rows.Scan(&f.Platform, &f.User, &f.Query, &created); err != nil {
			return nil, err
		}
		f.Created = goTime(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// LastCatchup returns when the user last caught up, zero when never.
func (s *Store) LastCatchup(ctx context.Context, platform, user string) (time.Time, error) {
	var last int64
	err := s.r.QueryRowContext(ctx, `SELECT last FROM catchups WHERE platform = ? AND user_id = ?`,
		platform, user).Scan(&last)
	if err == sql.ErrNoRows {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: last catch-up of %s user %s: %w", platform, user, err)
	}
	return goTime(last), nil
}

// SetLastCatchup records the user's catch-up time.
func (s *Store) SetLastCatchup(ctx context.Context, platform, user string, t time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO catchups (platform, user_id, last) VALUES (?, ?, ?)
			ON CONFLICT (platform, user_id) DO UPDATE SET last = excluded.last`, platform, user, dbTime(t))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: record catch-up of %s user %s: %w", platform, user, err)
	}
	return nil
}

// IssuesSince returns up to limit issues published after since (undated
// ones by when they were archived), newest first.
func (s *Store) IssuesSince(ctx context.Context, since time.Time, limit int) ([]*bot.Issue, error) {
	if limit <= 0 {
		return nil, nil
	}
	ids, err := queryIDs(ctx, s.r, `SELECT id FROM issues
		WHERE (CASE WHEN published = 0 THEN created ELSE published END) > ?
		ORDER BY (CASE WHEN published = 0 THEN created ELSE published END) DESC, id DESC LIMIT ?`,
		dbTime(since), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: issues since %s: %w", since.UTC().Format(time.RFC3339), err)
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
