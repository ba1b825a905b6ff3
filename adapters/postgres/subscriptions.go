package postgres

import (
	"context"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

var _ bot.SubscriptionStore = (*Store)(nil)

// Subscribe adds a subscription, or changes an existing one's layout.
func (s *Store) Subscribe(ctx context.Context, sub bot.Subscription) (bool, error) {
	if err := sub.Validate(); err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	// xmax = 0 only for a row this statement inserted.
	var created bool
	err := s.pool.QueryRow(ctx, `INSERT INTO subscriptions (feed, platform, target, layout, added_by, added)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (feed, platform, target) DO UPDATE SET layout = EXCLUDED.layout
		RETURNING (xmax = 0)`,
		sub.Feed, sub.Platform, sub.Target, string(sub.Layout), sub.AddedBy, dbTime(sub.AddedAt)).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("postgres: subscribe %s:%s to %s: %w", sub.Platform, sub.Target, bot.RedactURL(sub.Feed), err)
	}
	return created, nil
}

// Unsubscribe removes a subscription and gives up its pending deliveries.
func (s *Store) Unsubscribe(ctx context.Context, feed, platform, target, by string) (bool, error) {
	ok := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE feed = $1 AND platform = $2 AND target = $3`, feed, platform, target)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		ok = true
		// The channel stops catching up with the feed's issues. Messages
		// already posted stay, and still follow edits of their issue.
		_, err = tx.Exec(ctx, `UPDATE issue_channels SET dirty = false, last_error = $1, updated = $2
			WHERE dirty AND channel = ANY($3) AND issue_id IN (SELECT id FROM issues WHERE feed = $4)`,
			"unsubscribed by "+by, time.Now().UTC(), bot.SubscriptionChannelIDs(platform, target), feed)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: unsubscribe %s:%s from %s: %w", platform, target, bot.RedactURL(feed), err)
	}
	return ok, nil
}

// Subscriptions lists the subscriptions of feed, or all when feed is "".
func (s *Store) Subscriptions(ctx context.Context, feed string) ([]bot.Subscription, error) {
	rows, err := s.pool.Query(ctx, `SELECT feed, platform, target, layout, added_by, added FROM subscriptions
		WHERE $1 = '' OR feed = $1 ORDER BY feed, platform, target`, feed)
	if err != nil {
		return nil, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []bot.Subscription
	for rows.Next() {
		var sub bot.Subscription
		var layout string
		var added time.Time
		if err := rows.Scan(&sub.Feed, &sub.Platform, &sub.Target, &layout, &sub.AddedBy, &added); err != nil {
			return nil, fmt.Errorf("postgres: list subscriptions: %w", err)
		}
		sub.Layout, sub.AddedAt = bot.Layout(layout), goTime(added)
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	return out, nil
}
