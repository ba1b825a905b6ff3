package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

// addTargets gives the issue a target in every channel named in ds.
func addTargets(ctx context.Context, tx pgx.Tx, issueID int64, ds []bot.Delivery) error {
	seen := map[string]bool{}
	var chans []string
	for _, d := range ds {
		if !seen[d.Channel] {
			seen[d.Channel] = true
			chans = append(chans, d.Channel)
		}
	}
	if len(chans) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO issue_channels (issue_id, channel) SELECT $1, unnest($2::text[])
		ON CONFLICT (issue_id, channel) DO NOTHING`, issueID, chans)
	return err
}

// dirtyTargets marks the issue's targets as out of step. Legacy posts
// ("*": current as of the upgrade) are not current any more.
func dirtyTargets(ctx context.Context, tx pgx.Tx, issueID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE issue_channels SET dirty = true, next_attempt = $2, updated = now()
		WHERE issue_id = $1`, issueID, time.Time{}); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE deliveries SET sent_hash = '' WHERE issue_id = $1 AND sent_hash = '*'`, issueID)
	return err
}

const deliveryColumns = `d.id, d.issue_id, d.channel, d.key, d.part, d.item, d.seq, d.state,
	d.ref, d.sent_hash, d.claim_hash, d.attempts, d.last_error, d.next_attempt, d.created, d.updated`

func scanDelivery(row pgx.Row) (bot.Delivery, error) {
	var d bot.Delivery
	var part, state string
	err := row.Scan(&d.ID, &d.IssueID, &d.Channel, &d.Key, &part, &d.Item, &d.Seq, &state,
		&d.Ref, &d.SentHash, &d.TryHash, &d.Attempts, &d.LastError, &d.NextAttempt, &d.CreatedAt, &d.UpdatedAt)
	d.Part, d.State = bot.Part(part), bot.DeliveryState(state)
	d.NextAttempt, d.CreatedAt, d.UpdatedAt = goTime(d.NextAttempt), goTime(d.CreatedAt), goTime(d.UpdatedAt)
	return d, err
}

// effectiveHash is the SQL for a target's bot.Target.Hash.
const effectiveHash = `CASE WHEN i.withdrawn THEN 'withdrawn' ELSE i.hash END`

// leaseFree is the condition under which lease l (LEFT JOINed, possibly
// NULL) may be taken by $1 = owner at $2 = now, $3 = stale-heartbeat bound.
const leaseFree = `(l.channel IS NULL OR l.owner = $1 OR l.until <= $2
	OR EXISTS (SELECT 1 FROM replicas r WHERE r.id = l.owner AND r.heartbeat < $3))`

// DueChannels returns the channels with due work that owner may serve.
func (s *Store) DueChannels(ctx context.Context, owner string, now, staleBefore time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT t.channel FROM issue_channels t
		LEFT JOIN channel_leases l ON l.channel = t.channel
		WHERE t.dirty AND t.next_attempt <= $2 AND `+leaseFree+`
		ORDER BY t.channel`, owner, dbTime(now), dbTime(staleBefore))
	if err != nil {
		return nil, fmt.Errorf("postgres: due channels: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: due channels: %w", err)
	}
	return out, nil
}

// ClaimChannel leases channel to owner when it is free, expired, owner's
// own or held by a replica with a stale heartbeat. One statement: two
// replicas claiming at once are serialised on the row.
func (s *Store) ClaimChannel(ctx context.Context, channel, owner string, now time.Time, lease time.Duration, staleBefore time.Time) (bot.ChannelLease, bool, error) {
	if owner == "" || channel == "" {
		return bot.ChannelLease{}, false, errors.New("postgres: claim channel: empty channel or owner")
	}
	until := dbTime(now.Add(lease))
	var l bot.ChannelLease
	ok := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var got string
		err := tx.QueryRow(ctx, `
			INSERT INTO channel_leases AS l (channel, owner, until) VALUES ($4, $1, $5)
			ON CONFLICT (channel) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE `+leaseFree+`
			RETURNING l.owner`, owner, dbTime(now), dbTime(staleBefore), channel, until).Scan(&got)
		switch {
		case err == nil:
			ok = true
			l = bot.ChannelLease{Channel: channel, Owner: owner, Until: goTime(until)}
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		l.Channel = channel
		err = tx.QueryRow(ctx, `SELECT owner, until FROM channel_leases WHERE channel = $1`, channel).Scan(&l.Owner, &l.Until)
		l.Until = goTime(l.Until)
		return err
	})
	if err != nil {
		return bot.ChannelLease{}, false, fmt.Errorf("postgres: claim channel %s for %s: %w", channel, owner, err)
	}
	return l, ok, nil
}

