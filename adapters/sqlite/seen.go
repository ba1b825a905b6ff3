package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"digestbot/bot"
)

var _ bot.SeenStore = (*Store)(nil)

// SeenRequest records key until the given time and reports whether it was
// already recorded and not expired at now.
func (s *Store) SeenRequest(ctx context.Context, key string, until, now time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM seen_requests WHERE expires < ?`, dbTime(now)); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO seen_requests (key, expires) VALUES (?, ?)
			ON CONFLICT (key) DO NOTHING`, key, dbTime(until))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: record request: %w", err)
	}
	return n == 0, nil
}
