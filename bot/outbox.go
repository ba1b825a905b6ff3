package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Outbox defaults.
const (
	DefaultMaxAttempts = 12
	DefaultLease       = 30 * time.Second // a channel's lease, renewed every third of it while its worker lives
	DefaultStaleAfter  = 20 * time.Second // a replica whose heartbeat is older is taken for dead
	DefaultPoll        = time.Second      // how often an idle replica looks for work queued elsewhere
	retryBase          = 5 * time.Second
	retryCap           = time.Hour
)

// Outbox keeps every channel in step with its issues. It is a reconciler:
// for each issue and channel (a Target) the posts that should exist are
// derived from the issue as it is now (PostsFor), and the messages that do
// exist (Deliveries) are brought in line: new posts published, changed ones
// edited, posts that left the issue deleted or kept (Channel.OnRemove),
// unchanged ones left alone.
//
// Each channel is served by one worker at a time, across replicas, under a
// short lease renewed while the worker lives (river's producer model: fetch
// work when idle, no batch barrier). A worker takes its channel's oldest
// unfinished issue and finishes it before the next, so issues never
// interleave, and a channel waiting on a rate limit delays no other.
//
// Every attempt is recorded before it starts (StartDelivery), so a crash
// at any moment leaves a pending delivery that the next attempt publishes
// with Message.Retry set: the publisher finds the post it may already have
// made, and nothing is posted twice.
type Outbox struct {
	Store       Store
	Publishers  map[string]Publisher // by Channel.Platform
	Channels    []Channel
	Owner       string
	MaxAttempts int // give up a post after this many attempts; 0: DefaultMaxAttempts
	Logger      *slog.Logger
	Observer    Observer
	Now         func() time.Time
	Jitter      func(d time.Duration) time.Duration // random offset in [-d, d]
	// Grace is how long sends already under way may go on after ctx is
	// cancelled (shutdown drains in-flight work); 0: 10 seconds.
	Grace time.Duration
	// Lease is a channel lease's length; 0: DefaultLease.
	Lease time.Duration
	// StaleAfter is how old a replica's heartbeat may be before its leases
	// are taken over; 0: DefaultStaleAfter.
	StaleAfter time.Duration
	// Alerts is told about posts given up and store failures; nil: nobody.
	Alerts *Alerts
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Outbox) log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o *Outbox) observer() Observer {
	if o.Observer == nil {
		return NopObserver{}
	}
	return o.Observer
}

func (o *Outbox) lease() time.Duration {
	if o.Lease > 0 {
		return o.Lease
	}
	return DefaultLease
}

func (o *Outbox) staleBefore(now time.Time) time.Time {
	d := o.StaleAfter
	if d <= 0 {
		d = DefaultStaleAfter
	}
	return now.Add(-d)
}

func (o *Outbox) maxAttempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (o *Outbox) channel(id string) (Channel, bool) {
	for _, c := range o.Channels {
		if c.ID == id {
			return c, true
		}
	}
	if ch, ok := ParseDMChannel(id); ok {
		return ch, true // a user's direct messages (follows)
	}
	if ch, ok := ParseShareChannel(id); ok {
		return ch, true // stories shared into a channel with a Share button
	}
	// A channel subscribed from chat: its ID says where it is.
	return ParseSubscriptionChannel(id)
}

// SendStats counts what the outbox did.
type SendStats struct {
	Sent, Edited, Deleted, Retried, Failed int
}

func (s *SendStats) add(o SendStats) {
	s.Sent += o.Sent
	s.Edited += o.Edited
	s.Deleted += o.Deleted
	s.Retried += o.Retried
	s.Failed += o.Failed
}

// sendContext returns the context sends run under: it outlives ctx by the
// grace period, so a send under way when shutdown starts is finished and
// recorded (stopping between the platform's answer and the store's record
// would only cost a lookup later, but draining is cheaper).
func (o *Outbox) sendContext(ctx context.Context) (context.Context, func()) {
	grace := o.Grace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return sendCtx, func() { stop(); cancel() }
}

