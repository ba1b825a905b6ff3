package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

// addTargets gives the issue a target in every channel named in ds.
func addTargets(ctx context.Context, tx *sql.Tx, issueID int64, ds []bot.Delivery, now int64) error {
	seen := map[string]bool{}
	for _, d := range ds {
		if seen[d.Channel] {
			continue
		}
		seen[d.Channel] = true
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO issue_channels (issue_id, channel, created, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (issue_id, channel) DO NOTHING`, issueID, d.Channel, now, now); err != nil {
			return err
		}
	}
	return nil
}

// dirtyTargets marks the issue's targets as out of step. Legacy posts
// ("*": current as of the upgrade) are not current any more.
func dirtyTargets(ctx context.Context, tx *sql.Tx, issueID int64, now int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE issue_channels SET dirty = 1, next_attempt = 0, updated = ?
		WHERE issue_id = ?`, now, issueID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET sent_hash = '' WHERE issue_id = ? AND sent_hash = '*'`, issueID)
	return err
}

const deliveryColumns = `d.id, d.issue_id, d.channel, d.key, d.part, d.item, d.seq, d.state,
	d.ref, d.sent_hash, d.claim_hash, d.attempts, d.last_error, d.next_attempt, d.created, d.updated`

func scanDelivery(sc interface{ Scan(...any) error }) (bot.Delivery, error) {
	var d bot.Delivery
	var next, created, updated int64
	err := sc.Scan(&d.ID, &d.IssueID, &d.Channel, &d.Key, &d.Part, &d.Item, &d.Seq, &d.State,
		&d.Ref, &d.SentHash, &d.TryHash, &d.Attempts, &d.LastError, &next, &created, &updated)
	d.NextAttempt, d.CreatedAt, d.UpdatedAt = goTime(next), goTime(created), goTime(updated)
	return d, err
}

// effectiveHash is the SQL for a target's bot.Target.Hash.
const effectiveHash = `CASE WHEN i.withdrawn <> 0 THEN 'withdrawn' ELSE i.hash END`

// leaseFree is the SQL condition under which the lease l (LEFT JOINed,
// possibly NULL) may be taken by ?1 = owner at ?2 = now with ?3 = the
// stale-heartbeat bound.
const leaseFree = `(l.channel IS NULL OR l.owner = ?1 OR l.until <= ?2
	OR EXISTS (SELECT 1 FROM replicas r WHERE r.id = l.owner AND r.heartbeat < ?3))`

// DueChannels returns the channels with due work that owner may serve.
func (s *Store) DueChannels(ctx context.Context, owner string, now, staleBefore time.Time) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT DISTINCT t.channel FROM issue_channels t
		LEFT JOIN channel_leases l ON l.channel = t.channel
		WHERE t.dirty = 1 AND t.next_attempt <= ?2 AND `+leaseFree+`
		ORDER BY t.channel`, owner, dbTime(now), dbTime(staleBefore))
	if err != nil {
		return nil, fmt.Errorf("sqlite: due channels: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("sqlite: due channels: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: due channels: %w", err)
	}
	return out, nil
}

// ClaimChannel leases channel to owner when it is free, expired, owner's
// own or held by a replica with a stale heartbeat.
func (s *Store) ClaimChannel(ctx context.Context, channel, owner string, now time.Time, lease time.Duration, staleBefore time.Time) (bot.ChannelLease, bool, error) {
	if owner == "" || channel == "" {
		return bot.ChannelLease{}, false, errors.New("sqlite: claim channel: empty channel or owner")
	}
	var l bot.ChannelLease
	ok := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		var free bool
		err := tx.QueryRowContext(ctx, `SELECT `+leaseFree+` FROM (SELECT ?4 AS c) x
			LEFT JOIN channel_leases l ON l.channel = x.c`,
			owner, dbTime(now), dbTime(staleBefore), channel).Scan(&free)
		if err != nil {
			return err
		}
		if free {
			ok = true
			l = bot.ChannelLease{Channel: channel, Owner: owner, Until: goTime(dbTime(now.Add(lease)))}
			_, err := tx.ExecContext(ctx, `INSERT INTO channel_leases (channel, owner, until) VALUES (?, ?, ?)
				ON CONFLICT (channel) DO UPDATE SET owner = excluded.owner, until = excluded.until`,
				channel, owner, dbTime(l.Until))
			return err
		}
		var until int64
		l.Channel = channel
		err = tx.QueryRowContext(ctx, `SELECT owner, until FROM channel_leases WHERE channel = ?`, channel).Scan(&l.Owner, &until)
		l.Until = goTime(until)
		return err
	})
	if err != nil {
		return bot.ChannelLease{}, false, fmt.Errorf("sqlite: claim channel %s for %s: %w", channel, owner, err)
	}
	return l, ok, nil
}

