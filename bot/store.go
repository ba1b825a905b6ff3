package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned by Store lookups that find nothing.
var ErrNotFound = errors.New("not found")

// FeedState is what the store remembers about a feed between polls.
type FeedState struct {
	URL                 string
	Title               string    // the feed's own title, from the last successful poll
	ETag                string    // validator for If-None-Match
	LastModified        string    // validator for If-Modified-Since
	LastPoll            time.Time // last attempt, zero when never polled
	LastSuccess         time.Time // last attempt that got a feed or a 304
	NextPoll            time.Time // when the feed is due
	ConsecutiveFailures int
	LastError           string // "" after a success
	LeaseOwner          string // replica polling it now, "" when none
	LeaseUntil          time.Time
}

// PollRecord is the outcome of one poll, written back by the poller.
type PollRecord struct {
	Title        string // "" keeps the old one
	ETag         string
	LastModified string
	At           time.Time
	Err          string // "" when the poll succeeded (feed or 304)
	NextPoll     time.Time
}

// DeliveryState is where a delivery stands in the outbox.
type DeliveryState string

const (
	StatePending DeliveryState = "pending" // waiting to be sent
	StateSent    DeliveryState = "sent"    // confirmed by the platform; Ref is set
	StateEdit    DeliveryState = "edit"    // legacy (schema 1): sent, then the issue changed
	StateFailed  DeliveryState = "failed"  // given up after too many attempts, or permanent error
	// StateRemoved: the post left the issue (or the issue was withdrawn);
	// its message was deleted (Ref "") or kept (Ref set), per the
	// channel's on_remove.
	StateRemoved DeliveryState = "removed"
)