// SendDue brings every configured channel in step now, in parallel, and
// returns when each is in step, waiting (a retry or rate limit ahead), or
// served by another replica. The error is a store failure or ctx's.
func (o *Outbox) SendDue(ctx context.Context) (SendStats, error) {
	sendCtx, done := o.sendContext(ctx)
	defer done()
	var (
		mu    sync.Mutex
		stats SendStats
		errs  []error
		wg    sync.WaitGroup
	)
	chans, err := o.sendDueChannels(ctx)
	if err != nil {
		return stats, err
	}
	for _, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st SendStats
			_, err := o.serveChannel(ctx, sendCtx, ch, &st)
			mu.Lock()
			defer mu.Unlock()
			stats.add(st)
			if err != nil {
				errs = append(errs, err)
				o.Alerts.StoreFailed(ctx, err)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	return stats, errors.Join(errs...)
}

// sendDueChannels returns the configured channels, and the channels
// subscribed from chat, direct messages and share channels that have work
// due.
func (o *Outbox) sendDueChannels(ctx context.Context) ([]Channel, error) {
	chans := append([]Channel(nil), o.Channels...)
	now := o.now()
	due, err := o.Store.DueChannels(ctx, o.Owner, now, o.staleBefore(now))
	if err != nil {
		return nil, fmt.Errorf("bot: channels due: %w", err)
	}
	for _, id := range due {
		if slices.ContainsFunc(chans, func(c Channel) bool { return c.ID == id }) {
			continue
		}
		if ch, ok := ParseSubscriptionChannel(id); ok {
			chans = append(chans, ch)
		} else if ch, ok := ParseDMChannel(id); ok {
			chans = append(chans, ch) // a user's direct messages (follows)
		} else if ch, ok := ParseShareChannel(id); ok {
			chans = append(chans, ch) // stories shared with a Share button
		}
	}
	return chans, nil
}

// Run serves channels until ctx is cancelled: it asks the store which
// channels have work due (at once, when woken by wake, when a worker ends,
// and every poll interval for work queued by other replicas or due
// retries) and starts a worker for each that has none.
func (o *Outbox) Run(ctx context.Context, wake <-chan struct{}, poll time.Duration) error {
	if poll <= 0 {
		poll = DefaultPoll
	}
	sendCtx, stop := o.sendContext(ctx)
	defer stop()
	type ended struct {
		channel string
		wait    time.Time
		err     error
	}
	var (
		running   = map[string]bool{}
		notBefore = map[string]time.Time{}
		done      = make(chan ended)
	)
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		now := o.now()
		due, err := o.Store.DueChannels(ctx, o.Owner, now, o.staleBefore(now))
		if err != nil && ctx.Err() == nil {
			o.log().Error("outbox_failed", slog.Any("error", err), slog.String("hint", "the database is unreachable or failing; delivery resumes when it answers"))
			o.Alerts.StoreFailed(ctx, err)
		}
		for _, id := range due {
			ch, ok := o.channel(id)
			if !ok || running[id] || notBefore[id].After(now) || ctx.Err() != nil {
				continue
			}
			running[id] = true
			go func() {
				var st SendStats
				wait, err := o.serveChannel(ctx, sendCtx, ch, &st)
				done <- ended{id, wait, err}
			}()
		}
		select {
		case <-ctx.Done():
			for len(running) > 0 {
				e := <-done
				delete(running, e.channel)
			}
			return nil
		case <-wake:
		case <-ticker.C:
		case e := <-done:
			delete(running, e.channel)
			delete(notBefore, e.channel)
			if e.err != nil && ctx.Err() == nil {
				o.log().Error("outbox_failed", slog.String("channel", e.channel), slog.Any("error", e.err))
				o.Alerts.StoreFailed(ctx, e.err)
				notBefore[e.channel] = o.now().Add(poll)
			} else if !e.wait.IsZero() {
				notBefore[e.channel] = e.wait
			}
		}
	}
}

