package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

var _ bot.PushStore = (*Store)(nil)

// RecordPush implements bot.PushStore.
func (s *Store) RecordPush(ctx context.Context, ev *bot.PushEvent) (bool, error) {
	if err := bot.CheckPush(ev); err != nil {
		return false, fmt.Errorf("sqlite: record push: %w", err)
	}
	payload, err := bot.EncodePushPayload(ev)
	if err != nil {
		return false, fmt.Errorf("sqlite: record push: %w", err)
	}
	inserted := false
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO push_events (key, source, kind, feed, guid, payload, received)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`,
			ev.Key, ev.Source, string(ev.Kind), ev.Feed, ev.GUID, payload, dbTime(ev.ReceivedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			inserted = true
			ev.ID, err = res.LastInsertId()
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: record push: %w", err)
	}
	return inserted, nil
}

// ClaimPushes implements bot.PushStore.
func (s *Store) ClaimPushes(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]bot.PushEvent, error) {
	if owner == "" {
		return nil, errors.New("sqlite: claim push events: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	n := dbTime(now)
	var out []bot.PushEvent
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT id, key, source, kind, feed, guid, payload, received, attempts, last_error
			FROM push_events
			WHERE state = 'pending' AND next_attempt <= ? AND (lease_owner = '' OR lease_until <= ?)
			ORDER BY id LIMIT ?`, n, n, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev bot.PushEvent
			var payload []byte
			var received int64
			if err := rows.Scan(&ev.ID, &ev.Key, &ev.Source, &ev.Kind, &ev.Feed, &ev.GUID, &payload, &received, &ev.Attempts, &ev.LastError); err != nil {
				return err
			}
			ev.ReceivedAt = goTime(received)
			ev.Attempts++
			if err := bot.DecodePushPayload(&ev, payload); err != nil {
				return err
			}
			out = append(out, ev)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, ev := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE push_events SET lease_owner = ?, lease_until = ?, attempts = ? WHERE id = ?`,
				owner, dbTime(now.Add(lease)), ev.Attempts, ev.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim push events: %w", err)
	}
	return out, nil
}

// FinishPush implements bot.PushStore.
func (s *Store) FinishPush(ctx context.Context, id int64, errMsg string, next time.Time) error {
	state := "done"
	switch {
	case errMsg != "" && next.IsZero():
		state = "failed"
	case errMsg != "":
		state = "pending"
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE push_events SET state = ?, last_error = ?, next_attempt = ?,
			lease_owner = '', lease_until = 0 WHERE id = ?`, state, errMsg, dbTime(next), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return bot.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: finish push event %d: %w", id, err)
	}
	return nil
}

// PrunePushes implements bot.PushStore.
func (s *Store) PrunePushes(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM push_events WHERE state IN ('done', 'failed') AND received < ?`, dbTime(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune push events: %w", err)
	}
	return int(n), nil
}

// PushCounts implements bot.PushStore.
func (s *Store) PushCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT state, COUNT(*) FROM push_events GROUP BY state`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			out[st] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: count push events: %w", err)
	}
	return out, nil
}

// MarkWithdrawn implements bot.PushStore.
func (s *Store) MarkWithdrawn(ctx context.Context, feed, guid string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO withdrawn_issues (feed, guid, at) VALUES (?, ?, ?)
			ON CONFLICT (feed, guid) DO UPDATE SET at = MAX(at, excluded.at)`, feed, guid, dbTime(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark %s withdrawn: %w", guid, err)
	}
	return nil
}

// ClearWithdrawn implements bot.PushStore.
func (s *Store) ClearWithdrawn(ctx context.Context, feed, guid string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM withdrawn_issues WHERE feed = ? AND guid = ?`, feed, guid)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: clear withdrawn %s: %w", guid, err)
	}
	return nil
}

// WithdrawnSince implements bot.PushStore.
func (s *Store) WithdrawnSince(ctx context.Context, feed string, since time.Time) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT guid FROM withdrawn_issues WHERE feed = ? AND at >= ?`, feed, dbTime(since))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g string
			if err := rows.Scan(&g); err != nil {
				return err
			}
			out[g] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: withdrawn issues of %s: %w", feed, err)
	}
	return out, nil
}
