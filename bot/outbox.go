package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Outbox defaults.
const (
	DefaultMaxAttempts = 12
	DefaultBatch       = 20
	deliveryLease      = 10 * time.Minute // longer than any send with its bounded rate-limit waits
	retryBase          = 5 * time.Second
	retryCap           = time.Hour
)

// Outbox sends pending deliveries: lead first, then roundup items in issue
// order, one channel's posts at a time and channels in parallel. Every
// attempt is recorded in the Store before it starts, so a crash at any
// moment leaves a delivery that is retried with Message.Retry set, and the
// publisher finds the post it may already have made.
type Outbox struct {
	Store       Store
	Publishers  map[string]Publisher // by Channel.Platform
	Channels    []Channel
	Owner       string
	MaxAttempts int // give up after this many attempts; 0: DefaultMaxAttempts
	Batch       int // deliveries claimed at once; 0: DefaultBatch
	Logger      *slog.Logger
	Observer    Observer
	Now         func() time.Time
	Jitter      func(d time.Duration) time.Duration // random offset in [-d, d]
	// Grace is how long sends already under way may go on after ctx is
	// cancelled (shutdown drains in-flight work); 0: 10 seconds.
	Grace time.Duration
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

func (o *Outbox) channel(id string) (Channel, bool) {
	for _, c := range o.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// SendStats counts what one SendDue pass did.
type SendStats struct {
	Sent, Edited, Retried, Failed int
}

// SendDue sends every delivery that is due now, until none is left, and
// reports what it did. Deliveries that fail are rescheduled or given up;
// the returned error is a store failure or ctx's.
func (o *Outbox) SendDue(ctx context.Context) (SendStats, error) {
	var (
		mu    sync.Mutex
		stats SendStats
	)
	batch := o.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	// Sends under way finish after ctx ends, within the grace period:
	// stopping between the platform's answer and the store's record would
	// only cost a reconciliation later, but draining is cheaper.
	grace := o.Grace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	defer stop()
	for {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		ds, err := o.Store.ClaimDeliveries(ctx, o.Owner, o.now(), deliveryLease, batch)
		if err != nil {
			return stats, fmt.Errorf("bot: claim deliveries: %w", err)
		}
		if len(ds) == 0 {
			return stats, nil
		}
		// One goroutine per channel keeps each channel's order and pacing.
		byChannel := map[string][]Delivery{}
		var order []string
		for _, d := range ds {
			if _, ok := byChannel[d.Channel]; !ok {
				order = append(order, d.Channel)
			}
			byChannel[d.Channel] = append(byChannel[d.Channel], d)
		}
		var (
			wg       sync.WaitGroup
			storeErr error
		)
		for _, ch := range order {
			wg.Add(1)
			go func(ds []Delivery) {
				defer wg.Done()
				for i, d := range ds {
					if ctx.Err() != nil {
						// Shutting down: hand back the claims not started, so a
						// restart or another replica need not wait for the lease.
						o.release(ds[i:])
						return
					}
					result, err := o.send(sendCtx, d)
					mu.Lock()
					switch result {
					case "sent":
						stats.Sent++
					case "edited":
						stats.Edited++
					case "retry":
						stats.Retried++
					case "failed":
						stats.Failed++
					}
					if err != nil && storeErr == nil {
						storeErr = err
					}
					mu.Unlock()
				}
			}(byChannel[ch])
		}
		wg.Wait()
		if storeErr != nil {
			return stats, storeErr
		}
	}
}

// send makes one attempt at one delivery and records its outcome. The
// error is the store's; the platform's goes into the delivery.
func (o *Outbox) send(ctx context.Context, d Delivery) (result string, err error) {
	log := o.log().With(slog.Int64("delivery", d.ID), slog.String("channel", d.Channel),
		slog.String("part", string(d.Part)), slog.Int("item", d.Item), slog.Int("attempt", d.Attempts))
	ch, ok := o.channel(d.Channel)
	if !ok {
		return o.giveUp(ctx, log, d, "", fmt.Errorf("channel %q is not in the configuration any more; add it back to deliver", d.Channel))
	}
	pub, ok := o.Publishers[ch.Platform]
	if !ok {
		return o.giveUp(ctx, log, d, ch.Platform, fmt.Errorf("no %s publisher is configured for channel %q", ch.Platform, ch.ID))
	}
	is, err := o.Store.Issue(ctx, d.IssueID)
	if err != nil {
		return "", fmt.Errorf("bot: load issue %d for delivery %d: %w", d.IssueID, d.ID, err)
	}
	post := Post{Issue: is, Part: d.Part, Item: d.Item}
	if d.Part == PartRoundup && d.Item >= len(is.Roundup) {
		return o.giveUp(ctx, log, d, ch.Platform, fmt.Errorf("roundup item %d is no longer in issue %q", d.Item+1, is.GUID))
	}
	msg := Message{
		Key:       DeliveryKey(is, ch.ID, d.Part, d.Item),
		Channel:   ch,
		Post:      post,
		ParentRef: d.ParentRef,
		Retry:     d.Attempts > 1 && d.State != StateEdit,
	}
	var ref string
	if d.State == StateEdit {
		ref = d.Ref
		err = pub.Edit(ctx, msg, ref)
		result = "edited"
	} else {
		ref, err = pub.Publish(ctx, msg)
		result = "sent"
	}
	// Record the outcome even when ctx was cancelled meanwhile: the platform may have the post.
	rctx := context.WithoutCancel(ctx)
	if err == nil {
		if serr := o.Store.MarkSent(rctx, d.ID, ref); serr != nil {
			return "", fmt.Errorf("bot: record delivery %d as sent (ref %s): %w", d.ID, ref, serr)
		}
		o.observer().Delivered(ch.Platform, result)
		log.Info("post_"+result, slog.String("ref", ref))
		return result, nil
	}
	max := o.MaxAttempts
	if max <= 0 {
		max = DefaultMaxAttempts
	}
	if errors.Is(err, ErrPermanent) || d.Attempts >= max {
		return o.giveUp(ctx, log, d, ch.Platform, err)
	}
	wait := Backoff(retryBase, d.Attempts, retryCap)
	wait += o.jitter(wait / 5)
	if ra, ok := RetryAfter(err); ok && ra > wait {
		wait = ra
	}
	next := o.now().Add(wait)
	if serr := o.Store.MarkRetry(rctx, d.ID, err.Error(), next); serr != nil {
		return "", fmt.Errorf("bot: record retry of delivery %d: %w", d.ID, serr)
	}
	o.observer().Delivered(ch.Platform, "retry")
	log.Warn("post_retry", slog.Any("error", err), slog.Time("next_attempt", next))
	return "retry", nil
}

// release makes claimed deliveries due again at once.
func (o *Outbox) release(ds []Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, d := range ds {
		if err := o.Store.MarkRetry(ctx, d.ID, "interrupted by shutdown before sending", o.now()); err != nil {
			o.log().Warn("release_failed", slog.Int64("delivery", d.ID), slog.Any("error", err))
		}
	}
}

func (o *Outbox) giveUp(ctx context.Context, log *slog.Logger, d Delivery, platform string, cause error) (string, error) {
	if err := o.Store.MarkFailed(context.WithoutCancel(ctx), d.ID, cause.Error()); err != nil {
		return "", fmt.Errorf("bot: record failure of delivery %d: %w", d.ID, err)
	}
	o.observer().Delivered(platform, "failed")
	log.Error("post_failed", slog.Any("error", cause),
		slog.String("hint", "see `digestbot status` for every failed post; fix the cause named in the error"))
	return "failed", nil
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

// Run sends due deliveries until ctx is cancelled, waking on wake (new
// deliveries queued) or every interval to pick up retries.
func (o *Outbox) Run(ctx context.Context, wake <-chan struct{}, interval time.Duration) error {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if _, err := o.SendDue(ctx); err != nil && ctx.Err() == nil {
			o.log().Error("outbox_failed", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-ticker.C:
		}
	}
}
