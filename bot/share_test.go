package bot_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

// shareHarness is the pipeline harness with one configured channel whose
// target ("C9") is also the target stories are shared into.
func shareHarness(t *testing.T, body string) (*harness, *bot.Issue) {
	t.Helper()
	h := newHarness(t, body, bot.Channel{ID: "own", Platform: "fake", Target: "C9", Layout: bot.LayoutThread})
	h.poll()
	if s := h.send(); s.Sent == 0 {
		t.Fatalf("first delivery: %+v", s)
	}
	is, err := h.store.LatestIssue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h, is
}

var shareTo = bot.ShareChannel("fake", "C9")

// share records a press of a Share button for one story of is into C9.
func share(t *testing.T, st bot.ShareStore, is *bot.Issue, part bot.Part, item int, who string, wantAdded bool) {
	t.Helper()
	_, added, err := st.AddShare(context.Background(), bot.NewShare(shareTo.ID, is, part, item, bot.Person{ID: "U-" + who, Name: who}, t0))
	if err != nil {
		t.Fatal(err)
	}
	if added != wantAdded {
		t.Errorf("AddShare by %s: added %v, want %v", who, added, wantAdded)
	}
}

// sharedMessages returns the messages the platform received for the share
// channel, and their refs.
func sharedMessages(p *platform) (msgs []bot.Message, refs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, m := range p.posts {
		if m.Channel.ID == shareTo.ID {
			msgs = append(msgs, m)
			refs = append(refs, fmt.Sprintf("msg-%d", i+1))
		}
	}
	return msgs, refs
}

