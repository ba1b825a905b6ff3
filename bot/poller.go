package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"time"
)

// Poll intervals and backoff.
const (
	DefaultInterval = 5 * time.Minute
	MinInterval     = time.Minute
	MaxBackoff      = time.Hour
	feedLease       = 2 * time.Minute
)

// FeedPlan is one configured feed: where it is, how often to poll it and
// which channels its issues go to.
type FeedPlan struct {
	URL           string
	Name          string        // newsletter name override, "" for the feed's title
	Interval      time.Duration // 0 means DefaultInterval
	DeliverNewest int           // on the first poll, deliver only this many newest issues
	Channels      []Channel
	// RespectTTL lets the feed's <ttl> or Cache-Control max-age lengthen
	// Interval; otherwise the configured interval wins.
	RespectTTL bool
}

// Poller polls due feeds, archives their issues and queues deliveries.
// Several pollers (replicas) may share one Store: feeds are leased, so each
// poll happens once.
type Poller struct {
	Store    Store
	Source   Source
	Feeds    []FeedPlan
	Owner    string       // replica id holding leases
	Logger   *slog.Logger // nil: discard
	Observer Observer     // nil: no-op
	Now      func() time.Time
	Jitter   func(d time.Duration) time.Duration // random offset in [-d, d]; nil: math/rand
	// Queued is called (and must not block) after a poll archived new or
	// changed issues, so the outbox starts at once and caches are dropped.
	Queued func()
	// Pushes, when set, names issues withdrawn by a push (Ghost
	// unpublished or deleted) that a poll must not bring back.
	Pushes PushStore
	// Alerts is told about failing feeds, issues without a roundup and
	// store failures; nil: nobody is told.
	Alerts *Alerts
	// SubscriptionDefaults is the plan (interval, deliver_newest…) of a
	// feed known only from chat subscriptions; its URL and Channels are
	// ignored.
	SubscriptionDefaults FeedPlan
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func (p *Poller) observer() Observer {
	if p.Observer == nil {
		return NopObserver{}
	}
	return p.Observer
}

func (p *Poller) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if p.Jitter != nil {
		return p.Jitter(d)
	}
	return time.Duration(rand.Int64N(int64(2*d+1))) - d
}

// Register makes sure every planned feed is in the store.
func (p *Poller) Register(ctx context.Context) error {
	for _, f := range p.Feeds {
		if err := p.Store.EnsureFeed(ctx, f.URL); err != nil {
			return fmt.Errorf("bot: register feed %s: %w", RedactURL(f.URL), err)
		}
	}
	return nil
}

// PollDue polls every feed that is due now, one at a time, and returns how
// many it polled. A failing feed does not stop the others; its error is
// recorded in the store. The returned error is a store failure.
func (p *Poller) PollDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		f, ok, err := p.Store.ClaimFeed(ctx, p.Owner, p.now(), feedLease)
		if err != nil {
			return n, fmt.Errorf("bot: claim feed: %w", err)
		}
		if !ok {
			return n, nil
		}
		n++
		if _, err := p.Poll(ctx, f); err != nil && ctx.Err() == nil {
			var se *storeError
			if errors.As(err, &se) {
				return n, err
			}
		}
	}
	return n, ctx.Err()
}

// PollAll polls once, due or not, every feed the poller serves: the
// configured ones, then those known only from chat subscriptions (as
// `digestbot run --once` does). A feed that fails (its error recorded in
// the store, as Poll records it; a 304 is no failure) does not stop the
// others: failures holds one error per failed feed. err is a failure to
// learn which feeds to poll or to read one's state from the store; it
// ends the run at once, leaving the remaining feeds unpolled.
func (p *Poller) PollAll(ctx context.Context) (failures []error, err error) {
	urls, err := p.servedFeeds(ctx)
	if err != nil {
		return nil, err
	}
	for _, url := range urls {
		f, err := p.Store.Feed(ctx, url)
		if err != nil {
			return failures, err
		}
		if _, err := p.Poll(ctx, f); err != nil {
			failures = append(failures, err)
		}
	}
	return failures, nil
}

// servedFeeds lists the configured feeds, then the feeds subscribed from
// chat that are not configured, each once. A subscribed feed is made known
// to the store (a subscription saved without its feed row is still
// served).
func (p *Poller) servedFeeds(ctx context.Context) ([]string, error) {
	seen := make(map[string]bool, len(p.Feeds))
	urls := make([]string, 0, len(p.Feeds))
	for _, f := range p.Feeds {
		if !seen[f.URL] {
			seen[f.URL] = true
			urls = append(urls, f.URL)
		}
	}
	subs, err := p.subscriptions(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if seen[s.Feed] {
			continue
		}
		seen[s.Feed] = true
		if err := p.Store.EnsureFeed(ctx, s.Feed); err != nil {
			return nil, fmt.Errorf("bot: register subscribed feed %s: %w", RedactURL(s.Feed), err)
		}
		urls = append(urls, s.Feed)
	}
	return urls, nil
}

