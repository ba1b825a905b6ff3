package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

// Heartbeat records that replica id is alive at now; the first heartbeat
// of an id sets its Started time.
func (s *Store) Heartbeat(ctx context.Context, id, info string, now time.Time) error {
	if id == "" {
		return errors.New("sqlite: heartbeat: empty replica id")
	}
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO replicas (id, info, started, heartbeat) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET info = excluded.info, heartbeat = excluded.heartbeat`,
		id, info, dbTime(now), dbTime(now))
	if err != nil {
		return fmt.Errorf("sqlite: heartbeat of %s: %w", id, err)
	}
	return nil
}

// Replicas lists the replicas whose last heartbeat is at or after since,
// by ID, with the feed and channel leases each holds: leases it owns that
// run past its last heartbeat.
func (s *Store) Replicas(ctx context.Context, since time.Time) ([]bot.Replica, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT r.id, r.info, r.started, r.heartbeat,
			(SELECT COUNT(*) FROM feeds f WHERE f.lease_owner = r.id AND f.lease_until > r.heartbeat),
			(SELECT COUNT(*) FROM channel_leases l WHERE l.owner = r.id AND l.until > r.heartbeat)
		FROM replicas r WHERE r.heartbeat >= ? ORDER BY r.id`, dbTime(since))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list replicas: %w", err)
	}
	defer rows.Close()
	var out []bot.Replica
	for rows.Next() {
		var r bot.Replica
		var started, beat int64
		if err := rows.Scan(&r.ID, &r.Info, &started, &beat, &r.Feeds, &r.Sending); err != nil {
			return nil, fmt.Errorf("sqlite: list replicas: %w", err)
		}
		r.Started, r.Heartbeat = goTime(started), goTime(beat)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list replicas: %w", err)
	}
	return out, nil
}

// ReleaseReplica ends every lease of replica id and forgets its heartbeat.
func (s *Store) ReleaseReplica(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM channel_leases WHERE owner = ?`,
			`UPDATE feeds SET lease_owner = '', lease_until = 0 WHERE lease_owner = ?`,
			`DELETE FROM replicas WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: release replica %s: %w", id, err)
	}
	return nil
}
