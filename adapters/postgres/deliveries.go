package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

// insertDeliveries adds ds to issue's deliveries, skipping those whose
// (issue, channel, part, item) is there already and, when only is not
// nil, those whose channel is not in only. A delivery without a State is
// pending.
func insertDeliveries(ctx context.Context, tx pgx.Tx, issueID int64, ds []bot.Delivery, only map[string]bool) error {
	b := &pgx.Batch{}
	for _, d := range ds {
		if only != nil && !only[d.Channel] {
			continue
		}
		state := d.State
		if state == "" {
			state = bot.StatePending
		}
		b.Queue(`
			INSERT INTO deliveries (issue_id, channel, part, item, seq, state, ref, next_attempt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (issue_id, channel, part, item) DO NOTHING`,
			issueID, d.Channel, string(d.Part), d.Item, d.Seq, string(state), d.Ref, dbTime(d.NextAttempt))
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// updateDeliveries applies an issue update to its outbox: sent posts are
// to be edited, and posts new to a channel that already receives the issue
// are added.
func updateDeliveries(ctx context.Context, tx pgx.Tx, issueID int64, ds []bot.Delivery) error {
	if _, err := tx.Exec(ctx, `
		UPDATE deliveries SET state = 'edit', attempts = 0, last_error = '',
			next_attempt = $2, updated = now()
		WHERE issue_id = $1 AND state = 'sent'`, issueID, time.Time{}); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT channel FROM deliveries WHERE issue_id = $1`, issueID)
	if err != nil {
		return err
	}
	channels, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(channels))
	for _, c := range channels {
		known[c] = true
	}
	return insertDeliveries(ctx, tx, issueID, ds, known)
}

const deliveryColumns = `d.id, d.issue_id, d.channel, d.part, d.item, d.seq, d.state,
	d.ref, d.attempts, d.last_error, d.next_attempt, d.created, d.updated`

func scanDelivery(row pgx.Row, extra ...any) (bot.Delivery, error) {
	var d bot.Delivery
	var part, state string
	err := row.Scan(append([]any{&d.ID, &d.IssueID, &d.Channel, &part, &d.Item, &d.Seq, &state,
		&d.Ref, &d.Attempts, &d.LastError, &d.NextAttempt, &d.CreatedAt, &d.UpdatedAt}, extra...)...)
	d.Part, d.State = bot.Part(part), bot.DeliveryState(state)
	d.NextAttempt, d.CreatedAt, d.UpdatedAt = goTime(d.NextAttempt), goTime(d.CreatedAt), goTime(d.UpdatedAt)
	return d, err
}

// ClaimDeliveries leases up to limit due deliveries to owner, oldest issue
// first, at most one per (issue, channel): the first unsettled one in Seq
// order. Each gets its Attempts incremented and ParentRef filled with the
// Ref of Seq 0 in the same issue and channel ("" for Seq 0 itself).
//
// Replicas claiming at once skip each other's locked rows (FOR UPDATE
// SKIP LOCKED). A delivery is claimable only when no delivery before it
// in its (issue, channel) is pending or to be edited, whoever holds it, so
// two replicas never send posts of one issue to one channel at the same
// time: the next post becomes claimable when the one before it is
// recorded as sent or failed.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]bot.Delivery, error) {
	if owner == "" {
		return nil, errors.New("postgres: claim deliveries: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		WITH due AS (
			SELECT d.id, i.published, i.hash FROM deliveries d JOIN issues i ON i.id = d.issue_id
			WHERE d.state IN ('pending', 'edit') AND d.next_attempt <= $3
				AND (d.lease_owner = '' OR d.lease_until <= $3)
				AND NOT EXISTS (
					SELECT 1 FROM deliveries e
					WHERE e.issue_id = d.issue_id AND e.channel = d.channel
						AND e.state IN ('pending', 'edit')
						AND (e.seq < d.seq OR (e.seq = d.seq AND e.id < d.id)))
			ORDER BY i.published, i.id, d.seq, d.channel, d.id
			LIMIT $4
			FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE deliveries d SET lease_owner = $1, lease_until = $2, attempts = d.attempts + 1,
			updated = now(), claim_hash = due.hash
		FROM due WHERE d.id = due.id
		RETURNING `+deliveryColumns+`, CASE WHEN d.seq = 0 THEN '' ELSE COALESCE((
				SELECT p.ref FROM deliveries p
				WHERE p.issue_id = d.issue_id AND p.channel = d.channel AND p.seq = 0
				ORDER BY p.id LIMIT 1), '') END, due.published`,
		owner, dbTime(now.Add(lease)), dbTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim deliveries for %s: %w", owner, err)
	}
	type claimed struct {
		d         bot.Delivery
		published time.Time
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
		var x claimed
		var parent string
		var err error
		x.d, err = scanDelivery(r, &parent, &x.published)
		x.d.ParentRef = parent
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim deliveries for %s: %w", owner, err)
	}
	// UPDATE … RETURNING has no order: restore the claim's.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case !a.published.Equal(b.published):
			return a.published.Before(b.published)
		case a.d.IssueID != b.d.IssueID:
			return a.d.IssueID < b.d.IssueID
		case a.d.Seq != b.d.Seq:
			return a.d.Seq < b.d.Seq
		case a.d.Channel != b.d.Channel:
			return a.d.Channel < b.d.Channel
		}
		return a.d.ID < b.d.ID
	})
	ds := make([]bot.Delivery, len(out))
	for i, x := range out {
		ds[i] = x.d
	}
	return ds, nil
}