// serveChannel leases the channel and reconciles its dirty targets, oldest
// issue first, until it is in step, has to wait (returned: until when), or
// the lease is lost. The error is the store's.
func (o *Outbox) serveChannel(ctx, sendCtx context.Context, ch Channel, st *SendStats) (time.Time, error) {
	now := o.now()
	lease := o.lease()
	l, ok, err := o.Store.ClaimChannel(ctx, ch.ID, o.Owner, now, lease, o.staleBefore(now))
	if err != nil {
		return time.Time{}, fmt.Errorf("bot: lease channel %s: %w", ch.ID, err)
	}
	if !ok {
		o.log().Debug("channel_leased_elsewhere", slog.String("channel", ch.ID), slog.String("owner", l.Owner), slog.Time("until", l.Until))
		return time.Time{}, nil
	}
	// Renew the lease while working; a lost lease stops the worker before
	// its next post.
	var lost atomic.Bool
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	var renewing sync.WaitGroup
	renewing.Add(1)
	go func() {
		defer renewing.Done()
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
			}
			now := o.now()
			l, ok, err := o.Store.ClaimChannel(renewCtx, ch.ID, o.Owner, now, lease, o.staleBefore(now))
			switch {
			case err != nil && renewCtx.Err() == nil:
				o.log().Warn("channel_lease_renew_failed", slog.String("channel", ch.ID), slog.Any("error", err))
			case err == nil && !ok:
				o.log().Warn("channel_lease_lost", slog.String("channel", ch.ID), slog.String("owner", l.Owner))
				lost.Store(true)
				return
			}
		}
	}()
	defer func() {
		stopRenew()
		renewing.Wait()
		if !lost.Load() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := o.Store.ReleaseChannel(rctx, ch.ID, o.Owner); err != nil {
				o.log().Warn("channel_release_failed", slog.String("channel", ch.ID), slog.Any("error", err))
			}
			cancel()
		}
	}()
	var idleIssue int64 // the issue of the last pass, when it took no action
	for {
		if ctx.Err() != nil || lost.Load() {
			return time.Time{}, nil
		}
		t, rows, ok, err := o.Store.NextTarget(ctx, ch.ID)
		if err != nil {
			return time.Time{}, fmt.Errorf("bot: next issue for channel %s: %w", ch.ID, err)
		}
		if !ok {
			return time.Time{}, nil
		}
		if t.NextAttempt.After(o.now()) {
			return t.NextAttempt, nil
		}
		if t.IssueID == idleIssue {
			// A pass that changed nothing left the target dirty: the issue
			// changes faster than it can be followed, or the store does not
			// keep its hash. Do not spin; look again later.
			o.log().Warn("channel_target_stuck", slog.String("channel", ch.ID), slog.Int64("issue", t.IssueID))
			return o.now().Add(time.Minute), nil
		}
		before := *st
		wait, err := o.reconcile(ctx, sendCtx, ch, t, rows, st, &lost)
		if err != nil || !wait.IsZero() {
			return wait, err
		}
		idleIssue = 0
		if *st == before {
			idleIssue = t.IssueID
		}
	}
}

// actionKind is what the reconciler does about one post.
type actionKind int

const (
	actPublish actionKind = iota // post a new message (Retry: look for an earlier attempt first)
	actEdit                      // replace the message's content
	actDelete                    // delete the message: its post left the issue
	actKeep                      // the post left the issue; on_remove keep leaves the message
	actForget                    // the post left the issue and has no message to delete
	actAdopt                     // a kept message shows the post again, unchanged: it is sent again
)

func (k actionKind) String() string {
	return [...]string{"publish", "edit", "delete", "keep", "forget", "adopt"}[k]
}

// action is one step of bringing a channel in step with an issue.
type action struct {
	kind  actionKind
	post  Post      // the post (for removals: rebuilt from the delivery)
	seq   int       // its place in the channel's order of the issue
	hash  string    // PostHash of the post now
	row   *Delivery // the existing delivery, nil for a new post
	retry bool      // an earlier attempt may have reached the platform
	reset bool      // a fresh start: the delivery's attempts count from 1
}

