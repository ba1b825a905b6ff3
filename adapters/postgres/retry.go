package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"digestbot/bot"
)

// RetryDelivery gives a failed post another chance: attempts reset, due at
// now, and its channel's target for the issue dirty again, so the outbox
// publishes it (or edits it, when it had been sent). It fails with
// bot.ErrNotFound for an unknown id and says so for a delivery that is not
// failed.
func (s *Store) RetryDelivery(ctx context.Context, id int64, now time.Time) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var state, channel, ref string
		var issueID int64
		err := tx.QueryRow(ctx, `SELECT state, channel, issue_id, ref FROM deliveries WHERE id = $1 FOR UPDATE`, id).Scan(&state, &channel, &issueID, &ref)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return bot.ErrNotFound
		case err != nil:
			return err
		}
		next, err := bot.RetryState(bot.DeliveryState(state), ref)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE deliveries SET state = $2, sent_hash = '', claim_hash = '', attempts = 0, last_error = '',
				next_attempt = $3, updated = now()
			WHERE id = $1`, id, string(next), dbTime(now)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE issue_channels SET dirty = true, next_attempt = $3, updated = now()
			WHERE issue_id = $1 AND channel = $2`, issueID, channel, time.Time{})
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: retry delivery %d: %w", id, err)
	}
	return nil
}
