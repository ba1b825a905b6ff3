package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
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

func (o *Outbox) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if o.Jitter != nil {
		return o.Jitter(d)
	}
	return time.Duration(rand.Int64N(int64(2*d+1))) - d
}