// planActions compares the posts an issue should have in a channel with
// the deliveries it has, and returns what to do: removals first (the
// roundup before the lead), then the posts in order.
func planActions(is *Issue, want []Post, ch Channel, rows []Delivery) []action {
	byKey := make(map[string]*Delivery, len(rows))
	for i := range rows {
		byKey[rows[i].Key] = &rows[i]
	}
	wanted := make(map[string]bool, len(want))
	for _, p := range want {
		wanted[p.Key] = true
	}
	// A pre-0003 attempt at an item that had no link of its own (0003 keyed
	// it "legacy:roundup:N") is the attempt at the post of the item now at
	// N, when that post has no delivery yet: the post is published looking
	// for the old key first, and only then is the old row forgotten.
	// Such an attempt given up leaves the post given up: it waits for
	// `digestbot retry`, as any failed post does.
	adopted := map[string]*Delivery{} // post key → legacy row
	adoptedRow := map[*Delivery]bool{}
	for i := range rows {
		d := &rows[i]
		if !(legacyInFlight(d) || legacyGivenUp(d)) || !strings.HasPrefix(d.Key, "legacy:") {
			continue
		}
		for _, p := range want {
			if p.Part == PartRoundup && p.Item == d.Item && byKey[p.Key] == nil && adopted[p.Key] == nil {
				adopted[p.Key], adoptedRow[d] = d, true
			}
		}
	}
	var acts []action
	for i := len(rows) - 1; i >= 0; i-- {
		d := &rows[i]
		if wanted[d.Key] || d.State == StateRemoved || adoptedRow[d] {
			continue
		}
		a := action{post: Post{Issue: is, Part: d.Part, Item: d.Item, Key: d.Key}, seq: d.Seq, row: d}
		switch {
		case d.Ref == "":
			a.kind = actForget // never confirmed: nothing we can point at
		case ch.OnRemove == OnRemoveKeep:
			a.kind = actKeep
		default:
			a.kind = actDelete
		}
		acts = append(acts, a)
	}
	for seq, p := range want {
		h := PostHash(p, ch)
		d := byKey[p.Key]
		a := action{post: p, seq: seq, hash: h, row: d}
		switch {
		case d == nil && adopted[p.Key] != nil:
			l := adopted[p.Key]
			if legacyGivenUp(l) {
				continue // given up before the upgrade's key: waits for retry
			}
			a.kind, a.retry, a.row = actPublish, true, l
			acts = append(acts, a, action{kind: actForget, post: Post{Issue: is, Part: l.Part, Item: l.Item, Key: l.Key}, seq: l.Seq, row: l})
			continue
		case d == nil:
			a.kind = actPublish
		case d.State == StatePending:
			a.kind, a.retry = actPublish, true
		case d.State == StateFailed:
			if d.TryHash == h || legacyGivenUp(d) {
				continue // given up on this very content (or on a pre-0003 attempt)
			}
			a.reset = true
			if d.Ref != "" {
				a.kind = actEdit
			} else {
				a.kind, a.retry = actPublish, true
			}
		case d.State == StateRemoved:
			switch {
			case d.Ref == "":
				a.kind, a.reset = actPublish, true
			case d.SentHash == h:
				a.kind = actAdopt
			default:
				a.kind, a.reset = actEdit, true
			}
		default: // sent, or legacy edit
			if d.State == StateSent && (d.SentHash == h || d.SentHash == "*") {
				continue
			}
			a.kind = actEdit
		}
		acts = append(acts, a)
	}
	return acts
}

