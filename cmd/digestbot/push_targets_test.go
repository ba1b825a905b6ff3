package main

import (
	"context"
	"strings"
	"testing"

	"digestbot/bot"
)

// TestGhostPushReachesSubscribersAndFollowers: an issue published through
// a signed Ghost webhook is posted at once in the configured channel
// (Slack), in a Discord channel subscribed to the feed from chat, and as a
// direct message to a user following a word in it, each post once; the
// next poll, which lists it, posts nothing more.
func TestGhostPushReachesSubscribersAndFollowers(t *testing.T) {
	g := newGhostSite(t)
	chat := newChatAPIs(t)
	site := g.srv.URL + "/"
	g.publish(issueFixture(1))
	b := newPushBot(t, site, chat, "channels:\n  - {name: team, platform: slack, id: C0123ABCD, layout: thread}\n")
	ctx := context.Background()

	// The subscription as /digest subscribe stores it (the command itself
	// is tested in bot; from chat, the fake site's loopback address would
	// be refused).
	const subTarget, follower = "223456789012345678", "U0FOLLOW01"
	sub := bot.Subscription{Feed: site + "rss/", Platform: "discord", Target: subTarget, Layout: bot.LayoutSeparate, AddedBy: "U0ADMIN (ana)"}
	if _, err := b.a.store.(bot.SubscriptionStore).Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	b.poll(t) // first poll: the newest issue, in both channels
	p0, _, _ := chat.snapshot()
	if p0 != 2*(1+len(issueFixture(1).Items)) {
		t.Fatalf("the first poll posted %d, want issue 1 in the configured and the subscribed channel\n%s", p0, b.logs)
	}

	// A reader follows a word of the next issue.
	answer := b.a.command(bot.Command{Name: "follow", Args: "helpline", Platform: "slack", User: follower})
	if !strings.Contains(answer.Text, "You now follow") {
		t.Fatalf("follow helpline: %q", answer.Text)
	}

	fresh := issueFixture(2) // its second roundup item is about a helpline
	if code := b.webhook(t, fresh.webhookPost(site, "published"), map[string]any{"status": "draft"}); code != 202 {
		t.Fatalf("published webhook: %d\n%s", code, b.logs)
	}
	b.settle(t)
	is, err := b.a.store.LatestIssue(ctx)
	if err != nil || is.GUID != fresh.ID {
		t.Fatalf("latest issue %+v, %v; want the pushed one", is, err)
	}
	all := 1 + len(fresh.Items)
	want := map[string]int{"team": all, sub.Channel().ID: all, bot.DMChannel("slack", follower).ID: 1}
	checkSentOnce := func(when string) {
		t.Helper()
		ds, err := b.a.store.Deliveries(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, d := range ds {
			if d.IssueID != is.ID {
				continue
			}
			if d.State != bot.StateSent {
				t.Errorf("%s: %s %s is %s, want sent", when, d.Channel, d.Key, d.State)
			}
			got[d.Channel]++
		}
		for ch, n := range want {
			if got[ch] != n {
				t.Errorf("%s: %d posts of the pushed issue in %s, want %d", when, got[ch], ch, n)
			}
		}
		chat.mu.Lock()
		slack, discord := chat.posts["slack"], chat.posts["discord"]
		chat.mu.Unlock()
		if slack != all+all+1 || discord != all+all {
			t.Errorf("%s: %d Slack and %d Discord posts, want each issue once per channel and one DM (%d, %d)", when, slack, discord, all+all+1, all+all)
		}
	}
	checkSentOnce("after the push")
	chat.mu.Lock()
	dms := 0
	for _, text := range chat.postedTexts {
		if strings.Contains(text, "Matches your follow") {
			dms++
			if !strings.Contains(text, "helpline") {
				t.Errorf("the direct message is not the helpline item: %s", text)
			}
		}
	}
	chat.mu.Unlock()
	if dms != 1 {
		t.Errorf("%d direct messages, want 1", dms)
	}

	// The feed lists it now: the poll posts and edits nothing.
	g.publish(fresh)
	b.poll(t)
	if _, e, _ := chat.snapshot(); e != 0 {
		t.Errorf("the poll after the push edited %d messages", e)
	}
	checkSentOnce("after the next poll")
}