// storeError marks failures of the store, as opposed to the feed's.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// PollResult summarises one poll.
type PollResult struct {
	NotModified bool
	Issues      int // issues in the feed
	Inserted    int // new issues archived
	Updated     int // issues whose content changed
	Queued      int // deliveries queued
	Duplicates  int // items ignored because an earlier item had the same GUID
}

// Poll fetches one feed now, archives its issues and queues deliveries,
// then records the outcome and the next due time. Errors of the feed are
// recorded and returned; the caller need not record anything.
func (p *Poller) Poll(ctx context.Context, f FeedState) (PollResult, error) {
	start := p.now()
	plan, ok, err := p.planFor(ctx, f.URL)
	if err != nil {
		// Posting to the configured channels only would skip the
		// subscribed ones for good: try again soon instead.
		rec := PollRecord{At: start, ETag: f.ETag, LastModified: f.LastModified, Err: err.Error(), NextPoll: start.Add(MinInterval)}
		_ = p.Store.RecordPoll(context.WithoutCancel(ctx), f.URL, rec)
		return PollResult{}, &storeError{err}
	}
	if !ok {
		// Known to the store but neither configured nor subscribed (any
		// more): poll rarely, archive, and deliver nothing, not even
		// followers' direct messages: the admin removed the feed.
		plan = FeedPlan{URL: f.URL, Interval: MaxBackoff}
	}
	interval := plan.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := p.log().With(slog.String("feed", RedactURL(f.URL)))

	res, err := p.Source.Fetch(ctx, f)
	var out PollResult
	rec := PollRecord{At: start, ETag: f.ETag, LastModified: f.LastModified}
	switch {
	case errors.Is(err, ErrNotModified):
		out.NotModified = true
		err = nil // nothing changed is not a failure
		rec.NextPoll = start.Add(interval + p.jitter(interval/10))
		p.observer().Polled(f.URL, "not_modified", p.now().Sub(start))
		log.Debug("feed_not_modified")
	case err != nil:
		if ctx.Err() != nil {
			// Shutting down: release the lease and try again at once next time.
			rec.Err = "interrupted: " + RedactText(err.Error())
			rec.NextPoll = start
			_ = p.Store.RecordPoll(context.WithoutCancel(ctx), f.URL, rec)
			return out, err
		}
		failures := f.ConsecutiveFailures + 1
		wait := Backoff(interval, failures, MaxBackoff)
		if ra, ok := RetryAfter(err); ok && ra > wait {
			wait = min(ra, 24*time.Hour)
		}
		rec.Err = RedactText(err.Error())
		rec.NextPoll = start.Add(wait + p.jitter(wait/10))
		p.observer().Polled(f.URL, "error", p.now().Sub(start))
		log.Warn("feed_poll_failed", slog.String("error", RedactText(err.Error())), slog.Int("consecutive_failures", failures), slog.Time("next_poll", rec.NextPoll))
	default:
		out, err = p.archive(ctx, f, plan, res, ok)
		if err != nil {
			// The store failed: keep the validators so the issues are fetched again.
			rec.Err = RedactText(err.Error())
			rec.NextPoll = start.Add(MinInterval)
			_ = p.Store.RecordPoll(context.WithoutCancel(ctx), f.URL, rec)
			p.Alerts.StoreFailed(ctx, err)
			return out, &storeError{err}
		}
		rec.Title, rec.ETag, rec.LastModified = res.Title, res.ETag, res.LastModified
		wait := interval
		if plan.RespectTTL && res.TTL > wait {
			wait = min(res.TTL, MaxBackoff)
		}
		rec.NextPoll = start.Add(wait + p.jitter(interval/10))
		p.observer().Polled(f.URL, "ok", p.now().Sub(start))
		log.Info("feed_polled", slog.Int("issues", out.Issues), slog.Int("inserted", out.Inserted),
			slog.Int("updated", out.Updated), slog.Int("queued", out.Queued))
	}
	if rerr := p.Store.RecordPoll(ctx, f.URL, rec); rerr != nil {
		p.Alerts.StoreFailed(ctx, rerr)
		return out, &storeError{fmt.Errorf("bot: record poll of %s: %w", RedactURL(f.URL), rerr)}
	}
	p.Alerts.StoreOK(ctx)
	if errors.Is(err, ErrNotModified) {
		p.Alerts.FeedPolled(ctx, f, plan.Name, nil, rec.NextPoll)
	} else {
		p.Alerts.FeedPolled(ctx, f, plan.Name, err, rec.NextPoll)
	}
	if (out.Inserted > 0 || out.Updated > 0) && p.Queued != nil {
		p.Queued()
	}
	if err != nil {
		return out, fmt.Errorf("bot: poll %s: %w", RedactURL(f.URL), redactErr(err))
	}
	return out, nil
}

