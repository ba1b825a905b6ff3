package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notifier is the optional interface of a Publisher that can post a plain
// notice (an alert) to a channel: Slack, Discord and the console implement
// it. text is plain text; the adapter escapes it for its platform and
// sends it without mentions.
type Notifier interface {
	Notify(ctx context.Context, ch Channel, text string) error
}

// Incident kinds, as counted in metrics.
const (
	IncidentFeedFailing  = "feed_failing"
	IncidentPostGivenUp  = "post_given_up"
	IncidentNoRoundup    = "no_roundup"
	IncidentStoreRefused = "store_refusing_writes"
)

// Alert defaults.
const (
	DefaultFailAfter     = 3 // failed polls in a row that make an incident
	DefaultAlertsPerHour = 6 // notices sent at most per hour
)

// Alerts turns trouble into incidents and tells a person about each one
// in chat: one notice when it starts and one when it ends, never one per
// failure, and at most MaxPerHour notices an hour (those over the limit
// are held back, logged, and counted in the next notice). Incidents:
//
//   - a feed failing FailAfter polls in a row (with the error and the next
//     retry); it ends when a poll succeeds. The count lives in the store, so
//     a restart neither repeats the start nor loses the end.
//   - a post given up (with the reason and `digestbot retry ID`); posts
//     given up in the same channel while it lasts join it; it ends when a
//     post to that channel goes out again.
//   - an issue published without a recognisable roundup, for a feed whose
//     other issues have one; it ends with the next issue that has one.
//   - the store refusing writes (disk full, read-only, damaged); it ends
//     when a write succeeds. StoreError reports it for /readyz.
//
// A nil *Alerts does nothing, and so does one without Notifier, except
// logging, counting and StoreError. Safe for concurrent use.
type Alerts struct {
	Channel    Channel  // where notices go
	Notifier   Notifier // nil: log only
	Logger     *slog.Logger
	Now        func() time.Time
	FailAfter  int // 0: DefaultFailAfter
	MaxPerHour int // 0: DefaultAlertsPerHour
	// Observe, when set, is called when an incident opens ("opened") or
	// closes ("closed"), and when a notice is held back ("held").
	Observe func(kind, event string)

	mu       sync.Mutex
	open     map[string]*incident
	sent     []time.Time // notices sent in the last hour
	held     int         // notices held back since the last one sent
	storeErr *StoreRefusedError
}

type incident struct {
	kind   string
	since  time.Time
	count  int     // failures joined to it (posts given up)
	ids    []int64 // deliveries given up
	detail string
}

func (a *Alerts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Alerts) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

func (a *Alerts) failAfter() int {
	if a.FailAfter > 0 {
		return a.FailAfter
	}
	return DefaultFailAfter
}

func (a *Alerts) observe(kind, event string) {
	if a.Observe != nil {
		a.Observe(kind, event)
	}
}

// openLocked opens an incident; false when it was open already.
func (a *Alerts) openLocked(key, kind string) (*incident, bool) {
	if a.open == nil {
		a.open = map[string]*incident{}
	}
	if in, ok := a.open[key]; ok {
		return in, false
	}
	in := &incident{kind: kind, since: a.now()}
	a.open[key] = in
	return in, true
}

