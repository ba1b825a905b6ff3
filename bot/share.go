package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// "Share in channel": every story in a private result (search, latest,
// issue, catchup, follow) carries a button naming it (Section.Share,
// Link.Share). Pressing it posts that story into the channel where the
// result was shown, rendered as the channel's posts are, with "shared by
// <user>". The press reaches the core as a Command (ShareCommand, Button
// set) through the same reply path as a typed command, so the adapters
// write no share logic and no reply-deadline code of their own: they turn
// a verified button press into a Command and answer the presser privately.
//
// A shared story goes through the outbox like every other post: exactly
// once per (channel, story) however often the button is pressed, and the
// message then follows the source (edited with the story, removed with it).

// ShareCommand is the Command.Name of a button press: Args is the
// StoryRef's String form, Channel the platform channel where the button
// was pressed (where the story goes), User and UserName who pressed it.
// The core runs it only when Command.Button is true: nobody types it.
const ShareCommand = "share"

// ShareActionID is the Slack action_id of a Share button and the prefix of
// a Discord component's custom_id ("digest_share:" + StoryRef.String()).
const ShareActionID = "digest_share"

// ShareButtonLabel is the text on every Share button.
const ShareButtonLabel = "Share in channel"

// ShareCustomID returns the Discord custom_id of ref's Share button.
func ShareCustomID(ref StoryRef) string { return ShareActionID + ":" + ref.String() }

// ParseShareCustomID reads a Discord custom_id made by ShareCustomID.
func ParseShareCustomID(id string) (StoryRef, bool) {
	rest, ok := strings.CutPrefix(id, ShareActionID+":")
	if !ok {
		return StoryRef{}, false
	}
	ref, err := ParseStoryRef(rest)
	return ref, err == nil
}

// Person is a chat user as a post names them.
type Person struct {
	ID   string // the platform's user id: adapters render a mention from it
	Name string // display name, for logs and where no mention can be made
}

// IsZero reports whether p names nobody.
func (p Person) IsZero() bool { return p.ID == "" && p.Name == "" }

// Share is one story shared into one channel.
type Share struct {
	Channel  string // the outbox Channel.ID (ShareChannel(...).ID)
	IssueID  int64
	Key      string // the story's PostKey when it was shared: KeyLead or a roundup item's key
	SharedBy Person
	Created  time.Time
	// Which roundup item was shared (migration 0009; empty for the lead
	// and for shares recorded before, which the outbox finds by Key): the
	// item's identity check (StoryRef.Check, see RefFor), its index then,
	// and TextCheck, the check of its text, set only when another item of
	// the issue had the same identity (two items citing one source).
	Check     string
	Item      int
	TextCheck string
}

// NewShare returns the share of story (part, item) of is into channel by
// who at now, with what finds the item again after the issue is edited.
func NewShare(channel string, is *Issue, part Part, item int, who Person, now time.Time) Share {
	sh := Share{Channel: channel, IssueID: is.ID, Key: PostKey(is, part, item), SharedBy: who, Created: now}
	if part != PartRoundup || item < 0 || item >= len(is.Roundup) {
		return sh
	}
	st := is.Roundup[item]
	sh.Check, sh.Item = storyCheck(st), item
	for i, o := range is.Roundup {
		if i != item && storyKey(o) == storyKey(st) {
			sh.TextCheck = textCheck(st)
			break
		}
	}
	return sh
}

// resolve finds the item sh shared in is as it is now (see resolveItem);
// a share recorded before checks (no Check) is found by its Key alone.
func (sh Share) resolve(is *Issue) (part Part, item int, ok bool) {
	if sh.Key == KeyLead {
		return PartLead, 0, true
	}
	if sh.Check == "" {
		for i := range is.Roundup {
			if PostKey(is, PartRoundup, i) == sh.Key {
				return PartRoundup, i, true
			}
		}
		return PartRoundup, 0, false
	}
	item, ok = resolveItem(is, sh.Item, sh.Check, sh.TextCheck)
	return PartRoundup, item, ok
}

// ShareStore keeps shares. adapters/sqlite and adapters/postgres implement
// it beside Store; bot/storetest checks both.
type ShareStore interface {
	// AddShare records s and makes (s.IssueID, s.Channel) a target that is
	// not in step, so the outbox posts it. added is false, and existing the
	// share already recorded, when the story was shared into that channel
	// before (by anyone): a story is shared once per channel.
	AddShare(ctx context.Context, s Share) (existing Share, added bool, err error)
	// Shares returns the shares of one issue into one channel, oldest first.
	Shares(ctx context.Context, channel string, issueID int64) ([]Share, error)
	// ShareDelivery returns the delivery of a share's post (by the share's
	// key), ok false when the outbox has not made one yet.
	ShareDelivery(ctx context.Context, channel string, issueID int64, key string) (d Delivery, ok bool, err error)
}

// sharePrefix starts the Channel.ID of every channel stories are shared
// into: "share:<platform>:<target>". It is its own outbox channel, apart
// from any configured or subscribed channel with the same target, so that
// shared posts never mix with the channel's issues in the reconciler.
const sharePrefix = "share:"

// ShareChannel returns the outbox channel that shares into a platform
// channel go through: one post per shared story.
func ShareChannel(platform, target string) Channel {
	return Channel{ID: sharePrefix + platform + ":" + target, Platform: platform, Target: target,
		Layout: LayoutSeparate, OnRemove: OnRemoveDelete}
}

// ParseShareChannel reads a channel ID made by ShareChannel.
func ParseShareChannel(id string) (Channel, bool) {
	rest, ok := strings.CutPrefix(id, sharePrefix)
	if !ok {
		return Channel{}, false
	}
	platform, target, ok := strings.Cut(rest, ":")
	if !ok || platform == "" || target == "" {
		return Channel{}, false
	}
	return ShareChannel(platform, target), true
}

// Validate checks a share handed to AddShare: a share channel, an issue
// and a story key.
func (s Share) Validate() error {
	if _, ok := ParseShareChannel(s.Channel); !ok {
		return fmt.Errorf("share of issue %d: %q is not a share channel (bot.ShareChannel)", s.IssueID, s.Channel)
	}
	if s.IssueID <= 0 || s.Key == "" {
		return fmt.Errorf("share into %s: issue and story key are required", s.Channel)
	}
	return nil
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
