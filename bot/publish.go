package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Layout says how a channel receives an issue's roundup.
type Layout string

const (
	LayoutThread   Layout = "thread"   // roundup items as replies in the lead's thread
	LayoutSeparate Layout = "separate" // each roundup item its own message after the lead
	LayoutCombined Layout = "combined" // one message listing every roundup item
)

// Valid reports whether l is one of the known layouts.
func (l Layout) Valid() bool {
	return l == LayoutThread || l == LayoutSeparate || l == LayoutCombined
}

// Channel is one place posts go to.
type Channel struct {
	ID       string // stable key used in the outbox, e.g. "slack:C0123", unique
	Platform string // name of the Publisher that serves it: "slack", "discord", "console"
	Target   string // the platform's own address: a channel id, a webhook URL name...
	Layout   Layout
	// OnRemove says what happens to a message whose post left the issue (a
	// roundup item removed, the issue withdrawn): deleted (OnRemoveDelete,
	// the default) or left as it is (OnRemoveKeep).
	OnRemove OnRemove
	// Forum says the channel is a Discord forum (channels[].forum): each
	// issue opens a forum post. Bot tokens detect forums themselves; a
	// webhook's channel needs it said.
	Forum bool
	// DM is true for a user's direct messages (see DMChannel): Target is
	// the user id and the publisher opens the conversation.
	DM bool
}

// OnRemove is a channel's policy for messages whose post is gone.
type OnRemove string

const (
	OnRemoveDelete OnRemove = "delete" // delete the message ("" means this)
	OnRemoveKeep   OnRemove = "keep"   // leave the message in the channel
)

// Valid reports whether r is a known policy ("" is the default, delete).
func (r OnRemove) Valid() bool { return r == "" || r == OnRemoveDelete || r == OnRemoveKeep }

// Post is what one delivery publishes: the lead, one roundup item or the
// whole roundup of an issue.
type Post struct {
	Issue *Issue
	Part  Part
	Item  int // index into Issue.Roundup when Part is PartRoundup
	// Key is the post's identity in its issue (see PostKey): the same
	// while the post exists, whatever happens to its siblings.
	Key string
	// SharedBy is who shared the story into the channel with a "Share in
	// channel" button (a post of a ShareChannel); zero for a channel's own
	// posts. Adapters show "Shared by <mention>".
	SharedBy Person
	// Follow is the follow a direct message answers (the query as the
	// user typed it, normalised); "" elsewhere. Adapters show "Matches
	// your follow “…”".
	Follow string
}

// Stories returns the stories the post shows.
func (p Post) Stories() []Story {
	switch p.Part {
	case PartLead:
		return []Story{p.Issue.Lead}
	case PartRoundup:
		if p.Item >= 0 && p.Item < len(p.Issue.Roundup) {
			return []Story{p.Issue.Roundup[p.Item]}
		}
		return nil
	case PartCombined:
		return p.Issue.Roundup
	}
	return nil
}

// PostsFor returns the posts an issue becomes in a channel with the given
// layout, in the order they are sent: the lead first, then the roundup.
func PostsFor(is *Issue, layout Layout) []Post {
	posts := []Post{{Issue: is, Part: PartLead, Key: KeyLead}}
	if len(is.Roundup) == 0 {
		return posts
	}
	if layout == LayoutCombined {
		return append(posts, Post{Issue: is, Part: PartCombined, Key: KeyCombined})
	}
	keys := roundupKeys(is)
	for i := range is.Roundup {
		posts = append(posts, Post{Issue: is, Part: PartRoundup, Item: i, Key: keys[i]})
	}
	return posts
}

// Post keys of the lead and the combined roundup.
const (
	KeyLead     = "lead"
	KeyCombined = "combined"
)

// PostKey returns the identity of a post in its issue: "lead", "combined",
// or for a roundup item "r:" and its source link ("#2" added for the
// second item with the same link), else "t:" and a digest of its text. It
// does not depend on the item's position, so adding or removing an item
// leaves the other items' keys alone.
func PostKey(is *Issue, part Part, item int) string {
	switch part {
	case PartLead:
		return KeyLead
	case PartCombined:
		return KeyCombined
	}
	if item < 0 || item >= len(is.Roundup) {
		return fmt.Sprintf("missing:%d", item)
	}
	return roundupKeys(is)[item]
}

// storyKey is a roundup item's identity: "r:" and its source link, else
// "t:" and a hash of its text. roundupKeys adds "#<n>" to the n-th item of
// an issue with the same identity.
func storyKey(st Story) string {
	if st.URL == "" {
		sum := sha256.Sum256([]byte(st.Text()))
		return "t:" + hex.EncodeToString(sum[:12])
	}
	return "r:" + st.URL
}

