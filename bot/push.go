package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// PushKind says what a pushed event (a Ghost webhook, a WebSub content
// distribution) asks the bot to do.
type PushKind string

const (
	PushPublished PushKind = "published" // an issue was published: archive it and deliver it now
	PushEdited    PushKind = "edited"    // a published issue changed: reconcile its posts
	PushWithdrawn PushKind = "withdrawn" // unpublished or deleted: withdraw its posts and archive entry
	PushScheduled PushKind = "scheduled" // scheduled: preview the split in the editors' channel
	PushFeed      PushKind = "feed"      // a fresh copy of the whole feed (WebSub): like a poll
)

// Valid reports whether k is a known kind.
func (k PushKind) Valid() bool {
	switch k {
	case PushPublished, PushEdited, PushWithdrawn, PushScheduled, PushFeed:
		return true
	}
	return false
}

// PushEvent is one verified push, recorded durably before it is
// acknowledged and processed afterwards.
type PushEvent struct {
	ID     int64
	Key    string // unique: a second event with the same Key is a replay and is refused
	Source string // "ghost" or "websub"
	Kind   PushKind
	Feed   string // the configured feed the event is about
	GUID   string // the issue's GUID ("" for PushFeed)
	// Issue is the issue built from the payload (published, edited,
	// scheduled); Result the parsed feed (PushFeed). Neither holds
	// anything the payload had beyond what the bot archives anyway (no
	// author emails).
	Issue      *Issue
	Result     *FetchResult
	ReceivedAt time.Time
	Attempts   int // attempts so far, including the one being claimed
	LastError  string
}

// pushPayload is what a store keeps of an event's Issue and Result.
type pushPayload struct {
	Issue  *Issue       `json:",omitempty"`
	Result *FetchResult `json:",omitempty"`
}

// EncodePushPayload returns the bytes a store keeps for ev's Issue and
// Result.
func EncodePushPayload(ev *PushEvent) ([]byte, error) {
	return json.Marshal(pushPayload{Issue: ev.Issue, Result: ev.Result})
}

// DecodePushPayload sets ev's Issue and Result from bytes made by
// EncodePushPayload.
func DecodePushPayload(ev *PushEvent, b []byte) error {
	var p pushPayload
	if len(b) > 0 {
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("push event %d: payload: %w", ev.ID, err)
		}
	}
	ev.Issue, ev.Result = p.Issue, p.Result
	return nil
}

// CheckPush checks what RecordPush is given.
func CheckPush(ev *PushEvent) error {
	switch {
	case ev.Key == "":
		return errors.New("push event without a key")
	case !ev.Kind.Valid():
		return fmt.Errorf("push event %s: unknown kind %q", ev.Key, ev.Kind)
	case ev.Feed == "":
		return fmt.Errorf("push event %s: no feed", ev.Key)
	case ev.Kind != PushFeed && ev.GUID == "":
		return fmt.Errorf("push event %s: no issue guid", ev.Key)
	case (ev.Kind == PushPublished || ev.Kind == PushEdited || ev.Kind == PushScheduled) && ev.Issue == nil:
		return fmt.Errorf("push event %s: %s without an issue", ev.Key, ev.Kind)
	case ev.Kind == PushFeed && ev.Result == nil:
		return fmt.Errorf("push event %s: feed without a result", ev.Key)
	}
	return nil
}

// PushStore keeps pushed events and withdrawn issues. adapters/sqlite and
// adapters/postgres implement it beside Store; bot/storetest checks both.
type PushStore interface {
	// RecordPush stores ev (state pending, due at once) unless an event
	// with the same Key is already stored, in which case it stores nothing
	// and returns false: a replay. It sets ev.ID.
	RecordPush(ctx context.Context, ev *PushEvent) (bool, error)
	// ClaimPushes leases up to limit pending events that are due (and not
	// leased) to owner until now+lease, increments their Attempts and
	// returns them in the order they were recorded.
	ClaimPushes(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]PushEvent, error)
	// FinishPush records an attempt's outcome and releases the lease:
	// errMsg "" means done; otherwise the event is retried at next, or
	// given up (state failed) when next is zero.
	FinishPush(ctx context.Context, id int64, errMsg string, next time.Time) error
	// PrunePushes deletes events that are done or failed and were
	// received before the given time, and returns how many.
	PrunePushes(ctx context.Context, before time.Time) (int, error)
	// PushCounts counts events by state: "pending", "done", "failed".
	PushCounts(ctx context.Context) (map[string]int, error)

	// MarkWithdrawn remembers that an issue was withdrawn at the given
	// time (the latest time wins).
	MarkWithdrawn(ctx context.Context, feed, guid string, at time.Time) error
	// ClearWithdrawn forgets it (the issue was published again).
	ClearWithdrawn(ctx context.Context, feed, guid string) error
	// WithdrawnSince returns the GUIDs of the feed's issues withdrawn at or
	// after the given time.
	WithdrawnSince(ctx context.Context, feed string, since time.Time) (map[string]bool, error)
}

