package postgres

import (
	"context"
	"errors"
	"fmt"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

var _ bot.ShareStore = (*Store)(nil)

// AddShare records a share and marks its target not in step, in one
// transaction. A story already shared into the channel keeps its first
// share (added false); its target is marked all the same.
func (s *Store) AddShare(ctx context.Context, sh bot.Share) (bot.Share, bool, error) {
	if err := sh.Validate(); err != nil {
		return bot.Share{}, false, fmt.Errorf("postgres: %w", err)
	}
	var (
		out   bot.Share
		added bool
	)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The issue row stays locked until commit: it cannot go meanwhile.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM issues WHERE id = $1 FOR SHARE`, sh.IssueID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return bot.ErrNotFound
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO shares (channel, issue_id, key, user_id, user_name, created, item_check, item, text_check)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (channel, issue_id, key) DO NOTHING`,
			sh.Channel, sh.IssueID, sh.Key, sh.SharedBy.ID, sh.SharedBy.Name, dbTime(sh.Created), sh.Check, sh.Item, sh.TextCheck)
		if err != nil {
			return err
		}
		added = tag.RowsAffected() > 0
		// Like a follow's direct messages: the target exists from now on;
		// a waiting one (a retry, a rate limit) keeps its wait.
		if _, err := tx.Exec(ctx, `INSERT INTO issue_channels (issue_id, channel) VALUES ($1, $2)
			ON CONFLICT (issue_id, channel) DO UPDATE SET dirty = true, updated = now()`,
			sh.IssueID, sh.Channel); err != nil {
			return err
		}
		out = bot.Share{Channel: sh.Channel, IssueID: sh.IssueID, Key: sh.Key}
		err = tx.QueryRow(ctx, `SELECT user_id, user_name, created, item_check, item, text_check FROM shares
			WHERE channel = $1 AND issue_id = $2 AND key = $3`, sh.Channel, sh.IssueID, sh.Key).
			Scan(&out.SharedBy.ID, &out.SharedBy.Name, &out.Created, &out.Check, &out.Item, &out.TextCheck)
		out.Created = goTime(out.Created)
		return err
	})
	if err != nil {
		return bot.Share{}, false, fmt.Errorf("postgres: share %s of issue %d into %s: %w", sh.Key, sh.IssueID, sh.Channel, err)
	}
	return out, added, nil
}

// Shares returns the shares of one issue into one channel, oldest first.
func (s *Store) Shares(ctx context.Context, channel string, issueID int64) ([]bot.Share, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, user_id, user_name, created, item_check, item, text_check FROM shares
		WHERE channel = $1 AND issue_id = $2 ORDER BY created, id`, channel, issueID)
	if err != nil {
		return nil, fmt.Errorf("postgres: shares of issue %d into %s: %w", issueID, channel, err)
	}
	var out []bot.Share
	var sh bot.Share
	_, err = pgx.ForEachRow(rows, []any{&sh.Key, &sh.SharedBy.ID, &sh.SharedBy.Name, &sh.Created, &sh.Check, &sh.Item, &sh.TextCheck}, func() error {
		sh.Channel, sh.IssueID, sh.Created = channel, issueID, goTime(sh.Created)
		out = append(out, sh)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: shares of issue %d into %s: %w", issueID, channel, err)
	}
	return out, nil
}

// ShareDelivery returns the delivery of a share's post.
func (s *Store) ShareDelivery(ctx context.Context, channel string, issueID int64, key string) (bot.Delivery, bool, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
		WHERE d.channel = $1 AND d.issue_id = $2 AND d.key = $3`, channel, issueID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Delivery{}, false, nil
	}
	if err != nil {
		return bot.Delivery{}, false, fmt.Errorf("postgres: delivery of a share: %w", err)
	}
	return d, true, nil
}
