package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

// Heartbeat records that replica id is alive at now; the first heartbeat
// of an id sets its Started time.
func (s *Store) Heartbeat(ctx context.Context, id, info string, now time.Time) error {
	if id == "" {
		return errors.New("postgres: heartbeat: empty replica id")
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO replicas (id, info, started, heartbeat) VALUES ($1, $2, $3, $3)
		ON CONFLICT (id) DO UPDATE SET info = excluded.info, heartbeat = excluded.heartbeat`,
		id, info, dbTime(now))
	if err != nil {
		return fmt.Errorf("postgres: heartbeat of %s: %w", id, err)
	}
	return nil
}

// Replicas lists the replicas whose last heartbeat is at or after since,
// by ID, with the feed and channel leases each holds: leases it owns that
// run past its last heartbeat.
func (s *Store) Replicas(ctx context.Context, since time.Time) ([]bot.Replica, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.id, r.info, r.started, r.heartbeat,
			(SELECT COUNT(*) FROM feeds f WHERE f.lease_owner = r.id AND f.lease_until > r.heartbeat),
			(SELECT COUNT(*) FROM channel_leases l WHERE l.owner = r.id AND l.until > r.heartbeat)
		FROM replicas r WHERE r.heartbeat >= $1 ORDER BY r.id`, dbTime(since))
	if err != nil {
		return nil, fmt.Errorf("postgres: list replicas: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.Replica, error) {
		var r bot.Replica
		err := row.Scan(&r.ID, &r.Info, &r.Started, &r.Heartbeat, &r.Feeds, &r.Sending)
		r.Started, r.Heartbeat = goTime(r.Started), goTime(r.Heartbeat)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list replicas: %w", err)
	}
	return out, nil
}
