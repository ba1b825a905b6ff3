package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

// A pushed issue goes where a polled one goes: the configured channels,
// the channels subscribed to the feed from chat, and a direct message to
// each user whose follow matches one of its stories. Those targets are
// made when the issue is archived (a later poll sees it as known and adds
// none), so a push that skipped one would lose that issue for it for good.

const (
	subTarget = "C0SUB"
	follower  = "U0FOLLOW"
)

var (
	subChannel = bot.Subscription{Platform: "fake", Target: subTarget, Layout: bot.LayoutSeparate}.Channel().ID
	dmChannel  = bot.DMChannel("fake", follower).ID
)

// targetRig is a pushRig with an outbox in front of a fake platform, a
// channel subscribed from chat and a follower.
type targetRig struct {
	*pushRig
	plat   *platform
	outbox *bot.Outbox
}

// newTargetRig: configured says whether the feed is in the configuration
// (channel "team"); either way channel C0SUB subscribed to it from chat
// and a user follows "volcano".
func newTargetRig(t *testing.T, configured bool) *targetRig {
	r := &targetRig{pushRig: newPushRig(t), plat: newPlatform()}
	ctx := context.Background()
	if !configured {
		r.poller.Feeds = nil
		r.poller.SubscriptionDefaults = bot.FeedPlan{Interval: 5 * time.Minute, DeliverNewest: 1}
	}
	if _, err := r.store.Subscribe(ctx, bot.Subscription{Feed: r.feed, Platform: "fake", Target: subTarget, Layout: bot.LayoutSeparate, AddedBy: "U0ADMIN (ana)", AddedAt: pushT0}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.AddFollow(ctx, bot.Follow{Platform: "fake", User: follower, Query: bot.ParseQuery("volcano").String(), Created: pushT0}); err != nil {
		t.Fatal(err)
	}
	r.pusher.Withdraw = r.store.WithdrawIssue
	r.outbox = &bot.Outbox{Store: r.store, Publishers: map[string]bot.Publisher{"fake": r.plat},
		Owner: "t", Now: r.clock.Now, Jitter: noJitter}
	for _, f := range r.poller.Feeds {
		r.outbox.Channels = append(r.outbox.Channels, f.Channels...)
	}
	return r
}

func (r *targetRig) send(t *testing.T) bot.SendStats {
	t.Helper()
	st, err := r.outbox.SendDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// posts returns "part/item" of each post of issue guid that reached
// channel, in order.
func (r *targetRig) posts(guid, channel string) []string {
	r.plat.mu.Lock()
	defer r.plat.mu.Unlock()
	var out []string
	for _, m := range r.plat.posts {
		if m.Post.Issue.GUID == guid && m.Channel.ID == channel {
			out = append(out, fmt.Sprintf("%s/%d", m.Post.Part, m.Post.Item))
		}
	}
	return out
}

// channelsOf returns the channels of the messages with the given refs
// (edited or deleted ones), sorted.
func (r *targetRig) channelsOf(refs []string) []string {
	r.plat.mu.Lock()
	defer r.plat.mu.Unlock()
	var out []string
	for _, ref := range refs {
		var n int
		fmt.Sscanf(ref, "msg-%d", &n)
		out = append(out, r.plat.posts[n-1].Channel.ID)
	}
	slices.Sort(out)
	return out
}

// volcanoIssue has a roundup whose first item matches the follow.
func volcanoIssue(guid string, at time.Time) bot.Issue {
	is := pushIssue(guid, at)
	is.Split = true
	is.Roundup = []bot.Story{
		{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "A volcano near the coast stirs again in " + guid + "."}}}}, URL: "https://src1.example.com/" + guid},
		{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "A harbour report on crew pay in " + guid + "."}}}}, URL: "https://src2.example.com/" + guid},
	}
	return is
}

// checkEveryTarget: issue guid reached every channel it should, once each.
func (r *targetRig) checkEveryTarget(t *testing.T, guid string, configured bool) {
	t.Helper()
	all := []string{"lead/0", "roundup/0", "roundup/1"}
	want := map[string][]string{subChannel: all, dmChannel: {"roundup/0"}}
	if configured {
		want["team"] = all
	}
	for ch, w := range want {
		if got := r.posts(guid, ch); !slices.Equal(got, w) {
			t.Errorf("issue %s in %s: posts %q, want %q", guid, ch, got, w)
		}
	}
	r.plat.assertNoDuplicates(t)
}

func TestPushReachesEveryTarget(t *testing.T) {
	for _, configured := range []bool{true, false} {
		name := "configured feed"
		if !configured {
			name = "feed subscribed from chat only"
		}
		for _, kind := range []bot.PushKind{bot.PushPublished, bot.PushEdited, bot.PushFeed} {
			t.Run(name+"/"+string(kind), func(t *testing.T) {
				r := newTargetRig(t, configured)
				r.src.issues = []bot.Issue{pushIssue("a", pushT0.Add(-24*time.Hour))}
				r.poll(t) // first poll: a, which matches no follow, is delivered
				r.send(t)
				if got := r.posts("a", subChannel); len(got) != 1 {
					t.Fatalf("the first poll posted %q in the subscribed channel, want a's lead", got)
				}

				b := volcanoIssue("b", pushT0)
				ev := &bot.PushEvent{Key: "k1", Source: "ghost", Kind: kind, GUID: "b", Issue: &b}
				if kind == bot.PushFeed {
					ev = &bot.PushEvent{Key: "k1", Source: "websub", Kind: kind,
						Result: &bot.FetchResult{Title: "Harbour Notes", Issues: []bot.Issue{b, pushIssue("a", pushT0.Add(-24*time.Hour))}}}
				}
				r.push(t, ev)
				r.send(t)
				r.checkEveryTarget(t, "b", configured)

				// The feed lists it now: a poll posts nothing more.
				r.src.issues = []bot.Issue{b, pushIssue("a", pushT0.Add(-24*time.Hour))}
				r.clock.Add(6 * time.Minute)
				r.poll(t)
				if s := r.send(t); s.Sent != 0 || s.Edited != 0 {
					t.Errorf("the poll after the push sent %+v, want nothing", s)
				}
				r.checkEveryTarget(t, "b", configured)
			})
		}
	}
}

