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

var _ bot.SeenBatchStore = (*Store)(nil)

// SeenRequests records many keys in one transaction (SQLite serialises
// writes: one transaction per request caps a busy endpoint). An expired
// key is taken over, as SeenRequest does after deleting it.
func (s *Store) SeenRequests(ctx context.Context, keys []bot.SeenKey, now time.Time) ([]bool, error) {
	seen := make([]bool, len(keys))
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM seen_requests WHERE expires < ?`, dbTime(now)); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO seen_requests (key, expires) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE seen_requests.expires < ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, k := range keys {
			r, err := stmt.ExecContext(ctx, k.Key, dbTime(k.Until), dbTime(now))
			if err != nil {
				return err
			}
			n, err := r.RowsAffected()
			if err != nil {
				return err
			}
			seen[i] = n == 0
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: record requests: %w", err)
	}
	return seen, nil
}