// Delivery is one post for one channel: a row of the outbox, written when
// the first attempt at the post starts.
type Delivery struct {
	ID          int64
	IssueID     int64
	Channel     string // Channel.ID
	Key         string // the post's identity in its issue (PostKey); unique per issue and channel
	Part        Part
	Item        int // roundup index for PartRoundup when last attempted, else 0
	Seq         int // order within the issue and channel: 0 is the lead
	State       DeliveryState
	Ref         string // platform reference once sent
	SentHash    string // PostHash of what the message shows; "*" legacy: current
	TryHash     string // PostHash of the content last attempted
	Attempts    int    // attempts since the last success, including one under way
	LastError   string
	NextAttempt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SaveStatus says what SaveIssue did.
type SaveStatus int

const (
	SaveUnchanged SaveStatus = iota // same guid and same content hash: nothing written
	SaveInserted                    // a new issue was archived
	SaveUpdated                     // content changed: archive updated, sent posts marked for edit
)

// SaveResult reports SaveIssue's outcome.
type SaveResult struct {
	Status SaveStatus
	ID     int64 // the issue's ID in the store
}

// Hit is one search result: a lead story or a roundup item.
type Hit struct {
	IssueID    int64
	IssueGUID  string
	IssueTitle string
	IssueLink  string
	Published  time.Time
	Part       Part // PartLead or PartRoundup
	Item       int  // roundup index when Part is PartRoundup
	Text       string
	Snippet    string // a short plain-text extract around the match, "…" where cut
	URL        string // the story's source link, else the issue's link
	Story      Story  // the story with its spans, when the store loads it (zero otherwise)
}

// Target is one issue kept in step in one channel: its posts there must
// match the issue as it is now. SaveIssue creates targets for the channels
// an issue is delivered to and marks them dirty when the issue changes.
type Target struct {
	IssueID     int64
	Channel     string
	Published   time.Time // the issue's, for ordering
	Title       string    // the issue's, for status
	Hash        string    // the issue's content hash now, HashWithdrawn when withdrawn
	DoneHash    string    // Hash when the channel was last brought in step
	NextAttempt time.Time // the channel waits until then (a retry, a rate limit)
	LastError   string    // why it waits
}

// HashWithdrawn is a withdrawn issue's Target.Hash: none of its posts
// should exist any more.
const HashWithdrawn = "withdrawn"

// Withdrawn reports whether the target's issue was withdrawn.
func (t Target) Withdrawn() bool { return t.Hash == HashWithdrawn }

// ChannelLease says which replica serves a channel now.
type ChannelLease struct {
	Channel string
	Owner   string
	Until   time.Time
}

// ChannelState summarises one channel's queue for status.
type ChannelState struct {
	Channel    string
	Dirty      int       // issues not in step
	Oldest     Target    // the issue in progress (zero when Dirty is 0)
	LastSent   time.Time // when a post was last sent or edited, zero if never
	LeaseOwner string    // "" when no live lease
	LeaseUntil time.Time
	LeaseStale bool // the owner's heartbeat is stale: the lease can be taken over
}

// Replica is one running digestbot process sharing a store.
type Replica struct {
	ID        string
	Info      string // host, pid, version
	Started   time.Time
	Heartbeat time.Time
	Feeds     int // feed leases held now
	Sending   int // channel leases held now
}

// Store is the archive and the outbox. adapters/sqlite and adapters/postgres
// implement it; bot/storetest is the conformance suite both must pass.
//
// Every method is safe for concurrent use, by goroutines and by replicas
// sharing one database.
type Store interface {
	// EnsureFeed adds a feed if it is not known yet. A new feed is due at once.
	EnsureFeed(ctx context.Context, url string) error
	// Feed returns one feed's state, or ErrNotFound.
	Feed(ctx context.Context, url string) (FeedState, error)
	// Feeds returns every feed, ordered by URL.
	Feeds(ctx context.Context) ([]FeedState, error)
	// ClaimFeed leases the feed that is most overdue (NextPoll <= now, no
	// live lease) to owner until now+lease and returns it; ok is false when
	// no feed is due.
	ClaimFeed(ctx context.Context, owner string, now time.Time, lease time.Duration) (f FeedState, ok bool, err error)
	// NextFeedDue returns the earliest NextPoll (or lease expiry) of all
	// feeds; ok is false when there are no feeds.
	NextFeedDue(ctx context.Context) (t time.Time, ok bool, err error)
	// RecordPoll stores a poll's outcome and releases the lease. A record
	// with Err counts a consecutive failure; one without resets the count.
	RecordPoll(ctx context.Context, url string, r PollRecord) error

	// SaveIssue archives an issue by (Feed, GUID) in one transaction with
	// its deliveries:
	//   - new issue: insert it and its stories; insert deliveries (may be
	//     none, e.g. for backfill); sets is.ID; SaveInserted.
	//   - known issue, same Hash: nothing; SaveUnchanged.
	//   - known issue, new Hash (or withdrawn): update it and its stories,
	//     un-withdraw it, mark its targets dirty; SaveUpdated.
	// The deliveries name the channels the issue goes to: a new issue gets
	// a target in each (none for backfill); an updated one keeps the
	// targets it had (a channel added later does not get old issues).
	SaveIssue(ctx context.Context, is *Issue, deliveries []Delivery) (SaveResult, error)
	// Issue returns an archived issue by ID, or ErrNotFound.
	Issue(ctx context.Context, id int64) (*Issue, error)
	// LatestIssue returns the most recently published issue, or ErrNotFound.
	LatestIssue(ctx context.Context) (*Issue, error)
	// IssueByNumber returns the n-th issue in publication order, counting
	// from 1 for the oldest, or ErrNotFound.
	IssueByNumber(ctx context.Context, n int) (*Issue, error)
	// IssueOn returns the latest issue published on the given UTC day, or
	// ErrNotFound.
	IssueOn(ctx context.Context, day time.Time) (*Issue, error)
	// CountIssues returns how many issues are archived for feed ("" for all).
	CountIssues(ctx context.Context, feed string) (int, error)
	// Search returns up to limit stories matching q, best first. It never
	// fails because of what the user typed; an empty query returns nothing.
	Search(ctx context.Context, q Query, limit int) ([]Hit, error)

	// DueChannels returns the channels with a dirty target due now (any
	// NextAttempt <= now) whose lease is free, expired, held by owner, or
	// held by a replica whose heartbeat is before staleBefore.
	DueChannels(ctx context.Context, owner string, now, staleBefore time.Time) ([]string, error)
	// ClaimChannel leases channel to owner until now+lease on the same
	// conditions (renewing owner's own lease). When another replica holds
	// it, ok is false and the returned lease names it.
	ClaimChannel(ctx context.Context, channel, owner string, now time.Time, lease time.Duration, staleBefore time.Time) (l ChannelLease, ok bool, err error)
	// ReleaseChannel ends owner's lease of channel, if it holds it.
	ReleaseChannel(ctx context.Context, channel, owner string) error
	// ReleaseReplica ends every lease of replica id (feeds and channels)
	// and forgets its heartbeat: it is known to be dead.
	ReleaseReplica(ctx context.Context, id string) error
	// NextTarget returns the channel's dirty target of the oldest issue
	// (Published, then ID), whatever its NextAttempt, with the channel's
	// deliveries of that issue in Seq order; ok is false when none is dirty.
	NextTarget(ctx context.Context, channel string) (t Target, ds []Delivery, ok bool, err error)
	// TargetDone records that the channel is in step with the issue at
	// hash; the target stays dirty when the issue has changed since.
	TargetDone(ctx context.Context, issueID int64, channel, hash string) error
	// StartDelivery records that an attempt at a post is about to be
	// made, before it is: it inserts the delivery (IssueID, Channel, Key)
	// or updates its Part, Item, Seq and TryHash; Attempts becomes 1 when
	// reset, else one more. A delivery without a Ref becomes pending. It
	// returns the stored delivery.
	StartDelivery(ctx context.Context, d Delivery, reset bool) (Delivery, error)
	// MarkSent records the platform's reference and the PostHash of what
	// the message now shows: the delivery is sent, its Attempts 0.
	MarkSent(ctx context.Context, id int64, ref, hash string) error
	// MarkRemoved records that the post left its issue: its message was
	// deleted (deleted true: Ref becomes "") or kept.
	MarkRemoved(ctx context.Context, id int64, deleted bool) error
	// MarkRetry records a failed attempt and when to try again: the
	// delivery's target (and so its channel) waits until next.
	MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error
	// MarkFailed gives a delivery up; it stays visible in Deliveries.
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	// Deliveries lists deliveries in the given states (all when none),
	// newest first, at most limit.
	Deliveries(ctx context.Context, limit int, states ...DeliveryState) ([]Delivery, error)
	// DeliveryCounts counts deliveries by state.
	DeliveryCounts(ctx context.Context) (map[DeliveryState]int, error)
	// Targets lists the dirty targets of channel ("" for all), oldest
	// issue first, at most limit.
	Targets(ctx context.Context, channel string, limit int) ([]Target, error)
	// ChannelStates summarises every channel that has targets or a lease.
	ChannelStates(ctx context.Context, now, staleBefore time.Time) ([]ChannelState, error)
	// WithdrawIssue withdraws the issue (Feed, GUID): it leaves search and
	// the archive's lookups, and its targets become dirty so that every
	// message posted for it is deleted or kept per channel. A withdrawn
	// issue saved again comes back. ErrNotFound when unknown.
	WithdrawIssue(ctx context.Context, feed, guid string) error
	// RetryDelivery makes a failed delivery pending again, its Attempts
	// reset to 0, due at now (`digestbot retry ID`). ErrNotFound for an
	// unknown id; an error for a delivery that is not StateFailed.
	RetryDelivery(ctx context.Context, id int64, now time.Time) error

	// Heartbeat records that replica id is alive at now.
	Heartbeat(ctx context.Context, id, info string, now time.Time) error
	// Replicas lists replicas seen since the given time, with the leases they hold.
	Replicas(ctx context.Context, since time.Time) ([]Replica, error)

	Close() error
}

// CheckSave checks what a store's SaveIssue is given: an issue with a feed
// and a GUID, and valid deliveries. Stores call it first and save nothing
// when it fails.
func CheckSave(is *Issue, deliveries []Delivery) error {
	if is.Feed == "" || is.GUID == "" {
		return fmt.Errorf("save issue %q of feed %q: feed and guid are required", is.GUID, is.Feed)
	}
	for _, d := range deliveries {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("save issue %s: %w", is.GUID, err)
		}
	}
	return nil
}

// Validate checks a delivery handed to SaveIssue: a channel, a known part
// and a known state ("" means pending).
func (d Delivery) Validate() error {
	if d.Channel == "" {
		return errors.New("delivery without a channel")
	}
	switch d.Part {
	case PartLead, PartRoundup, PartCombined:
	default:
		return fmt.Errorf("delivery to %s: unknown part %q", d.Channel, d.Part)
	}
	switch d.State {
	case "", StatePending, StateSent, StateEdit, StateFailed, StateRemoved:
	default:
		return fmt.Errorf("delivery to %s: unknown state %q", d.Channel, d.State)
	}
	return nil
}