// Backfill archives issues fetched from a feed's history (a page of it,
// see feeds.Fetcher.History) the way a poll archives them (the feed's
// configured name, duplicate GUIDs, issues withdrawn by a push left out),
// but queues no deliveries: nothing is posted, in no channel and to no
// follower. The feed need not be configured. It changes no poll state.
func (p *Poller) Backfill(ctx context.Context, feed string, res *FetchResult) (PollResult, error) {
	plan, ok := p.plan(feed)
	if !ok {
		plan = FeedPlan{URL: feed}
	}
	plan.Channels = nil
	return p.archive(ctx, FeedState{URL: feed}, plan, res, false)
}

// archive saves a fetched feed's issues, oldest first, with the
// deliveries of the new ones when deliver is set (not for a backfill).
// On a feed's first poll only the plan's DeliverNewest newest are
// delivered.
func (p *Poller) archive(ctx context.Context, f FeedState, plan FeedPlan, res *FetchResult, deliver bool) (PollResult, error) {
	out := PollResult{Issues: len(res.Issues)}
	issues := make([]*Issue, 0, len(res.Issues))
	seen := make(map[string]bool, len(res.Issues))
	for i := range res.Issues {
		is := &res.Issues[i]
		// A GUID twice in one feed: the first occurrence in feed order wins,
		// every poll, so the archive and the posts never flip between them.
		if seen[is.GUID] {
			out.Duplicates++
			p.log().Warn("feed_duplicate_guid", slog.String("feed", f.URL), slog.String("guid", is.GUID),
				slog.String("title", is.Title), slog.String("hint", "the feed lists this GUID more than once; the first item is used, the others ignored"))
			continue
		}
		seen[is.GUID] = true
		is.Feed = f.URL
		if plan.Name != "" {
			is.Newsletter = plan.Name
		} else if is.Newsletter == "" {
			is.Newsletter = res.Title
		}
		issues = append(issues, is)
	}
	// Oldest first, so that archive order and delivery order follow publication.
	// Feed order (newest first) breaks ties and undated issues.
	order := make([]int, len(issues))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ia, ib := issues[order[a]], issues[order[b]]
		if !ia.Published.Equal(ib.Published) {
			return ia.Published.Before(ib.Published)
		}
		return order[a] > order[b]
	})

	deliverFrom := 0 // index in order from which new issues are delivered
	if !deliver {
		deliverFrom = len(order)
	} else if f.LastSuccess.IsZero() {
		n, err := p.Store.CountIssues(ctx, f.URL)
		if err != nil {
			return out, fmt.Errorf("bot: count issues of %s: %w", RedactURL(f.URL), err)
		}
		if n == 0 {
			deliverFrom = max(0, len(order)-plan.DeliverNewest)
		}
	}
	withdrawn, err := p.withdrawnRecently(ctx, f.URL)
	if err != nil {
		return out, fmt.Errorf("bot: withdrawn issues of %s: %w", f.URL, err)
	}
	var follows lazyFollows
	for pos, i := range order {
		is := issues[i]
		if withdrawn[is.GUID] {
			continue // withdrawn by a push; a cached feed still lists it
		}
		var ds []Delivery
		if pos >= deliverFrom {
			if ds, err = p.deliveries(ctx, is, plan, &follows); err != nil {
				return out, err
			}
		}
		r, err := p.Store.SaveIssue(ctx, is, ds)
		if err != nil {
			return out, fmt.Errorf("bot: save issue %q of %s: %w", is.GUID, RedactURL(f.URL), err)
		}
		switch r.Status {
		case SaveInserted:
			out.Inserted++
			out.Queued += len(ds)
			if len(ds) > 0 {
				p.Alerts.IssueArchived(ctx, is, hadRoundup(issues, is))
			}
		case SaveUpdated:
			out.Updated++ // sent posts were marked for edit
		}
	}
	return out, nil
}

// hadRoundup reports whether another issue of the same fetch has a
// roundup: the feed's earlier issues had one.
func hadRoundup(issues []*Issue, is *Issue) bool {
	for _, o := range issues {
		if o != is && o.Split && len(o.Roundup) > 0 {
			return true
		}
	}
	return false
}

// Backoff returns base·2^(failures-1), capped.
func Backoff(base time.Duration, failures int, limit time.Duration) time.Duration {
	if failures <= 0 {
		return base
	}
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Run polls feeds until ctx is cancelled, sleeping until the next one is
// due. wake, when not nil, makes it look again at once (e.g. new config).
func (p *Poller) Run(ctx context.Context, wake <-chan struct{}) error {
	if err := p.Register(ctx); err != nil {
		return err
	}
	for {
		_, perr := p.PollDue(ctx)
		if perr != nil && ctx.Err() == nil {
			p.log().Error("poll_failed", slog.Any("error", perr))
			p.Alerts.StoreFailed(ctx, perr)
		}
		wait := MinInterval
		if t, ok, err := p.Store.NextFeedDue(ctx); err == nil && ok {
			wait = min(max(t.Sub(p.now()), time.Second), MinInterval)
		}
		if perr != nil {
			// The store failed (disk full, read-only…): do not spin on it.
			wait = max(wait, 15*time.Second)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}