// An edit and a withdrawal pushed for the issue reach the subscribed
// channel as they reach the configured one; the follower's direct message
// is kept (on_remove keep for DMs).
func TestPushEditAndWithdrawReachSubscribedChannels(t *testing.T) {
	r := newTargetRig(t, true)
	r.src.issues = []bot.Issue{pushIssue("a", pushT0.Add(-24*time.Hour))}
	r.poll(t)
	r.send(t)
	b := volcanoIssue("b", pushT0)
	r.push(t, &bot.PushEvent{Key: "k1", Source: "ghost", Kind: bot.PushPublished, GUID: "b", Issue: &b})
	r.send(t)
	r.checkEveryTarget(t, "b", true)

	edited := volcanoIssue("b", pushT0)
	edited.Roundup[1].Paragraphs[0].Spans[0].Text = "A harbour report on crew pay in b, corrected."
	r.push(t, &bot.PushEvent{Key: "k2", Source: "ghost", Kind: bot.PushEdited, GUID: "b", Issue: &edited})
	if s := r.send(t); s.Sent != 0 {
		t.Errorf("the edit posted %d new messages", s.Sent)
	}
	if got, want := r.channelsOf(r.plat.edits), []string{subChannel, "team"}; !slices.Equal(got, want) {
		t.Errorf("the edit of one roundup item edited messages in %q, want one in each of %q", got, want)
	}

	r.push(t, &bot.PushEvent{Key: "k3", Source: "ghost", Kind: bot.PushWithdrawn, GUID: "b"})
	r.send(t)
	got := strings.Join(r.channelsOf(r.plat.deletes), " ")
	want := strings.Repeat(subChannel+" ", 3) + strings.TrimSpace(strings.Repeat("team ", 3))
	if got != want {
		t.Errorf("the withdrawal deleted messages in %q, want b's three posts in each channel, none of the DM (%s)", got, dmChannel)
	}
}

// A push for a feed that is neither configured nor subscribed (the only
// channel unsubscribed) is dropped, and the log says why.
func TestPushForAFeedNobodyReceives(t *testing.T) {
	r := newTargetRig(t, false)
	var logs strings.Builder
	r.pusher.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	r.src.issues = []bot.Issue{pushIssue("a", pushT0.Add(-24*time.Hour))}
	r.poll(t)
	if ok, err := r.store.Unsubscribe(context.Background(), r.feed, "fake", subTarget, "U0ADMIN (ana)"); !ok || err != nil {
		t.Fatalf("Unsubscribe = %v, %v", ok, err)
	}
	b := volcanoIssue("b", pushT0)
	r.push(t, &bot.PushEvent{Key: "k1", Source: "ghost", Kind: bot.PushPublished, GUID: "b", Issue: &b})
	if n, _ := r.store.CountIssues(context.Background(), r.feed); n != 1 {
		t.Errorf("%d issues archived, want only a: the push is dropped", n)
	}
	if got := logs.String(); !strings.Contains(got, "push_feed_not_configured") || !strings.Contains(got, "neither in the configuration nor subscribed from chat") {
		t.Errorf("log does not say why the push was dropped:\n%s", got)
	}
	if counts, _ := r.store.PushCounts(context.Background()); counts["done"] != 1 {
		t.Errorf("push counts %v, want the event done (not retried)", counts)
	}
}

// A feed the admin removed (neither configured nor subscribed any more)
// is still polled, rarely, and archived for search, but delivers nothing:
// no channel posts and no direct messages to followers.
func TestRemovedFeedSendsNoDirectMessages(t *testing.T) {
	r := newTargetRig(t, true)
	r.src.issues = []bot.Issue{pushIssue("a", pushT0.Add(-24*time.Hour))}
	r.poll(t)
	r.send(t)

	// The admin removes the feed: out of the configuration, unsubscribed.
	r.poller.Feeds = nil
	r.outbox.Channels = nil
	if _, err := r.store.Unsubscribe(context.Background(), r.feed, "fake", subTarget, "U0ADMIN (ana)"); err != nil {
		t.Fatal(err)
	}
	r.src.issues = []bot.Issue{volcanoIssue("b", pushT0), pushIssue("a", pushT0.Add(-24*time.Hour))}
	r.clock.Add(24 * time.Hour)
	res := r.poll(t)
	if res.Inserted != 1 || res.Queued != 0 {
		t.Errorf("poll of the removed feed: inserted %d, queued %d; want b archived and nothing queued", res.Inserted, res.Queued)
	}
	if s := r.send(t); s.Sent != 0 {
		t.Errorf("the removed feed's new issue sent %d messages, want none (DMs included)", s.Sent)
	}
	if got := r.posts("b", dmChannel); len(got) != 0 {
		t.Errorf("follower got %q for a removed feed", got)
	}
}
