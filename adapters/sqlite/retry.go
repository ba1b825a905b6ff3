package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

// RetryDelivery gives a failed post another chance: attempts reset, due at
// now, and its channel's target for the issue dirty again, so the outbox
// publishes it (or edits it, when it had been sent). It fails with
// bot.ErrNotFound for an unknown id and says so for a delivery that is not
// failed.
func (s *Store) RetryDelivery(ctx context.Context, id int64, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var state, channel, ref string
		var issueID int64
		err := tx.QueryRowContext(ctx, `SELECT state, channel, issue_id, ref FROM deliveries WHERE id = ?`, id).Scan(&state, &channel, &issueID, &ref)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return bot.ErrNotFound
		case err != nil:
			return err
		}
		next, err := bot.RetryState(bot.DeliveryState(state), ref)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE deliveries SET state = ?, sent_hash = '', claim_hash = '', attempts = 0, last_error = '',
				next_attempt = ?, updated = ?
			WHERE id = ?`, string(next), dbTime(now), dbTime(time.Now()), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE issue_channels SET dirty = 1, next_attempt = 0, updated = ?
			WHERE issue_id = ? AND channel = ?`, dbTime(time.Now()), issueID, channel)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: retry delivery %d: %w", id, err)
	}
	return nil
}
