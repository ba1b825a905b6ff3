package postgres

import (
	"context"
	"errors"
	"fmt"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

var _ bot.WebSubStore = (*Store)(nil)

// SaveHubSubscription implements bot.WebSubStore.
func (s *Store) SaveHubSubscription(ctx context.Context, sub bot.HubSubscription) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO websub_subscriptions (id, feed, hub, topic, secret, state, lease_until, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET feed = excluded.feed, hub = excluded.hub, topic = excluded.topic,
			secret = excluded.secret, state = excluded.state, lease_until = excluded.lease_until, updated = excluded.updated`,
		sub.ID, sub.Feed, sub.Hub, sub.Topic, sub.Secret, sub.State, dbTime(sub.LeaseUntil), dbTime(sub.UpdatedAt))
	if err != nil {
		return fmt.Errorf("postgres: save subscription to %s: %w", bot.RedactURL(sub.Topic), err)
	}
	return nil
}

const subColumns = `id, feed, hub, topic, secret, state, lease_until, updated`

func scanSub(row pgx.Row) (bot.HubSubscription, error) {
	var sub bot.HubSubscription
	err := row.Scan(&sub.ID, &sub.Feed, &sub.Hub, &sub.Topic, &sub.Secret, &sub.State, &sub.LeaseUntil, &sub.UpdatedAt)
	sub.LeaseUntil, sub.UpdatedAt = goTime(sub.LeaseUntil), goTime(sub.UpdatedAt)
	return sub, err
}

// HubSubscription implements bot.WebSubStore.
func (s *Store) HubSubscription(ctx context.Context, id string) (bot.HubSubscription, error) {
	sub, err := scanSub(s.pool.QueryRow(ctx, `SELECT `+subColumns+` FROM websub_subscriptions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sub, bot.ErrNotFound
	}
	if err != nil {
		return sub, fmt.Errorf("postgres: subscription %s: %w", id, err)
	}
	return sub, nil
}

// HubSubscriptions implements bot.WebSubStore.
func (s *Store) HubSubscriptions(ctx context.Context) ([]bot.HubSubscription, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+subColumns+` FROM websub_subscriptions ORDER BY feed, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.HubSubscription, error) { return scanSub(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	return out, nil
}

// DeleteHubSubscription implements bot.WebSubStore.
func (s *Store) DeleteHubSubscription(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM websub_subscriptions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete subscription %s: %w", id, err)
	}
	return nil
}
