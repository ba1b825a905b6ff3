package postgres

import (
	"context"
	"fmt"
	"time"

	"digestbot/bot"
)

var _ bot.SeenStore = (*Store)(nil)

// SeenRequest records key until the given time and reports whether it was
// already recorded and not expired at now.
func (s *Store) SeenRequest(ctx context.Context, key string, until, now time.Time) (bool, error) {
	if _, err := s.pool.Exec(ctx, `DELETE FROM seen_requests WHERE expires < $1`, dbTime(now)); err != nil {
		return false, fmt.Errorf("postgres: record request: %w", err)
	}
	// An expired row left by a concurrent delete's race is taken over.
	tag, err := s.pool.Exec(ctx, `INSERT INTO seen_requests (key, expires) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE seen_requests.expires < $3`,
		key, dbTime(until), dbTime(now))
	if err != nil {
		return false, fmt.Errorf("postgres: record request: %w", err)
	}
	return tag.RowsAffected() == 0, nil
}