func TestShareInChannelFollowsTheStory(t *testing.T) {
	its := items("a", "b", "c")
	h, is := shareHarness(t, issueFeed("1", "First", t0, its...))
	own := len(h.plat.posts)

	// Ann shares roundup item b: one post in the share channel, rendered
	// as a separate post, shared by Ann, in no thread.
	share(t, h.store, is, bot.PartRoundup, 1, "Ann", true)
	if s := h.send(); s.Sent != 1 || s.Edited+s.Deleted+s.Failed != 0 {
		t.Fatalf("share: %+v, want one post", s)
	}
	msgs, refs := sharedMessages(h.plat)
	if len(msgs) != 1 {
		t.Fatalf("share channel got %d posts, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Post.Part != bot.PartRoundup || m.Post.Item != 1 || m.Post.SharedBy != (bot.Person{ID: "U-Ann", Name: "Ann"}) ||
		m.Channel.Target != "C9" || m.Channel.Platform != "fake" || m.ParentRef != "" || m.Post.Follow != "" {
		t.Errorf("shared post = %+v (parent %q), want item 1 shared by Ann to C9, no parent", m.Post, m.ParentRef)
	}

	// Bob presses the same button: nothing more is posted.
	share(t, h.store, is, bot.PartRoundup, 1, "Bob", false)
	if s := h.send(); s.Sent+s.Edited+s.Deleted != 0 {
		t.Errorf("pressed twice: %+v, want nothing", s)
	}

	// The lead too: a second message; the channel's own posts untouched.
	share(t, h.store, is, bot.PartLead, 0, "Bob", true)
	if s := h.send(); s.Sent != 1 || s.Edited+s.Deleted != 0 {
		t.Errorf("lead shared: %+v, want one post", s)
	}
	msgs, refs = sharedMessages(h.plat)
	if len(msgs) != 2 || msgs[1].Post.Part != bot.PartLead || msgs[1].Post.SharedBy.Name != "Bob" {
		t.Fatalf("share channel posts %+v, want item 1 then the lead", msgs)
	}
	if len(h.plat.posts) != own+2 || len(h.plat.edits)+len(h.plat.deletes) != 0 {
		t.Errorf("posts %d (own %d), edits %v, deletes %v: want 2 new posts and nothing else", len(h.plat.posts), own, h.plat.edits, h.plat.deletes)
	}

	// Item b is corrected: its shared message is edited, as the channel's
	// own message of it is; the shared lead stays.
	its[1].text = "reports on the harbour audit of b, corrected."
	s := h.repoll(issueFeed("1", "First", t0, its...))
	if s.Edited != 2 || s.Sent+s.Deleted != 0 || !contains(h.plat.edits, refs[0]) || contains(h.plat.edits, refs[1]) {
		t.Errorf("item corrected: %+v, edits %v; want the shared item %s and the channel's own edited", s, h.plat.edits, refs[0])
	}

	// Item b leaves the issue: both its messages go.
	s = h.repoll(issueFeed("1", "First", t0, its[0], its[2]))
	if s.Deleted != 2 || !contains(h.plat.deletes, refs[0]) {
		t.Errorf("item removed: %+v, deletes %v; want the shared item %s deleted", s, h.plat.deletes, refs[0])
	}

	// The issue is withdrawn: the shared lead goes too.
	if err := h.store.WithdrawIssue(context.Background(), h.poller.Feeds[0].URL, "issue-1"); err != nil {
		t.Fatal(err)
	}
	h.send()
	if !contains(h.plat.deletes, refs[1]) {
		t.Errorf("withdrawn: deletes %v, want the shared lead %s deleted", h.plat.deletes, refs[1])
	}
	h.plat.assertNoDuplicates(t)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// pressDuringPass is a store on which a Share button is pressed while the
// outbox reads the shares of a pass: between the read and TargetDone.
type pressDuringPass struct {
	*sqlite.Store
	once  sync.Once
	press func()
}

func (p *pressDuringPass) Shares(ctx context.Context, channel string, issueID int64) ([]bot.Share, error) {
	out, err := p.Store.Shares(ctx, channel, issueID)
	p.once.Do(p.press)
	return out, err
}

func TestShareDuringAPassIsNotLost(t *testing.T) {
	h, is := shareHarness(t, issueFeed("1", "First", t0, items("a", "b")...))
	share(t, h.store, is, bot.PartLead, 0, "Ann", true)
	st := &pressDuringPass{Store: h.store}
	st.press = func() { share(t, h.store, is, bot.PartRoundup, 0, "Bob", true) }
	h.outbox.Store = st
	h.send()
	msgs, _ := sharedMessages(h.plat)
	if len(msgs) != 2 {
		t.Fatalf("a share pressed during the pass: %d shared posts, want 2 (the second not lost)", len(msgs))
	}
}

func TestPostHashUnchangedForPlainPosts(t *testing.T) {
	is := &bot.Issue{ID: 3, Feed: "f", GUID: "g", Newsletter: "N", Title: "T", Link: "https://x.example/",
		Standfirst: "S", Image: "https://x.example/i.png", Published: t0,
		Lead:    story("Lead text.", ""),
		Roundup: []bot.Story{story("One.", "https://a.example/"), story("Two.", "https://b.example/")}}
	ch := bot.Channel{ID: "c", Layout: bot.LayoutThread}
	// The hash as computed before Post.SharedBy and Post.Follow existed.
	old := func(p bot.Post) string {
		content := struct {
			Part                                      bot.Part
			Newsletter, Name, Title, Link, Standfirst string
			Image                                     string
			Published                                 time.Time
			Layout                                    bot.Layout
			Stories                                   []bot.Story
		}{p.Part, is.Newsletter, "", is.Title, is.Link, "", "", is.Published.UTC(), ch.Layout, p.Stories()}
		if p.Part == bot.PartLead {
			content.Standfirst, content.Image = is.Standfirst, is.Image
		}
		b, _ := json.Marshal(content)
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:16])
	}
	for _, p := range append(bot.PostsFor(is, bot.LayoutThread), bot.PostsFor(is, bot.LayoutCombined)...) {
		if got, want := bot.PostHash(p, ch), old(p); got != want {
			t.Errorf("PostHash(%s) = %s, want %s as stored before", p.Key, got, want)
		}
		h := bot.PostHash(p, ch)
		shared := p
		shared.SharedBy = bot.Person{ID: "U1", Name: "Ann"}
		followed := p
		followed.Follow = "cambodia"
		byBob := shared
		byBob.SharedBy.Name = "Bob"
		hs := []string{h, bot.PostHash(shared, ch), bot.PostHash(followed, ch), bot.PostHash(byBob, ch)}
		if strings.Join(hs, " ") != strings.Join(uniq(hs), " ") {
			t.Errorf("PostHash of %s: plain, shared, followed, shared by another: %v, want all different", p.Key, hs)
		}
	}
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// digestbot status counts a share channel's queue as the outbox sees it:
// the shared stories, not the whole issue.
func TestQueuesCountShares(t *testing.T) {
	h, is := shareHarness(t, issueFeed("1", "First", t0, items("a", "b", "c")...))
	share(t, h.store, is, bot.PartRoundup, 2, "Ann", true)
	qs, err := bot.Queues(context.Background(), h.store, h.chans, t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Channel == shareTo.ID {
			if q.Issues != 1 || q.Pending != 1 {
				t.Errorf("share channel queue %+v, want 1 issue, 1 post", q)
			}
			return
		}
	}
	t.Errorf("Queues = %+v, want the share channel listed", qs)
}

// Two roundup items cite the same source, so they have the same identity
// and keys "r:URL" and "r:URL#2". A shared message stays its own story
// when the other item leaves: never edited into the other one (still
// "Shared by Ann"), never deleted while its story is still there.
func TestSharedDuplicateSourceKeepsItsStory(t *testing.T) {
	its := []item{{"a", "first item citing the same source a, about the port."}, {"a", "second item citing source a, about the school budget."}, {"c", "third."}}
	h, is := shareHarness(t, issueFeed("1", "First", t0, its...))
	if len(is.Roundup) != 3 || bot.PostKey(is, bot.PartRoundup, 1) != bot.PostKey(is, bot.PartRoundup, 0)+"#2" {
		t.Fatalf("roundup %d items, keys %s %s", len(is.Roundup), bot.PostKey(is, bot.PartRoundup, 0), bot.PostKey(is, bot.PartRoundup, 1))
	}
	share(t, h.store, is, bot.PartRoundup, 0, "Ann", true) // the port
	share(t, h.store, is, bot.PartRoundup, 1, "Bob", true) // the school budget ("#2")
	if s := h.send(); s.Sent != 2 {
		t.Fatalf("shares: %+v", s)
	}
	_, refs := sharedMessages(h.plat)
	ann, bob := refs[0], refs[1]

	// The editor removes the port item: the school budget now has the key
	// "r:URL". Ann's message goes with its story; Bob's stays as it is.
	h.repoll(issueFeed("1", "First", t0, its[1], its[2]))
	if contains(h.plat.edits, ann) || contains(h.plat.edits, bob) {
		t.Errorf("edits %v: a shared message (Ann's %s, Bob's %s) was edited into another story", h.plat.edits, ann, bob)
	}
	if !contains(h.plat.deletes, ann) || contains(h.plat.deletes, bob) {
		t.Errorf("deletes %v: want Ann's %s (its story left) deleted and Bob's %s (still there) kept", h.plat.deletes, ann, bob)
	}
	if msgs, _ := sharedMessages(h.plat); len(msgs) != 2 {
		t.Errorf("share channel got %d posts, want the 2 shares only (nothing reposted)", len(msgs))
	}

	// The school budget item's text changed: an item shared while another
	// had its identity is known by its text too, so it counts as leaving
	// (its message goes) rather than risk showing another story.
	its[1].text = "second item citing source a, about the school budget, corrected."
	h.repoll(issueFeed("1", "First", t0, its[1], its[2]))
	if contains(h.plat.edits, bob) || !contains(h.plat.deletes, bob) {
		t.Errorf("edits %v, deletes %v: want Bob's %s deleted, not edited", h.plat.edits, h.plat.deletes, bob)
	}
	h.plat.assertNoDuplicates(t)
}

// An item inserted above a shared one: the share's key ("#n" included)
// would now name another item; the message stays the shared story's.
func TestSharedItemFollowedAcrossInsert(t *testing.T) {
	its := []item{{"a", "first item citing source a, about the port."}, {"a", "second item citing source a, about the school budget."}}
	h, is := shareHarness(t, issueFeed("1", "First", t0, its...))
	share(t, h.store, is, bot.PartRoundup, 1, "Bob", true) // "r:URL#2"
	if s := h.send(); s.Sent != 1 {
		t.Fatalf("share: %+v", s)
	}
	_, refs := sharedMessages(h.plat)
	// A new item citing source a goes first: the school budget is now "#3".
	ins := item{"a", "a new item citing source a, about the ferry."}
	h.repoll(issueFeed("1", "First", t0, ins, its[0], its[1]))
	if contains(h.plat.edits, refs[0]) || contains(h.plat.deletes, refs[0]) {
		t.Errorf("edits %v, deletes %v: Bob's message %s changed although its story did not", h.plat.edits, h.plat.deletes, refs[0])
	}
	if msgs, _ := sharedMessages(h.plat); len(msgs) != 1 {
		t.Errorf("share channel got %d posts, want 1", len(msgs))
	}
}

// A share recorded before 0009 (no check) is still found by its key.
func TestShareWithoutCheckFoundByKey(t *testing.T) {
	h, is := shareHarness(t, issueFeed("1", "First", t0, items("a", "b")...))
	if _, _, err := h.store.AddShare(context.Background(), bot.Share{Channel: shareTo.ID, IssueID: is.ID,
		Key: bot.PostKey(is, bot.PartRoundup, 1), SharedBy: bot.Person{ID: "U-Ann", Name: "Ann"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if s := h.send(); s.Sent != 1 {
		t.Fatalf("old share: %+v", s)
	}
	if msgs, _ := sharedMessages(h.plat); len(msgs) != 1 || msgs[0].Post.Item != 1 {
		t.Errorf("share channel posts %+v, want item 1", msgs)
	}
}