// reconcile brings one channel in step with one issue. It returns when
// done (zero time), or when the channel has to wait (until then).
func (o *Outbox) reconcile(ctx, sendCtx context.Context, ch Channel, t Target, rows []Delivery, st *SendStats, lost *atomic.Bool) (time.Time, error) {
	log := o.log().With(slog.String("channel", ch.ID), slog.Int64("issue", t.IssueID))
	withdrawn := t.Withdrawn()
	is, err := o.Store.Issue(ctx, t.IssueID)
	switch {
	case errors.Is(err, ErrNotFound):
		is, withdrawn = &Issue{ID: t.IssueID}, true
	case err != nil:
		return time.Time{}, fmt.Errorf("bot: load issue %d for channel %s: %w", t.IssueID, ch.ID, err)
	}
	withdrawn = withdrawn || is.Withdrawn
	doneHash := HashWithdrawn
	if !withdrawn {
		doneHash = is.Hash()
	}
	pub, ok := o.Publishers[ch.Platform]
	if !ok {
		err := fmt.Errorf("no %s publisher is configured for channel %q: configure the %s credentials", ch.Platform, ch.ID, ch.Platform)
		log.Error("channel_unserved", slog.Any("error", err))
		return o.now().Add(retryCap), nil
	}
	parent := ""
	for _, d := range rows {
		if d.Key == KeyLead && d.State != StateRemoved {
			parent = d.Ref
		}
	}
	rctx := context.WithoutCancel(ctx) // records outlive shutdown: the platform may have the post
	_, sharing := ParseShareChannel(ch.ID)
	want, shared, err := o.wantedPosts(ctx, is, withdrawn, ch)
	if err != nil {
		return time.Time{}, err
	}
	for _, a := range planActions(is, want, ch, rows) {
		if ctx.Err() != nil || lost.Load() {
			return time.Time{}, nil
		}
		alog := log.With(slog.String("post", a.post.Key), slog.String("action", a.kind.String()))
		switch a.kind {
		case actKeep, actForget:
			if err := o.Store.MarkRemoved(rctx, a.row.ID, a.kind == actForget); err != nil {
				return time.Time{}, fmt.Errorf("bot: record removal of delivery %d: %w", a.row.ID, err)
			}
			alog.Info("post_removed", slog.Bool("message_kept", a.kind == actKeep))
			continue
		case actAdopt:
			if err := o.Store.MarkSent(rctx, a.row.ID, a.row.Ref, a.hash); err != nil {
				return time.Time{}, fmt.Errorf("bot: record delivery %d as sent: %w", a.row.ID, err)
			}
			continue
		}
		d := Delivery{IssueID: t.IssueID, Channel: ch.ID, Key: a.post.Key, Part: a.post.Part, Item: a.post.Item, Seq: a.seq, TryHash: a.hash}
		if a.row != nil {
			d.TryHash = a.row.TryHash
			if a.kind != actDelete {
				d.TryHash = a.hash
			}
		}
		key := deliveryKey(is, ch.ID, a.post.Key)
		if a.kind == actPublish && legacyInFlight(a.row) {
			// Keep the marks of a pre-0003 attempt until the post is sent,
			// so that every retry looks for the key it went out with.
			d.TryHash, d.Item = "", a.row.Item
			key = legacyDeliveryKey(is, ch.ID, a.row.Part, a.row.Item)
			alog = alog.With(slog.Bool("legacy_key", true))
		}
		d, err := o.Store.StartDelivery(rctx, d, a.reset)
		if err != nil {
			return time.Time{}, fmt.Errorf("bot: record attempt at %s in %s: %w", a.post.Key, ch.ID, err)
		}
		alog = alog.With(slog.Int64("delivery", d.ID), slog.Int("attempt", d.Attempts))
		msg := Message{Key: key, Channel: ch, Post: a.post, ParentRef: parent,
			Retry: a.kind == actPublish && (a.retry || d.Attempts > 1)}
		if a.post.Part == PartLead || sharing {
			msg.ParentRef = "" // a shared story stands alone, in no thread
		}
		var ref string
		var result string
		switch a.kind {
		case actPublish:
			ref, err = pub.Publish(sendCtx, msg)
			result = "sent"
		case actEdit:
			ref = d.Ref
			err = pub.Edit(sendCtx, msg, ref)
			result = "edited"
		case actDelete:
			err = pub.Delete(sendCtx, msg, d.Ref)
			result = "deleted"
		}
		if err == nil {
			if a.kind == actDelete {
				err = o.Store.MarkRemoved(rctx, d.ID, true)
			} else {
				err = o.Store.MarkSent(rctx, d.ID, ref, a.hash)
			}
			if err != nil {
				return time.Time{}, fmt.Errorf("bot: record delivery %d as %s (ref %s): %w", d.ID, result, ref, err)
			}
			if a.post.Part == PartLead && a.kind == actPublish {
				parent = ref
			}
			switch a.kind {
			case actPublish:
				st.Sent++
			case actEdit:
				st.Edited++
			case actDelete:
				st.Deleted++
			}
			o.observer().Delivered(ch.Platform, result)
			o.Alerts.StoreOK(ctx)
			o.Alerts.PostSent(ctx, ch)
			alog.Info("post_"+result, slog.String("ref", ref))
			continue
		}
		if errors.Is(err, ErrPermanent) || d.Attempts >= o.maxAttempts() {
			if serr := o.Store.MarkFailed(rctx, d.ID, RedactText(err.Error())); serr != nil {
				return time.Time{}, fmt.Errorf("bot: record failure of delivery %d: %w", d.ID, serr)
			}
			st.Failed++
			o.observer().Delivered(ch.Platform, "failed")
			alog.Error("post_failed", slog.String("error", RedactText(err.Error())),
				slog.String("hint", fmt.Sprintf("fix the cause named in the error, then `digestbot retry %d`; `digestbot status` lists every failed post", d.ID)))
			o.Alerts.PostGivenUp(ctx, d, ch, err)
			continue
		}
		wait := Backoff(retryBase, d.Attempts, retryCap)
		wait += o.jitter(wait / 5)
		if ra, ok := RetryAfter(err); ok && ra > wait {
			wait = ra
		}
		next := o.now().Add(wait)
		if serr := o.Store.MarkRetry(rctx, d.ID, RedactText(err.Error()), next); serr != nil {
			return time.Time{}, fmt.Errorf("bot: record retry of delivery %d: %w", d.ID, serr)
		}
		st.Retried++
		o.observer().Delivered(ch.Platform, "retry")
		alog.Warn("post_retry", slog.Any("error", err), slog.Time("next_attempt", next))
		return next, nil
	}
	if err := o.Store.TargetDone(rctx, t.IssueID, ch.ID, doneHash); err != nil {
		return time.Time{}, fmt.Errorf("bot: record channel %s in step with issue %d: %w", ch.ID, t.IssueID, err)
	}
	if shared != nil {
		if err := o.sharedSince(rctx, ch, t.IssueID, shared); err != nil {
			return time.Time{}, err
		}
	}
	return time.Time{}, nil
}