// notice sends text to the alerts channel unless the hourly limit is
// reached. It is called without a.mu held.
func (a *Alerts) notice(ctx context.Context, kind, text string) {
	now := a.now()
	limit := a.MaxPerHour
	if limit <= 0 {
		limit = DefaultAlertsPerHour
	}
	a.mu.Lock()
	keep := a.sent[:0]
	for _, t := range a.sent {
		if now.Sub(t) < time.Hour {
			keep = append(keep, t)
		}
	}
	a.sent = keep
	if len(a.sent) >= limit {
		a.held++
		a.mu.Unlock()
		a.observe(kind, "held")
		a.log().Warn("alert_held", slog.String("kind", kind), slog.String("text", text),
			slog.String("why", fmt.Sprintf("more than %d alerts in an hour", limit)))
		return
	}
	a.sent = append(a.sent, now)
	held := a.held
	a.held = 0
	a.mu.Unlock()
	if held > 0 {
		text += fmt.Sprintf("\n(%d more alerts were held back in the last hour to keep this channel quiet: see `digestbot status` and the bot's log.)", held)
	}
	a.log().Warn("alert", slog.String("kind", kind), slog.String("text", text))
	if a.Notifier == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := a.Notifier.Notify(sctx, a.Channel, text); err != nil {
		a.log().Error("alert_not_sent", slog.String("kind", kind), slog.String("channel", a.Channel.ID),
			slog.String("error", RedactText(err.Error())),
			slog.String("hint", "check alerts_channel (DIGESTBOT_ALERTS_CHANNEL) and the bot's access to it"))
	}
}

func feedName(name, url string) string {
	if name != "" {
		return name + " (" + RedactURL(url) + ")"
	}
	return RedactURL(url)
}

// FeedPolled records a poll's outcome: before is the feed's state before
// the poll, pollErr the poll's error (nil for success or 304), next the
// next attempt. The incident opens when the failures in a row reach
// FailAfter and closes at the first success after that.
func (a *Alerts) FeedPolled(ctx context.Context, before FeedState, name string, pollErr error, next time.Time) {
	if a == nil {
		return
	}
	n := a.failAfter()
	key := "feed " + before.URL
	if name == "" {
		name = before.Title
	}
	if pollErr != nil {
		failures := before.ConsecutiveFailures + 1
		if failures != n {
			return // below the threshold, or reported already (also before a restart)
		}
		a.mu.Lock()
		_, opened := a.openLocked(key, IncidentFeedFailing)
		a.mu.Unlock()
		if !opened {
			return
		}
		a.observe(IncidentFeedFailing, "opened")
		when := "at " + next.UTC().Format("15:04 UTC")
		if d := next.Sub(a.now()); d > 0 {
			when += " (in " + Approx(d) + ")"
		}
		a.notice(ctx, IncidentFeedFailing, fmt.Sprintf(
			"⚠️ Feed %s has failed %d polls in a row.\nLast error: %s\nNext try %s. No new issue is posted until it works again; `digestbot status` shows every feed.",
			feedName(name, before.URL), failures, cut(RedactText(pollErr.Error()), 400), when))
		return
	}
	if before.ConsecutiveFailures < n {
		return
	}
	a.mu.Lock()
	delete(a.open, key)
	a.mu.Unlock()
	a.observe(IncidentFeedFailing, "closed")
	since := ""
	if !before.LastSuccess.IsZero() {
		since = ", down since " + before.LastSuccess.UTC().Format("2 Jan 15:04 UTC")
	}
	a.notice(ctx, IncidentFeedFailing, fmt.Sprintf("✅ Feed %s works again (after %d failed polls%s).",
		feedName(name, before.URL), before.ConsecutiveFailures, since))
}

// PostGivenUp records a delivery the outbox gave up. The first one in a
// channel opens an incident naming the reason and `digestbot retry ID`;
// the next ones join it.
func (a *Alerts) PostGivenUp(ctx context.Context, d Delivery, ch Channel, cause error) {
	if a == nil {
		return
	}
	key := "posts " + ch.ID
	a.mu.Lock()
	in, opened := a.openLocked(key, IncidentPostGivenUp)
	in.count++
	in.ids = append(in.ids, d.ID)
	a.mu.Unlock()
	if !opened {
		return
	}
	a.observe(IncidentPostGivenUp, "opened")
	where := ch.ID
	if ch.Platform != "" {
		where += " (" + ch.Platform + ")"
	}
	a.notice(ctx, IncidentPostGivenUp, fmt.Sprintf(
		"⚠️ A post to channel %s was given up after %d attempts.\nReason: %s\nFix the cause, then send it again with `digestbot retry %d`. Other posts to this channel given up meanwhile join this alert; `digestbot status` lists them.",
		where, d.Attempts, cut(RedactText(cause.Error()), 400), d.ID))
}