// ReleaseChannel ends owner's lease of channel.
func (s *Store) ReleaseChannel(ctx context.Context, channel, owner string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM channel_leases WHERE channel = ? AND owner = ?`, channel, owner); err != nil {
		return fmt.Errorf("sqlite: release channel %s: %w", channel, err)
	}
	return nil
}

const targetColumns = `t.issue_id, t.channel, i.published, i.title, ` + effectiveHash + `, t.done_hash,
	t.next_attempt, t.last_error`

func scanTarget(sc interface{ Scan(...any) error }) (bot.Target, error) {
	var t bot.Target
	var published, next int64
	err := sc.Scan(&t.IssueID, &t.Channel, &published, &t.Title, &t.Hash, &t.DoneHash, &next, &t.LastError)
	t.Published, t.NextAttempt = goTime(published), goTime(next)
	return t, err
}

// NextTarget returns the channel's dirty target of the oldest issue and
// the channel's deliveries of that issue, in one snapshot.
func (s *Store) NextTarget(ctx context.Context, channel string) (bot.Target, []bot.Delivery, bool, error) {
	var (
		t  bot.Target
		ds []bot.Delivery
		ok bool
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanTarget(tx.QueryRowContext(ctx, `SELECT `+targetColumns+`
			FROM issue_channels t JOIN issues i ON i.id = t.issue_id
			WHERE t.channel = ? AND t.dirty = 1
			ORDER BY i.published, i.id LIMIT 1`, channel))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
			WHERE d.issue_id = ? AND d.channel = ? ORDER BY d.seq, d.id`, t.IssueID, channel)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return rows.Err()
	})
	if err != nil {
		return bot.Target{}, nil, false, fmt.Errorf("sqlite: next issue for channel %s: %w", channel, err)
	}
	return t, ds, ok, nil
}

// TargetDone records the channel in step with the issue at hash.
func (s *Store) TargetDone(ctx context.Context, issueID int64, channel, hash string) error {
	return s.exec1(ctx, fmt.Sprintf("record channel %s in step with issue %d", channel, issueID), `
		UPDATE issue_channels SET done_hash = ?1, next_attempt = 0, last_error = '', updated = ?2,
			dirty = CASE WHEN ?1 = (SELECT `+effectiveHash+` FROM issues i WHERE i.id = issue_id) THEN 0 ELSE 1 END
		WHERE issue_id = ?3 AND channel = ?4`, hash, dbTime(time.Now()), issueID, channel)
}

// StartDelivery records an attempt about to be made.
func (s *Store) StartDelivery(ctx context.Context, d bot.Delivery, reset bool) (bot.Delivery, error) {
	if err := d.Validate(); err != nil || d.Key == "" || d.IssueID == 0 {
		return bot.Delivery{}, fmt.Errorf("sqlite: start delivery %q to %s of issue %d: key, issue and channel are required (%v)", d.Key, d.Channel, d.IssueID, err)
	}
	now := dbTime(time.Now())
	var out bot.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO deliveries (issue_id, channel, key, part, item, seq, state, claim_hash, attempts, created, updated)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, 1, ?8, ?8)
			ON CONFLICT (issue_id, channel, key) DO UPDATE SET part = excluded.part, item = excluded.item,
				seq = excluded.seq, claim_hash = excluded.claim_hash, updated = excluded.updated,
				attempts = CASE WHEN ?9 THEN 1 ELSE deliveries.attempts + 1 END,
				state = CASE WHEN deliveries.ref = '' THEN 'pending' ELSE deliveries.state END`,
			d.IssueID, d.Channel, d.Key, d.Part, d.Item, d.Seq, d.TryHash, now, reset); err != nil {
			return err
		}
		var err error
		out, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
			WHERE d.issue_id = ? AND d.channel = ? AND d.key = ?`, d.IssueID, d.Channel, d.Key))
		return err
	})
	if err != nil {
		return bot.Delivery{}, fmt.Errorf("sqlite: start delivery %s to %s of issue %d: %w", d.Key, d.Channel, d.IssueID, err)
	}
	return out, nil
}

// MarkSent records the reference and the hash of what the message shows.
func (s *Store) MarkSent(ctx context.Context, id int64, ref, hash string) error {
	return s.exec1(ctx, fmt.Sprintf("mark sent delivery %d", id), `
		UPDATE deliveries SET state = 'sent', ref = ?, sent_hash = ?, attempts = 0, last_error = '',
			next_attempt = 0, updated = ?
		WHERE id = ?`, ref, hash, dbTime(time.Now()), id)
}