// ReleaseChannel ends owner's lease of channel.
func (s *Store) ReleaseChannel(ctx context.Context, channel, owner string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM channel_leases WHERE channel = $1 AND owner = $2`, channel, owner); err != nil {
		return fmt.Errorf("postgres: release channel %s: %w", channel, err)
	}
	return nil
}

// ReleaseReplica ends every lease of replica id and forgets its heartbeat.
func (s *Store) ReleaseReplica(ctx context.Context, id string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM channel_leases WHERE owner = $1`,
			`UPDATE feeds SET lease_owner = '', lease_until = '0001-01-01 00:00:00+00' WHERE lease_owner = $1`,
			`DELETE FROM replicas WHERE id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: release replica %s: %w", id, err)
	}
	return nil
}

const targetColumns = `t.issue_id, t.channel, i.published, i.title, ` + effectiveHash + `, t.done_hash,
	t.next_attempt, t.last_error`

func scanTarget(row pgx.Row) (bot.Target, error) {
	var t bot.Target
	err := row.Scan(&t.IssueID, &t.Channel, &t.Published, &t.Title, &t.Hash, &t.DoneHash, &t.NextAttempt, &t.LastError)
	t.Published, t.NextAttempt = goTime(t.Published), goTime(t.NextAttempt)
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
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		t, err = scanTarget(tx.QueryRow(ctx, `SELECT `+targetColumns+`
			FROM issue_channels t JOIN issues i ON i.id = t.issue_id
			WHERE t.channel = $1 AND t.dirty
			ORDER BY i.published, i.id LIMIT 1`, channel))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
			WHERE d.issue_id = $1 AND d.channel = $2 ORDER BY d.seq, d.id`, t.IssueID, channel)
		if err != nil {
			return err
		}
		ds, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Delivery, error) { return scanDelivery(r) })
		return err
	})
	if err != nil {
		return bot.Target{}, nil, false, fmt.Errorf("postgres: next issue for channel %s: %w", channel, err)
	}
	return t, ds, ok, nil
}

// TargetDone records the channel in step with the issue at hash.
func (s *Store) TargetDone(ctx context.Context, issueID int64, channel, hash string) error {
	return s.exec1(ctx, fmt.Sprintf("record channel %s in step with issue %d", channel, issueID), `
		UPDATE issue_channels t SET done_hash = $1, next_attempt = $4, last_error = '', updated = now(),
			dirty = $1 <> (SELECT `+effectiveHash+` FROM issues i WHERE i.id = t.issue_id)
		WHERE t.issue_id = $2 AND t.channel = $3`, hash, issueID, channel, time.Time{})
}

// StartDelivery records an attempt about to be made.
func (s *Store) StartDelivery(ctx context.Context, d bot.Delivery, reset bool) (bot.Delivery, error) {
	if err := d.Validate(); err != nil || d.Key == "" || d.IssueID == 0 {
		return bot.Delivery{}, fmt.Errorf("postgres: start delivery %q to %s of issue %d: key, issue and channel are required (%v)", d.Key, d.Channel, d.IssueID, err)
	}
	out, err := scanDelivery(s.pool.QueryRow(ctx, `
		INSERT INTO deliveries AS d (issue_id, channel, key, part, item, seq, state, claim_hash, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, 1)
		ON CONFLICT (issue_id, channel, key) DO UPDATE SET part = excluded.part, item = excluded.item,
			seq = excluded.seq, claim_hash = excluded.claim_hash, updated = now(),
			attempts = CASE WHEN $8 THEN 1 ELSE d.attempts + 1 END,
			state = CASE WHEN d.ref = '' THEN 'pending' ELSE d.state END
		RETURNING `+deliveryColumns,
		d.IssueID, d.Channel, d.Key, string(d.Part), d.Item, d.Seq, d.TryHash, reset))
	if err != nil {
		return bot.Delivery{}, fmt.Errorf("postgres: start delivery %s to %s of issue %d: %w", d.Key, d.Channel, d.IssueID, err)
	}
	return out, nil
}