// sharedSince looks again at the shares of an issue into a share channel
// once the channel was recorded in step with it: a share added after the
// pass read them (a button pressed meanwhile, on any replica) made the
// target dirty before TargetDone made it clean, so it is made dirty again.
func (o *Outbox) sharedSince(ctx context.Context, ch Channel, issueID int64, seen []Share) error {
	ss := o.Store.(ShareStore) // shares were read: the store keeps them
	now, err := ss.Shares(ctx, ch.ID, issueID)
	if err != nil {
		return fmt.Errorf("bot: shares of issue %d into %s: %w", issueID, ch.ID, err)
	}
	if len(now) <= len(seen) {
		return nil
	}
	if _, _, err := ss.AddShare(ctx, now[len(now)-1]); err != nil {
		return fmt.Errorf("bot: look again at the shares of issue %d into %s: %w", issueID, ch.ID, err)
	}
	return nil
}

// legacyInFlight reports whether d is a roundup post attempted before
// migration 0003 and never confirmed. Its idempotency key then followed
// the item's position (legacyDeliveryKey), not its identity (PostKey), so
// a message that attempt made carries the old key and only a lookup of
// the old key finds it. 0003 keeps such a row's attempts and item index
// and clears its content hash (TryHash), which every later attempt sets:
// attempted, unconfirmed and without a hash means from before 0003. The
// reconciler keeps the hash empty and the index until the post is sent.
// (`digestbot retry` of such a post sets its attempts to 0 and so loses
// the mark: its retry looks for the new key.)
//
// A given-up (failed) one is not in flight: see legacyGivenUp.
func legacyInFlight(d *Delivery) bool {
	return legacyAttempt(d) && d.State == StatePending
}