// Push processing defaults.
const (
	pushLease        = 2 * time.Minute
	pushMaxAttempts  = 10
	pushRetryBase    = 5 * time.Second
	pushRetryCap     = 10 * time.Minute
	pushKeep         = 24 * time.Hour // finished events are kept this long (replay memory: 5 min is enough)
	WithdrawnHoldoff = time.Hour      // a withdrawn issue still in a (cached) feed is not brought back for this long
)

// Pusher processes recorded push events: it archives and delivers
// published issues at once, reconciles edited ones, withdraws unpublished
// and deleted ones, previews scheduled ones and treats a pushed feed like
// a fresh poll. Several replicas may run one each: events are leased.
type Pusher struct {
	Store  Store
	Pushes PushStore
	Poller *Poller // who receives a feed's issues: its plan (configured feeds, chat subscriptions) and follows
	Owner  string
	Logger *slog.Logger
	Now    func() time.Time
	// Withdraw removes an archived issue from search and handles its
	// posted messages per channel (on_remove). nil: the issue is only
	// kept from coming back through polls.
	Withdraw func(ctx context.Context, feed, guid string) error
	// Preview posts how a scheduled issue will be split to the editors'
	// channel; nil: scheduled events are only logged.
	Preview func(ctx context.Context, is *Issue) error
	// Queued is called (and must not block) after an event archived,
	// changed or withdrew an issue, so the outbox starts at once.
	Queued func()
}

func (p *Pusher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pusher) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Accept records a verified event durably; false means it was a replay.
// It is what an HTTP handler calls before answering.
func (p *Pusher) Accept(ctx context.Context, ev *PushEvent) (bool, error) {
	if err := CheckPush(ev); err != nil {
		return false, err
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = p.now()
	}
	return p.Pushes.RecordPush(ctx, ev)
}

// ProcessDue processes every event that is due and returns how many it
// processed. An event that fails is retried with backoff; the returned
// error is a store failure.
func (p *Pusher) ProcessDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		evs, err := p.Pushes.ClaimPushes(ctx, p.Owner, p.now(), pushLease, 10)
		if err != nil {
			return n, fmt.Errorf("bot: claim push events: %w", err)
		}
		if len(evs) == 0 {
			return n, nil
		}
		for i := range evs {
			ev := &evs[i]
			n++
			changed, perr := p.process(ctx, ev)
			msg, next := "", time.Time{}
			if perr != nil {
				msg = perr.Error()
				if ev.Attempts < pushMaxAttempts && !errors.Is(perr, ErrPermanent) {
					next = p.now().Add(Backoff(pushRetryBase, ev.Attempts, pushRetryCap))
				}
				p.log().Warn("push_failed", slog.Int64("event", ev.ID), slog.String("kind", string(ev.Kind)),
					slog.String("feed", ev.Feed), slog.String("guid", ev.GUID), slog.Int("attempts", ev.Attempts),
					slog.Any("error", perr), slog.Bool("retry", !next.IsZero()))
			}
			if err := p.Pushes.FinishPush(context.WithoutCancel(ctx), ev.ID, msg, next); err != nil {
				return n, fmt.Errorf("bot: finish push event %d: %w", ev.ID, err)
			}
			if changed && p.Queued != nil {
				p.Queued()
			}
		}
	}
	return n, ctx.Err()
}

