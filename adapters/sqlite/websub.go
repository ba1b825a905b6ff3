package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"digestbot/bot"
)

var _ bot.WebSubStore = (*Store)(nil)

// SaveHubSubscription implements bot.WebSubStore.
func (s *Store) SaveHubSubscription(ctx context.Context, sub bot.HubSubscription) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO websub_subscriptions (id, feed, hub, topic, secret, state, lease_until, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET feed = excluded.feed, hub = excluded.hub, topic = excluded.topic,
				secret = excluded.secret, state = excluded.state, lease_until = excluded.lease_until, updated = excluded.updated`,
			sub.ID, sub.Feed, sub.Hub, sub.Topic, sub.Secret, sub.State, dbTime(sub.LeaseUntil), dbTime(sub.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: save subscription to %s: %w", bot.RedactURL(sub.Topic), err)
	}
	return nil
}

const subColumns = `id, feed, hub, topic, secret, state, lease_until, updated`

func scanSub(sc interface{ Scan(...any) error }) (bot.HubSubscription, error) {
	var sub bot.HubSubscription
	var lease, updated int64
	err := sc.Scan(&sub.ID, &sub.Feed, &sub.Hub, &sub.Topic, &sub.Secret, &sub.State, &lease, &updated)
	sub.LeaseUntil, sub.UpdatedAt = goTime(lease), goTime(updated)
	return sub, err
}

// HubSubscription implements bot.WebSubStore.
func (s *Store) HubSubscription(ctx context.Context, id string) (bot.HubSubscription, error) {
	var sub bot.HubSubscription
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		sub, err = scanSub(tx.QueryRowContext(ctx, `SELECT `+subColumns+` FROM websub_subscriptions WHERE id = ?`, id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return sub, bot.ErrNotFound
	}
	if err != nil {
		return sub, fmt.Errorf("sqlite: subscription %s: %w", id, err)
	}
	return sub, nil
}

// HubSubscriptions implements bot.WebSubStore.
func (s *Store) HubSubscriptions(ctx context.Context) ([]bot.HubSubscription, error) {
	var out []bot.HubSubscription
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+subColumns+` FROM websub_subscriptions ORDER BY feed, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			sub, err := scanSub(rows)
			if err != nil {
				return err
			}
			out = append(out, sub)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	return out, nil
}

// DeleteHubSubscription implements bot.WebSubStore.
func (s *Store) DeleteHubSubscription(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete subscription %s: %w", id, err)
	}
	return nil
}