// MarkSent records the reference and the hash of what the message shows.
func (s *Store) MarkSent(ctx context.Context, id int64, ref, hash string) error {
	return s.exec1(ctx, fmt.Sprintf("mark sent delivery %d", id), `
		UPDATE deliveries SET state = 'sent', ref = $2, sent_hash = $3, attempts = 0, last_error = '',
			next_attempt = $4, updated = now()
		WHERE id = $1`, id, ref, hash, time.Time{})
}

// MarkRemoved records that the post left its issue.
func (s *Store) MarkRemoved(ctx context.Context, id int64, deleted bool) error {
	return s.exec1(ctx, fmt.Sprintf("mark removed delivery %d", id), `
		UPDATE deliveries SET state = 'removed', attempts = 0, last_error = '', next_attempt = $3,
			ref = CASE WHEN $2 THEN '' ELSE ref END, updated = now()
		WHERE id = $1`, id, deleted, time.Time{})
}

// MarkRetry records a failed attempt; the delivery's target waits until next.
func (s *Store) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var issueID int64
		var channel string
		err := tx.QueryRow(ctx, `UPDATE deliveries SET last_error = $2, next_attempt = $3, updated = now()
			WHERE id = $1 RETURNING issue_id, channel`, id, errMsg, dbTime(next)).Scan(&issueID, &channel)
		if errors.Is(err, pgx.ErrNoRows) {
			return bot.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE issue_channels SET next_attempt = $3, last_error = $4, updated = now()
			WHERE issue_id = $1 AND channel = $2`, issueID, channel, dbTime(next), errMsg)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: mark retry delivery %d: %w", id, err)
	}
	return nil
}

// MarkFailed gives the delivery up.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.exec1(ctx, fmt.Sprintf("mark failed delivery %d", id), `
		UPDATE deliveries SET state = 'failed', last_error = $2, updated = now() WHERE id = $1`, id, errMsg)
}

// exec1 runs one statement that must change a row.
func (s *Store) exec1(ctx context.Context, what, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", what, bot.ErrNotFound)
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

// Targets lists dirty targets, oldest issue first.
func (s *Store) Targets(ctx context.Context, channel string, limit int) ([]bot.Target, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+`
		FROM issue_channels t JOIN issues i ON i.id = t.issue_id
		WHERE t.dirty AND ($1 = '' OR t.channel = $1)
		ORDER BY i.published, i.id, t.channel LIMIT $2`, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list targets: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Target, error) { return scanTarget(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list targets: %w", err)
	}
	return out, nil
}

// ChannelStates summarises every channel with targets or a lease.
func (s *Store) ChannelStates(ctx context.Context, now, staleBefore time.Time) ([]bot.ChannelState, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.channel,
			(SELECT COUNT(*) FROM issue_channels t WHERE t.channel = c.channel AND t.dirty),
			COALESCE((SELECT MAX(d.updated) FROM deliveries d WHERE d.channel = c.channel AND d.state = 'sent'), '0001-01-01 00:00:00+00'),
			COALESCE(l.owner, ''), COALESCE(l.until, '0001-01-01 00:00:00+00'),
			COALESCE((SELECT r.heartbeat < $2 FROM replicas r WHERE r.id = l.owner), false)
		FROM (SELECT channel FROM issue_channels UNION SELECT channel FROM channel_leases) c
		LEFT JOIN channel_leases l ON l.channel = c.channel AND l.until > $1
		ORDER BY c.channel`, dbTime(now), dbTime(staleBefore))
	if err != nil {
		return nil, fmt.Errorf("postgres: channel states: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.ChannelState, error) {
		var c bot.ChannelState
		err := r.Scan(&c.Channel, &c.Dirty, &c.LastSent, &c.LeaseOwner, &c.LeaseUntil, &c.LeaseStale)
		c.LastSent, c.LeaseUntil = goTime(c.LastSent), goTime(c.LeaseUntil)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: channel states: %w", err)
	}
	for i := range out {
		if out[i].Dirty == 0 {
			continue
		}
		ts, err := s.Targets(ctx, out[i].Channel, 1)
		if err != nil {
			return nil, err
		}
		if len(ts) > 0 {
			out[i].Oldest = ts[0]
		}
	}
	return out, nil
}