// MarkRemoved records that the post left its issue.
func (s *Store) MarkRemoved(ctx context.Context, id int64, deleted bool) error {
	return s.exec1(ctx, fmt.Sprintf("mark removed delivery %d", id), `
		UPDATE deliveries SET state = 'removed', attempts = 0, last_error = '', next_attempt = 0,
			ref = CASE WHEN ? THEN '' ELSE ref END, updated = ?
		WHERE id = ?`, deleted, dbTime(time.Now()), id)
}

// MarkRetry records a failed attempt; the delivery's target waits until next.
func (s *Store) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.settle(ctx, "mark retry", id, func(tx *sql.Tx, now int64) (sql.Result, error) {
		r, err := tx.ExecContext(ctx, `UPDATE deliveries SET last_error = ?, next_attempt = ?, updated = ?
			WHERE id = ?`, errMsg, dbTime(next), now, id)
		if err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE issue_channels SET next_attempt = ?, last_error = ?, updated = ?
			WHERE (issue_id, channel) = (SELECT issue_id, channel FROM deliveries WHERE id = ?)`,
			dbTime(next), errMsg, now, id)
		return r, err
	})
}

// MarkFailed gives the delivery up.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.exec1(ctx, fmt.Sprintf("mark failed delivery %d", id), `
		UPDATE deliveries SET state = 'failed', last_error = ?, updated = ? WHERE id = ?`,
		errMsg, dbTime(time.Now()), id)
}

func (s *Store) settle(ctx context.Context, what string, id int64, f func(tx *sql.Tx, now int64) (sql.Result, error)) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := f(tx, dbTime(time.Now()))
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err == nil && n == 0 {
			return bot.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: %s delivery %d: %w", what, id, err)
	}
	return nil
}

// exec1 runs one statement that must change a row.
func (s *Store) exec1(ctx context.Context, what, query string, args ...any) error {
	r, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: %s: %w", what, bot.ErrNotFound)
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

// Targets lists dirty targets, oldest issue first.
func (s *Store) Targets(ctx context.Context, channel string, limit int) ([]bot.Target, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+targetColumns+`
		FROM issue_channels t JOIN issues i ON i.id = t.issue_id
		WHERE t.dirty = 1 AND (?1 = '' OR t.channel = ?1)
		ORDER BY i.published, i.id, t.channel LIMIT ?2`, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list targets: %w", err)
	}
	defer rows.Close()
	var out []bot.Target
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list targets: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list targets: %w", err)
	}
	return out, nil
}

// ChannelStates summarises every channel with targets or a lease.
func (s *Store) ChannelStates(ctx context.Context, now, staleBefore time.Time) ([]bot.ChannelState, error) {
	var out []bot.ChannelState
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT c.channel,
				(SELECT COUNT(*) FROM issue_channels t WHERE t.channel = c.channel AND t.dirty = 1),
				COALESCE((SELECT MAX(d.updated) FROM deliveries d WHERE d.channel = c.channel AND d.state = 'sent'), 0),
				COALESCE(l.owner, ''), COALESCE(l.until, 0),
				COALESCE((SELECT r.heartbeat < ?2 FROM replicas r WHERE r.id = l.owner), 0)
			FROM (SELECT channel FROM issue_channels UNION SELECT channel FROM channel_leases) c
			LEFT JOIN channel_leases l ON l.channel = c.channel AND l.until > ?1
			ORDER BY c.channel`, dbTime(now), dbTime(staleBefore))
		if err != nil {
			return err
		}
		for rows.Next() {
			var c bot.ChannelState
			var sent, until int64
			if err := rows.Scan(&c.Channel, &c.Dirty, &sent, &c.LeaseOwner, &until, &c.LeaseStale); err != nil {
				rows.Close()
				return err
			}
			c.LastSent, c.LeaseUntil = goTime(sent), goTime(until)
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if out[i].Dirty == 0 {
				continue
			}
			t, err := scanTarget(tx.QueryRowContext(ctx, `SELECT `+targetColumns+`
				FROM issue_channels t JOIN issues i ON i.id = t.issue_id
				WHERE t.channel = ? AND t.dirty = 1 ORDER BY i.published, i.id LIMIT 1`, out[i].Channel))
			if err != nil {
				return err
			}
			out[i].Oldest = t
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: channel states: %w", err)
	}
	return out, nil
}
