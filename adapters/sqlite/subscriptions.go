package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"digestbot/bot"
)

var _ bot.SubscriptionStore = (*Store)(nil)

// Subscribe adds a subscription, or changes an existing one's layout.
func (s *Store) Subscribe(ctx context.Context, sub bot.Subscription) (bool, error) {
	if err := sub.Validate(); err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	created := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (feed, platform, target, layout, added_by, added)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (feed, platform, target) DO NOTHING`,
			sub.Feed, sub.Platform, sub.Target, string(sub.Layout), sub.AddedBy, dbTime(sub.AddedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET layout = ? WHERE feed = ? AND platform = ? AND target = ?`,
			string(sub.Layout), sub.Feed, sub.Platform, sub.Target)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: subscribe %s:%s to %s: %w", sub.Platform, sub.Target, bot.RedactURL(sub.Feed), err)
	}
	return created, nil
}

// Unsubscribe removes a subscription and gives up its pending deliveries.
func (s *Store) Unsubscribe(ctx context.Context, feed, platform, target, by string) (bool, error) {
	ok := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE feed = ? AND platform = ? AND target = ?`, feed, platform, target)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ok = true
		ids := bot.SubscriptionChannelIDs(platform, target)
		// The channel stops catching up with the feed's issues. Messages
		// already posted stay, and still follow edits of their issue.
		_, err = tx.ExecContext(ctx, `UPDATE issue_channels SET dirty = 0, last_error = ?, updated = ?
			WHERE dirty = 1 AND channel IN (?, ?, ?) AND issue_id IN (SELECT id FROM issues WHERE feed = ?)`,
			"unsubscribed by "+by, dbTime(time.Now()), ids[0], ids[1], ids[2], feed)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: unsubscribe %s:%s from %s: %w", platform, target, bot.RedactURL(feed), err)
	}
	return ok, nil
}

// Subscriptions lists the subscriptions of feed, or all when feed is "".
func (s *Store) Subscriptions(ctx context.Context, feed string) ([]bot.Subscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT feed, platform, target, layout, added_by, added FROM subscriptions
		WHERE ? = '' OR feed = ? ORDER BY feed, platform, target`, feed, feed)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []bot.Subscription
	for rows.Next() {
		var sub bot.Subscription
		var layout string
		var added int64
		if err := rows.Scan(&sub.Feed, &sub.Platform, &sub.Target, &layout, &sub.AddedBy, &added); err != nil {
			return nil, fmt.Errorf("sqlite: list subscriptions: %w", err)
		}
		sub.Layout, sub.AddedAt = bot.Layout(layout), goTime(added)
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	return out, nil
}
