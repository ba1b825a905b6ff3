package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

var _ bot.PushStore = (*Store)(nil)

// RecordPush implements bot.PushStore.
func (s *Store) RecordPush(ctx context.Context, ev *bot.PushEvent) (bool, error) {
	if err := bot.CheckPush(ev); err != nil {
		return false, fmt.Errorf("postgres: record push: %w", err)
	}
	payload, err := bot.EncodePushPayload(ev)
	if err != nil {
		return false, fmt.Errorf("postgres: record push: %w", err)
	}
	err = s.pool.QueryRow(ctx, `
		INSERT INTO push_events (key, source, kind, feed, guid, payload, received)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (key) DO NOTHING
		RETURNING id`,
		ev.Key, ev.Source, string(ev.Kind), ev.Feed, ev.GUID, payload, dbTime(ev.ReceivedAt)).Scan(&ev.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: record push: %w", err)
	}
	return true, nil
}

// ClaimPushes implements bot.PushStore.
func (s *Store) ClaimPushes(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]bot.PushEvent, error) {
	if owner == "" {
		return nil, errors.New("postgres: claim push events: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM push_events
			WHERE state = 'pending' AND next_attempt <= $3 AND (lease_owner = '' OR lease_until <= $3)
			ORDER BY id LIMIT $4
			FOR UPDATE SKIP LOCKED)
		UPDATE push_events p SET lease_owner = $1, lease_until = $2, attempts = p.attempts + 1
		FROM due WHERE p.id = due.id
		RETURNING p.id, p.key, p.source, p.kind, p.feed, p.guid, p.payload, p.received, p.attempts, p.last_error`,
		owner, dbTime(now.Add(lease)), dbTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim push events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.PushEvent, error) {
		var ev bot.PushEvent
		var payload []byte
		if err := row.Scan(&ev.ID, &ev.Key, &ev.Source, &ev.Kind, &ev.Feed, &ev.GUID, &payload, &ev.ReceivedAt, &ev.Attempts, &ev.LastError); err != nil {
			return ev, err
		}
		ev.ReceivedAt = goTime(ev.ReceivedAt)
		return ev, bot.DecodePushPayload(&ev, payload)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim push events: %w", err)
	}
	// RETURNING gives no order: hand them out as recorded.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
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
	tag, err := s.pool.Exec(ctx, `UPDATE push_events SET state = $1, last_error = $2, next_attempt = $3,
		lease_owner = '', lease_until = '0001-01-01 00:00:00+00' WHERE id = $4`, state, errMsg, dbTime(next), id)
	if err != nil {
		return fmt.Errorf("postgres: finish push event %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: finish push event %d: %w", id, bot.ErrNotFound)
	}
	return nil
}

// PrunePushes implements bot.PushStore.
func (s *Store) PrunePushes(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM push_events WHERE state IN ('done', 'failed') AND received < $1`, dbTime(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune push events: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// PushCounts implements bot.PushStore.
func (s *Store) PushCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, COUNT(*) FROM push_events GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("postgres: count push events: %w", err)
	}
	out := map[string]int{}
	var st string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error { out[st] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("postgres: count push events: %w", err)
	}
	return out, nil
}

// MarkWithdrawn implements bot.PushStore.
func (s *Store) MarkWithdrawn(ctx context.Context, feed, guid string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO withdrawn_issues (feed, guid, at) VALUES ($1, $2, $3)
		ON CONFLICT (feed, guid) DO UPDATE SET at = GREATEST(withdrawn_issues.at, excluded.at)`, feed, guid, dbTime(at))
	if err != nil {
		return fmt.Errorf("postgres: mark %s withdrawn: %w", guid, err)
	}
	return nil
}

// ClearWithdrawn implements bot.PushStore.
func (s *Store) ClearWithdrawn(ctx context.Context, feed, guid string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM withdrawn_issues WHERE feed = $1 AND guid = $2`, feed, guid); err != nil {
		return fmt.Errorf("postgres: clear withdrawn %s: %w", guid, err)
	}
	return nil
}

// WithdrawnSince implements bot.PushStore.
func (s *Store) WithdrawnSince(ctx context.Context, feed string, since time.Time) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT guid FROM withdrawn_issues WHERE feed = $1 AND at >= $2`, feed, dbTime(since))
	if err != nil {
		return nil, fmt.Errorf("postgres: withdrawn issues of %s: %w", feed, err)
	}
	out := map[string]bool{}
	var g string
	_, err = pgx.ForEachRow(rows, []any{&g}, func() error { out[g] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("postgres: withdrawn issues of %s: %w", feed, err)
	}
	return out, nil
}