// legacyGivenUp reports whether d is a roundup post attempted before 0003
// (or after it, under its pre-0003 key) and given up. Its TryHash is empty,
// so no content can match it: it stays given up, whatever the target's
// reconciliation, until `digestbot retry` makes it pending again.
func legacyGivenUp(d *Delivery) bool {
	return legacyAttempt(d) && d.State == StateFailed
}

func legacyAttempt(d *Delivery) bool {
	return d != nil && d.Part == PartRoundup && d.Ref == "" && d.TryHash == "" && d.Attempts > 0
}

// legacyDeliveryKey is the idempotency key of a post before post keys
// (migration 0003): by part and position. deliveryKey still gives it for
// a lead or a combined roundup (item 0).
func legacyDeliveryKey(is *Issue, channel string, part Part, item int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d", is.Feed, is.GUID, channel, part, item)
	return "dg" + hex.EncodeToString(h.Sum(nil))[:22]
}

func (o *Outbox) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if o.Jitter != nil {
		return o.Jitter(d)
	}
	return time.Duration(rand.Int64N(int64(2*d+1))) - d
}

// wantedPosts returns the posts an issue should have in a channel: none
// when withdrawn; in a user's direct messages (follows), the stories that
// match the user's follows now, each its own message; in a share channel,
// the shared stories that are still in the issue, oldest share first (and
// the shares read, non-nil); else PostsFor.
func (o *Outbox) wantedPosts(ctx context.Context, is *Issue, withdrawn bool, ch Channel) ([]Post, []Share, error) {
	if withdrawn {
		return nil, nil, nil
	}
	if _, ok := ParseShareChannel(ch.ID); ok {
		return o.sharedPosts(ctx, is, ch)
	}
	if !ch.DM {
		return PostsFor(is, ch.Layout), nil, nil
	}
	ps, ok := o.Store.(PeopleStore)
	if !ok {
		return nil, nil, nil
	}
	fs, err := ps.Follows(ctx, ch.Platform, ch.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: follows of %s for issue %d: %w", ch.ID, is.ID, err)
	}
	return FollowPosts(is, NewFollowMatcher(fs).MatchIssue(is)), nil, nil
}

// sharedPosts returns the posts of the stories shared into a share
// channel that the issue still has, found by their PostKey, each with who
// shared it.
func (o *Outbox) sharedPosts(ctx context.Context, is *Issue, ch Channel) ([]Post, []Share, error) {
	ss, ok := o.Store.(ShareStore)
	if !ok {
		return nil, nil, nil
	}
	shares, err := ss.Shares(ctx, ch.ID, is.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: shares of issue %d into %s: %w", is.ID, ch.ID, err)
	}
	if shares == nil {
		shares = []Share{}
	}
	type story struct {
		part Part
		item int
	}
	byStory := map[story]Post{}
	for _, p := range PostsFor(is, LayoutSeparate) {
		byStory[story{p.Part, p.Item}] = p
	}
	var posts []Post
	for _, sh := range shares {
		// The item the share names (by identity, not by the key's
		// position-dependent "#n"), under the share's own key: its message
		// is edited when that item is corrected, never moved onto another.
		part, item, ok := sh.resolve(is)
		p, found := byStory[story{part, item}]
		if !ok || !found {
			continue // the story left the issue: its message goes
		}
		delete(byStory, story{part, item}) // one message per story
		p.Key, p.SharedBy = sh.Key, sh.SharedBy
		posts = append(posts, p)
	}
	return posts, shares, nil
}
