package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"digestbot/bot"
)

// insertDelivery adds d to issue's deliveries unless (issue, channel,
// part, item) is there already. A delivery without a State is pending.
func insertDelivery(ctx context.Context, tx *sql.Tx, issueID int64, d bot.Delivery, now int64) error {
	state := d.State
	if state == "" {
		state = bot.StatePending
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO deliveries (issue_id, channel, part, item, seq, state, ref,
			next_attempt, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (issue_id, channel, part, item) DO NOTHING`,
		issueID, d.Channel, d.Part, d.Item, d.Seq, state, d.Ref, dbTime(d.NextAttempt), now, now)
	return err
}

// updateDeliveries applies an issue update to its outbox: sent posts are
// to be edited, and posts new to a channel that already receives the issue
// are added.
func updateDeliveries(ctx context.Context, tx *sql.Tx, issueID int64, ds []bot.Delivery, now int64) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE deliveries SET state = 'edit', attempts = 0, last_error = '',
			next_attempt = 0, updated = ?
		WHERE issue_id = ? AND state = 'sent'`, now, issueID); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT channel FROM deliveries WHERE issue_id = ?`, issueID)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		known[c] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range ds {
		if known[d.Channel] {
			if err := insertDelivery(ctx, tx, issueID, d, now); err != nil {
				return err
			}
		}
	}
	return nil
}

const deliveryColumns = `d.id, d.issue_id, d.channel, d.part, d.item, d.seq, d.state,
	d.ref, d.attempts, d.last_error, d.next_attempt, d.created, d.updated`

func scanDelivery(sc interface{ Scan(...any) error }, extra ...any) (bot.Delivery, error) {
	var d bot.Delivery
	var next, created, updated int64
	err := sc.Scan(append([]any{&d.ID, &d.IssueID, &d.Channel, &d.Part, &d.Item, &d.Seq, &d.State,
		&d.Ref, &d.Attempts, &d.LastError, &next, &created, &updated}, extra...)...)
	d.NextAttempt, d.CreatedAt, d.UpdatedAt = goTime(next), goTime(created), goTime(updated)
	return d, err
}

// ClaimDeliveries leases up to limit due deliveries to owner, oldest issue
// first, at most one per (issue, channel): the first unsettled one in Seq
// order. Each gets its Attempts incremented and ParentRef filled with the
// Ref of Seq 0 in the same issue and channel ("" for Seq 0 itself).
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]bot.Delivery, error) {
	if owner == "" {
		return nil, errors.New("sqlite: claim deliveries: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	n := dbTime(now)
	var out []bot.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT d.id FROM deliveries d JOIN issues i ON i.id = d.issue_id
			WHERE d.state IN ('pending', 'edit') AND d.next_attempt <= ?
				AND (d.lease_owner = '' OR d.lease_until <= ?)
				AND NOT EXISTS (
					SELECT 1 FROM deliveries e
					WHERE e.issue_id = d.issue_id AND e.channel = d.channel
						AND e.state IN ('pending', 'edit')
						AND (e.seq < d.seq OR (e.seq = d.seq AND e.id < d.id)))
			ORDER BY i.published, i.id, d.seq, d.channel, d.id
			LIMIT ?`, n, n, limit)
		if err != nil {
			return err
		}
		var ids []any
		rank := map[int64]int{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			rank[id] = len(ids)
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		args := append([]any{owner, dbTime(now.Add(lease)), n}, ids...)
		if _, err := tx.ExecContext(ctx, `
			UPDATE deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1,
				updated = ?, claim_hash = (SELECT hash FROM issues WHERE id = issue_id)
			WHERE id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `
			SELECT `+deliveryColumns+`, CASE WHEN d.seq = 0 THEN '' ELSE COALESCE((
				SELECT p.ref FROM deliveries p
				WHERE p.issue_id = d.issue_id AND p.channel = d.channel AND p.seq = 0
				ORDER BY p.id LIMIT 1), '') END
			FROM deliveries d WHERE d.id IN (`+placeholders(len(ids))+`)`, ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var parent string
			d, err := scanDelivery(rows, &parent)
			if err != nil {
				return err
			}
			d.ParentRef = parent
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Slice(out, func(i, j int) bool { return rank[out[i].ID] < rank[out[j].ID] })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim deliveries for %s: %w", owner, err)
	}
	return out, nil
}

// MarkSent records the platform's reference and releases the lease. If the
// issue changed since the delivery was claimed, what was sent is already
// stale: the delivery becomes StateEdit (with the new Ref) instead of
// StateSent.
func (s *Store) MarkSent(ctx context.Context, id int64, ref string) error {
	return s.settle(ctx, "mark sent", id, `
		UPDATE deliveries SET ref = ?, last_error = '', lease_owner = '', lease_until = 0,
			updated = ?, next_attempt = 0,
			state = CASE WHEN claim_hash <> '' AND claim_hash <>
				(SELECT hash FROM issues WHERE id = issue_id) THEN 'edit' ELSE 'sent' END,
			attempts = CASE WHEN claim_hash <> '' AND claim_hash <>
				(SELECT hash FROM issues WHERE id = issue_id) THEN 0 ELSE attempts END
		WHERE id = ?`, ref, dbTime(time.Now()), id)
}

// MarkRetry records a failed attempt, releases the lease and makes the
// delivery due again at next.
func (s *Store) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.settle(ctx, "mark retry", id, `
		UPDATE deliveries SET last_error = ?, next_attempt = ?, lease_owner = '',
			lease_until = 0, updated = ?
		WHERE id = ?`, errMsg, dbTime(next), dbTime(time.Now()), id)
}

// MarkFailed gives the delivery up and releases the lease.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.settle(ctx, "mark failed", id, `
		UPDATE deliveries SET state = 'failed', last_error = ?, lease_owner = '',
			lease_until = 0, updated = ?
		WHERE id = ?`, errMsg, dbTime(time.Now()), id)
}

func (s *Store) settle(ctx context.Context, what string, id int64, query string, args ...any) error {
	r, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s delivery %d: %w", what, id, err)
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: %s delivery %d: %w", what, id, bot.ErrNotFound)
	}
	return nil
}

// Deliveries lists deliveries in the given states (all when none), newest
// (last created) first, at most limit.
func (s *Store) Deliveries(ctx context.Context, limit int, states ...bot.DeliveryState) ([]bot.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries d`
	var args []any
	if len(states) > 0 {
		q += ` WHERE d.state IN (` + placeholders(len(states)) + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	q += ` ORDER BY d.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	defer rows.Close()
	var out []bot.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	return out, nil
}

// DeliveryCounts counts deliveries by state; states with none are absent.
func (s *Store) DeliveryCounts(ctx context.Context) (map[bot.DeliveryState]int, error) {
	rows, err := s.r.QueryContext(ctx, bot.DeliveryCountsSQL)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count deliveries: %w", err)
	}
	defer rows.Close()
	out, err := bot.ScanDeliveryCounts(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count deliveries: %w", err)
	}
	return out, nil
}
