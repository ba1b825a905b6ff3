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
	StateEdit    DeliveryState = "edit"    // sent, then the issue changed: edit in place
	StateFailed  DeliveryState = "failed"  // given up after too many attempts, or permanent error
)

// Delivery is one post for one channel: a row of the outbox.
type Delivery struct {
	ID          int64
	IssueID     int64
	Channel     string // Channel.ID
	Part        Part
	Item        int // roundup index for PartRoundup, else 0
	Seq         int // order within the issue and channel: 0 is the lead
	State       DeliveryState
	Ref         string // platform reference once sent
	ParentRef   string // filled by ClaimDeliveries: Ref of the lead (Seq 0) in the same channel
	Attempts    int    // attempts so far, including the one being claimed
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
}

// Replica is one running digestbot process sharing a store.
type Replica struct {
	ID        string
	Info      string // host, pid, version
	Started   time.Time
	Heartbeat time.Time
	Feeds     int // feed leases held now
	Sending   int // delivery leases held now
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
	//   - known issue, new Hash: update it and its stories; deliveries
	//     already sent become StateEdit; deliveries not in the store yet
	//     are inserted only for channels that already have deliveries of
	//     this issue; SaveUpdated.
	// Deliveries are matched by (issue, Channel, Part, Item); their IssueID
	// is filled in by the store.
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

	// ClaimDeliveries leases up to limit deliveries that are due (state
	// pending or edit, NextAttempt <= now, no live lease) to owner until
	// now+lease, increments their Attempts and returns them oldest issue
	// first. Only the first unsettled delivery of each (issue, channel) is
	// returned, so posts of an issue go out one at a time in Seq order; a
	// delivery counts as settled when it is sent or failed.
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// MarkSent records the platform's reference and releases the lease.
	MarkSent(ctx context.Context, id int64, ref string) error
	// MarkRetry records a failed attempt and when to try again.
	MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error
	// MarkFailed gives a delivery up; it stays visible in Deliveries.
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	// Deliveries lists deliveries in the given states (all when none),
	// newest first, at most limit.
	Deliveries(ctx context.Context, limit int, states ...DeliveryState) ([]Delivery, error)
	// DeliveryCounts counts deliveries by state.
	DeliveryCounts(ctx context.Context) (map[DeliveryState]int, error)

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
	case "", StatePending, StateSent, StateEdit, StateFailed:
	default:
		return fmt.Errorf("delivery to %s: unknown state %q", d.Channel, d.State)
	}
	return nil
}