// PostSent records a post that went out: it ends the channel's incident.
func (a *Alerts) PostSent(ctx context.Context, ch Channel) {
	if a == nil {
		return
	}
	key := "posts " + ch.ID
	a.mu.Lock()
	in, ok := a.open[key]
	if ok {
		delete(a.open, key)
	}
	a.mu.Unlock()
	if !ok {
		return
	}
	a.observe(IncidentPostGivenUp, "closed")
	ids := make([]string, 0, len(in.ids))
	for _, id := range in.ids {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	a.notice(ctx, IncidentPostGivenUp, fmt.Sprintf(
		"✅ Posts to channel %s go out again. %d given up meanwhile; send them again with `digestbot retry %s`.",
		ch.ID, in.count, strings.Join(ids, " ")))
}

// IssueArchived records a new issue about to be posted: without a roundup
// while hadRoundup (other issues of the feed have one) it opens an
// incident; with one, it ends the feed's incident.
func (a *Alerts) IssueArchived(ctx context.Context, is *Issue, hadRoundup bool) {
	if a == nil {
		return
	}
	key := "roundup " + is.Feed
	name := is.Newsletter
	if is.Split && len(is.Roundup) > 0 {
		a.mu.Lock()
		_, ok := a.open[key]
		delete(a.open, key)
		a.mu.Unlock()
		if ok {
			a.observe(IncidentNoRoundup, "closed")
			a.notice(ctx, IncidentNoRoundup, fmt.Sprintf("✅ %s: the roundup is recognised again (issue “%s”).", feedName(name, is.Feed), cut(is.Title, 120)))
		}
		return
	}
	if !hadRoundup {
		return
	}
	a.mu.Lock()
	_, opened := a.openLocked(key, IncidentNoRoundup)
	a.mu.Unlock()
	if !opened {
		return
	}
	a.observe(IncidentNoRoundup, "opened")
	link := ""
	if is.Link != "" {
		link = " " + RedactURL(is.Link)
	}
	a.notice(ctx, IncidentNoRoundup, fmt.Sprintf(
		"⚠️ Issue “%s” of %s was published without a recognisable roundup, although earlier issues had one: it is posted as a single lead post.%s\nIf the newsletter changed the sentence that opens its roundup, add the new one to markers (DIGESTBOT_MARKERS); `digestbot preview FEED` shows the split.",
		cut(is.Title, 120), feedName(name, is.Feed), link))
}

// StoreFailed records a store failure; one that refuses writes (see
// StoreRefusal) opens the store incident. Other failures are ignored here.
func (a *Alerts) StoreFailed(ctx context.Context, err error) {
	if a == nil {
		return
	}
	re, ok := StoreRefusal(err)
	if !ok {
		return
	}
	a.mu.Lock()
	opened := a.storeErr == nil
	a.storeErr = re
	a.mu.Unlock()
	if !opened {
		return
	}
	a.observe(IncidentStoreRefused, "opened")
	a.notice(ctx, IncidentStoreRefused, fmt.Sprintf(
		"🛑 The database refuses writes: %s.\nNothing new is archived or posted, and /readyz answers 503, until it is fixed: %s.",
		re.Reason, re.Hint))
}

// StoreOK records a successful write: it ends the store incident.
func (a *Alerts) StoreOK(ctx context.Context) {
	if a == nil {
		return
	}
	a.mu.Lock()
	re := a.storeErr
	a.storeErr = nil
	a.mu.Unlock()
	if re == nil {
		return
	}
	a.observe(IncidentStoreRefused, "closed")
	a.notice(ctx, IncidentStoreRefused, fmt.Sprintf("✅ The database accepts writes again (it had refused them: %s).", re.Reason))
}

// StoreError returns why the store refuses writes, or nil.
func (a *Alerts) StoreError() *StoreRefusedError {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.storeErr
}
