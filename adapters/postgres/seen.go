package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

var _ bot.SeenBatchStore = (*Store)(nil)

// SeenRequests records many keys in one transaction, one round trip for
// the batch (pgx.Batch), each answered as SeenRequest would.
func (s *Store) SeenRequests(ctx context.Context, keys []bot.SeenKey, now time.Time) ([]bool, error) {
	seen := make([]bool, len(keys))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM seen_requests WHERE expires < $1`, dbTime(now))
		for _, k := range keys {
			b.Queue(`INSERT INTO seen_requests (key, expires) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE seen_requests.expires < $3`,
				k.Key, dbTime(k.Until), dbTime(now))
		}
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		for i := range keys {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			seen[i] = tag.RowsAffected() == 0
		}
		return br.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: record requests: %w", err)
	}
	return seen, nil
}