// MarkSent records the platform's reference and releases the lease. If the
// issue changed since the delivery was claimed, what was sent is already
// stale: the delivery becomes StateEdit (with the new Ref) instead of
// StateSent.
func (s *Store) MarkSent(ctx context.Context, id int64, ref string) error {
	return s.settle(ctx, "mark sent", id, `
		UPDATE deliveries d SET ref = $2, last_error = '', lease_owner = '', lease_until = $3,
			updated = now(), next_attempt = $3,
			state = CASE WHEN d.claim_hash <> '' AND d.claim_hash <> i.hash THEN 'edit' ELSE 'sent' END,
			attempts = CASE WHEN d.claim_hash <> '' AND d.claim_hash <> i.hash THEN 0 ELSE d.attempts END
		FROM issues i
		WHERE d.id = $1 AND i.id = d.issue_id`, ref, time.Time{})
}

// MarkRetry records a failed attempt, releases the lease and makes the
// delivery due again at next.
func (s *Store) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.settle(ctx, "mark retry", id, `
		UPDATE deliveries SET last_error = $2, next_attempt = $3, lease_owner = '',
			lease_until = $4, updated = now()
		WHERE id = $1`, errMsg, dbTime(next), time.Time{})
}

// MarkFailed gives the delivery up and releases the lease.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.settle(ctx, "mark failed", id, `
		UPDATE deliveries SET state = 'failed', last_error = $2, lease_owner = '',
			lease_until = $3, updated = now()
		WHERE id = $1`, errMsg, time.Time{})
}

func (s *Store) settle(ctx context.Context, what string, id int64, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("postgres: %s delivery %d: %w", what, id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s delivery %d: %w", what, id, bot.ErrNotFound)
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
	args := []any{limit}
	if len(states) > 0 {
		ss := make([]string, len(states))
		for i, st := range states {
			ss[i] = string(st)
		}
		q += ` WHERE d.state = ANY($2)`
		args = append(args, ss)
	}
	q += ` ORDER BY d.id DESC LIMIT $1`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	return out, nil
}

// DeliveryCounts counts deliveries by state; states with none are absent.
func (s *Store) DeliveryCounts(ctx context.Context) (map[bot.DeliveryState]int, error) {
	rows, err := s.pool.Query(ctx, bot.DeliveryCountsSQL)
	if err != nil {
		return nil, fmt.Errorf("postgres: count deliveries: %w", err)
	}
	defer rows.Close()
	out, err := bot.ScanDeliveryCounts(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: count deliveries: %w", err)
	}
	return out, nil
}