// process carries out one event; changed says whether the archive or the
// outbox changed.
func (p *Pusher) process(ctx context.Context, ev *PushEvent) (changed bool, err error) {
	log := p.log().With(slog.String("feed", ev.Feed), slog.String("guid", ev.GUID), slog.String("kind", string(ev.Kind)), slog.String("source", ev.Source))
	// The same plan a poll uses: configured channels and chat subscriptions.
	plan, ok, err := p.Poller.planFor(ctx, ev.Feed)
	if err != nil {
		return false, err
	}
	if !ok {
		log.Warn("push_feed_not_configured", slog.String("hint",
			"the feed is neither in the configuration nor subscribed from chat (any more): the event is dropped, nothing is archived or posted"))
		return false, nil
	}
	f, err := p.Store.Feed(ctx, ev.Feed)
	if errors.Is(err, ErrNotFound) {
		f = FeedState{URL: ev.Feed}
	} else if err != nil {
		return false, err
	}
	switch ev.Kind {
	case PushWithdrawn:
		if err := p.Pushes.MarkWithdrawn(ctx, ev.Feed, ev.GUID, p.now()); err != nil {
			return false, err
		}
		if p.Withdraw != nil {
			if err := p.Withdraw(ctx, ev.Feed, ev.GUID); err != nil && !errors.Is(err, ErrNotFound) {
				return true, err
			}
		}
		log.Info("push_withdrawn")
		return true, nil
	case PushScheduled:
		if p.Preview == nil {
			log.Info("push_scheduled", slog.String("preview", "no editors_channel"))
			return false, nil
		}
		is := *ev.Issue
		is.Feed = ev.Feed
		p.newsletter(&is, plan, f)
		if err := p.Preview(ctx, &is); err != nil {
			return false, err
		}
		log.Info("push_scheduled", slog.String("preview", "posted"))
		return false, nil
	case PushFeed:
		if f.LastSuccess.IsZero() {
			// The first poll decides what a new feed's backlog becomes.
			log.Info("push_before_first_poll")
			return false, nil
		}
		res := *ev.Result
		out, err := p.Poller.archive(ctx, f, plan, &res, true)
		if err != nil {
			return false, err
		}
		log.Info("push_feed", slog.Int("issues", out.Issues), slog.Int("inserted", out.Inserted), slog.Int("updated", out.Updated))
		return out.Inserted+out.Updated > 0, nil
	}

	// published or edited
	if f.LastSuccess.IsZero() {
		log.Info("push_before_first_poll")
		return false, nil
	}
	is := *ev.Issue
	is.Feed = ev.Feed
	p.newsletter(&is, plan, f)
	if err := p.Pushes.ClearWithdrawn(ctx, ev.Feed, ev.GUID); err != nil {
		return false, err
	}
	// Who receives a new issue is decided once, with the issue: the store
	// makes its targets now or never (an issue archived already keeps its
	// targets; a later poll sees it as known).
	ds, err := p.Poller.deliveries(ctx, &is, plan, &lazyFollows{})
	if err != nil {
		return false, err
	}
	r, err := p.Store.SaveIssue(ctx, &is, ds)
	if err != nil {
		return false, err
	}
	switch r.Status {
	case SaveInserted:
		log.Info("push_archived", slog.Int("queued", len(ds)))
	case SaveUpdated:
		log.Info("push_updated")
	default:
		log.Info("push_unchanged")
	}
	return r.Status != SaveUnchanged, nil
}

func (p *Pusher) newsletter(is *Issue, plan FeedPlan, f FeedState) {
	switch {
	case plan.Name != "":
		is.Newsletter = plan.Name
	case f.Title != "":
		is.Newsletter = f.Title
	}
}

// Run processes events until ctx is cancelled: at once when wake fires,
// else every interval (events whose retry is due, events recorded by
// other replicas). It prunes old events once an hour.
func (p *Pusher) Run(ctx context.Context, wake <-chan struct{}, interval time.Duration) error {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastPrune time.Time
	for {
		if _, err := p.ProcessDue(ctx); err != nil && ctx.Err() == nil {
			p.log().Error("push_processing_failed", slog.Any("error", err))
		}
		if now := p.now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if _, err := p.Pushes.PrunePushes(ctx, now.Add(-pushKeep)); err != nil && ctx.Err() == nil {
				p.log().Warn("push_prune_failed", slog.Any("error", err))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-t.C:
		}
	}
}

// withdrawnRecently returns the GUIDs of the feed's issues withdrawn within
// WithdrawnHoldoff, which polls must not bring back; nil when the poller
// has no PushStore.
func (p *Poller) withdrawnRecently(ctx context.Context, feed string) (map[string]bool, error) {
	if p.Pushes == nil {
		return nil, nil
	}
	return p.Pushes.WithdrawnSince(ctx, feed, p.now().Add(-WithdrawnHoldoff))
}

// PreviewPoster posts a preview of a scheduled issue to one channel: the
// posts the issue will become, the lead marked as a preview. It sends
// directly (not through the outbox): a lost preview is not worth a retry.
type PreviewPoster struct {
	Channel   Channel
	Publisher Publisher
}

// Post sends the preview.
func (pp *PreviewPoster) Post(ctx context.Context, is *Issue) error {
	pv := *is
	pv.Title = "Preview (scheduled): " + is.Title
	when := "a later time"
	if !is.Published.IsZero() {
		when = is.Published.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	note := fmt.Sprintf("This issue is scheduled for %s. Below is how it will be split: the lead and %d roundup items. Fix the source in Ghost if a post looks wrong.", when, len(is.Roundup))
	if is.Standfirst != "" {
		note += " " + is.Standfirst
	}
	pv.Standfirst = note
	// A key of its own per preview, so it never collides with the real
	// posts of the issue.
	pv.GUID = "preview:" + is.GUID + ":" + fmt.Sprint(time.Now().UnixNano())
	parent := ""
	for _, post := range PostsFor(&pv, pp.Channel.Layout) {
		m := Message{Key: DeliveryKey(&pv, pp.Channel.ID, post.Part, post.Item), Channel: pp.Channel, Post: post, ParentRef: parent}
		ref, err := pp.Publisher.Publish(ctx, m)
		if err != nil {
			return fmt.Errorf("preview of %q in %s: %w", is.Title, pp.Channel.ID, err)
		}
		if post.Part == PartLead {
			parent = ref
		}
	}
	return nil
}
