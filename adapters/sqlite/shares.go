package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

var _ bot.ShareStore = (*Store)(nil)

// AddShare records a share and marks its target not in step, in one
// transaction. A story already shared into the channel keeps its first
// share (added false); its target is marked all the same.
func (s *Store) AddShare(ctx context.Context, sh bot.Share) (bot.Share, bool, error) {
	if err := sh.Validate(); err != nil {
		return bot.Share{}, false, fmt.Errorf("sqlite: %w", err)
	}
	var (
		out   bot.Share
		added bool
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM issues WHERE id = ?`, sh.IssueID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return bot.ErrNotFound
		}
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO shares (channel, issue_id, key, user_id, user_name, created, item_check, item, text_check)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, issue_id, key) DO NOTHING`,
			sh.Channel, sh.IssueID, sh.Key, sh.SharedBy.ID, sh.SharedBy.Name, dbTime(sh.Created), sh.Check, sh.Item, sh.TextCheck)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		added = n > 0
		now := dbTime(time.Now())
		// Like a follow's direct messages: the target exists from now on;
		// a waiting one (a retry, a rate limit) keeps its wait.
		if _, err := tx.ExecContext(ctx, `INSERT INTO issue_channels (issue_id, channel, created, updated)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (issue_id, channel) DO UPDATE SET dirty = 1, updated = excluded.updated`,
			sh.IssueID, sh.Channel, now, now); err != nil {
			return err
		}
		var created int64
		out = bot.Share{Channel: sh.Channel, IssueID: sh.IssueID, Key: sh.Key}
		err = tx.QueryRowContext(ctx, `SELECT user_id, user_name, created, item_check, item, text_check FROM shares
			WHERE channel = ? AND issue_id = ? AND key = ?`, sh.Channel, sh.IssueID, sh.Key).
			Scan(&out.SharedBy.ID, &out.SharedBy.Name, &created, &out.Check, &out.Item, &out.TextCheck)
		out.Created = goTime(created)
		return err
	})
	if err != nil {
		return bot.Share{}, false, fmt.Errorf("sqlite: share %s of issue %d into %s: %w", sh.Key, sh.IssueID, sh.Channel, err)
	}
	return out, added, nil
}

// Shares returns the shares of one issue into one channel, oldest first.
func (s *Store) Shares(ctx context.Context, channel string, issueID int64) ([]bot.Share, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, user_id, user_name, created, item_check, item, text_check FROM shares
		WHERE channel = ? AND issue_id = ? ORDER BY created, id`, channel, issueID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: shares of issue %d into %s: %w", issueID, channel, err)
	}
	defer rows.Close()
	var out []bot.Share
	for rows.Next() {
		sh := bot.Share{Channel: channel, IssueID: issueID}
		var created int64
		if err := rows.Scan(&sh.Key, &sh.SharedBy.ID, &sh.SharedBy.Name, &created, &sh.Check, &sh.Item, &sh.TextCheck); err != nil {
			return nil, fmt.Errorf("sqlite: shares of issue %d into %s: %w", issueID, channel, err)
		}
		sh.Created = goTime(created)
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: shares of issue %d into %s: %w", issueID, channel, err)
	}
	return out, nil
}

// ShareDelivery returns the delivery of a share's post.
func (s *Store) ShareDelivery(ctx context.Context, channel string, issueID int64, key string) (bot.Delivery, bool, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
		WHERE d.channel = ? AND d.issue_id = ? AND d.key = ?`, channel, issueID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Delivery{}, false, nil
	}
	if err != nil {
		return bot.Delivery{}, false, fmt.Errorf("sqlite: delivery of a share: %w", err)
	}
	return d, true, nil
}