func roundupKeys(is *Issue) []string {
	keys := make([]string, len(is.Roundup))
	seen := map[string]int{}
	for i, st := range is.Roundup {
		k := storyKey(st)
		seen[k]++
		if n := seen[k]; n > 1 {
			k += fmt.Sprintf("#%d", n)
		}
		keys[i] = k
	}
	return keys
}

// PostHash is a digest of everything the post shows in the channel: what
// its message was rendered from. A message whose hash is unchanged is left
// alone; only a changed one is edited.
func PostHash(p Post, ch Channel) string {
	is := p.Issue
	content := struct {
		Part                                      Part
		Newsletter, Name, Title, Link, Standfirst string
		Image                                     string
		Published                                 time.Time
		Layout                                    Layout
		Stories                                   []Story
		// Added later, left out when empty so that the hashes of posts
		// without them stay as they were stored.
		SharedByID   string `json:",omitempty"`
		SharedByName string `json:",omitempty"`
		Follow       string `json:",omitempty"`
	}{p.Part, is.Newsletter, "", is.Title, is.Link, "", "", is.Published.UTC(), ch.Layout, p.Stories(),
		p.SharedBy.ID, p.SharedBy.Name, p.Follow}
	// Name was a channel's newsletter name, never set: kept empty so that
	// stored hashes stay valid.
	if p.Part == PartLead {
		content.Standfirst, content.Image = is.Standfirst, is.Image
	}
	b, _ := json.Marshal(content) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// DeliveryKey is the idempotency key of one post of an issue in one channel:
// the same for every attempt, every restart and every replica. It is 24
// characters, short enough for a Discord nonce. It follows the post's
// identity (PostKey), not its position.
func DeliveryKey(is *Issue, channel string, part Part, item int) string {
	return deliveryKey(is, channel, PostKey(is, part, item))
}

func deliveryKey(is *Issue, channel, key string) string {
	h := sha256.New()
	switch key {
	case KeyLead, KeyCombined:
		// As before post keys existed: a lead in flight across an upgrade
		// is still found by its retry.
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d", is.Feed, is.GUID, channel, key, 0)
	default:
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", is.Feed, is.GUID, channel, key)
	}
	return "dg" + hex.EncodeToString(h.Sum(nil))[:22]
}

// Message is one send or edit handed to a Publisher.
type Message struct {
	// Key identifies the delivery for ever: the same Key on a retry means
	// the same post. Publishers use it to make sends idempotent (Slack
	// message metadata, Discord nonce).
	Key     string
	Channel Channel
	Post    Post
	// ParentRef is the platform reference of the issue's lead post in this
	// channel ("" for the lead itself or when it was never sent). Thread
	// layouts reply under it.
	ParentRef string
	// Retry is true when an earlier attempt of this delivery may have
	// reached the platform (the process died or the call failed after
	// sending). The publisher must look for that message before sending
	// again, and return its reference instead of posting twice.
	Retry bool
}

// Publisher sends posts to one platform. Implementations live in
// adapters/slack, adapters/discord and adapters/console.
type Publisher interface {
	// Publish sends a new post and returns the platform's reference to it
	// (opaque to the core; handed back as ParentRef and to Edit).
	Publish(ctx context.Context, m Message) (ref string, err error)
	// Edit replaces a post already sent (ref from Publish) with m's content.
	Edit(ctx context.Context, m Message, ref string) error
	// Delete removes a post already sent (ref from Publish): its item left
	// the issue, or the issue was withdrawn. A message that is already gone
	// is no error.
	Delete(ctx context.Context, m Message, ref string) error
}

// ErrPermanent marks a failure that no retry can fix (a channel that does
// not exist, a revoked token). Check with errors.Is.
var ErrPermanent = errors.New("permanent failure")

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() []error {
	return []error{e.err, ErrPermanent}
}

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds: the outbox
// gives the delivery up at once instead of retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// RetryAfterError is implemented by errors that know when to try again
// (HTTP 429 and 503 with Retry-After).
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// RetryAfter returns the wait an error asks for, if any error in its chain
// implements RetryAfterError.
func RetryAfter(err error) (time.Duration, bool) {
	var ra RetryAfterError
	if errors.As(err, &ra) {
		return ra.RetryAfter(), true
	}
	return 0, false
}

// RateLimitError is a ready-made RetryAfterError for adapters.
type RateLimitError struct {
	What  string        // what was limited, e.g. "slack chat.postMessage"
	After time.Duration // how long to wait
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s: rate limited, retry after %s", e.What, e.After)
}

// RetryAfter implements RetryAfterError.
func (e *RateLimitError) RetryAfter() time.Duration { return e.After }
