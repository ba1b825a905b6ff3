package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"digestbot/bot"
)

// press runs the share command as an adapter does for a pressed button.
func press(t *testing.T, s *bot.Service, c bot.Command) bot.Reply {
	t.Helper()
	r := &replies{}
	c.Name = bot.ShareCommand
	s.Mux().ServeCommand(context.Background(), r, c)
	if len(r.got) != 1 {
		t.Fatalf("share %q: %d replies, want 1", c.Args, len(r.got))
	}
	return r.got[0]
}

func TestShareCommand(t *testing.T) {
	s, st := newService(t)
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	woken := 0
	s.Shared = func() { woken++ }
	ctx := context.Background()
	latest, err := st.LatestIssue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The old two-part form (buttons shown before refs carried a check)
	// names the item by its index, as it always did.
	item0 := bot.StoryRef{IssueID: latest.ID, Part: bot.PartRoundup, Item: 0}.String()
	ann := bot.Command{Args: item0, Button: true, Platform: "slack", User: "U1", UserName: "Ann", Channel: "C9"}

	// Typed, it is unknown, as before; help does not list it.
	typed := ask(t, s, "share "+item0)
	if !typed.Error || !strings.Contains(typed.Text, `Unknown command "share"`) || strings.Contains(render(typed), "/digest share") {
		t.Errorf("typed share: %+v, want the unknown-command help without share", typed)
	}
	if woken != 0 {
		t.Fatal("a typed share woke the outbox")
	}

	for _, tt := range []struct {
		name string
		c    func(c bot.Command) bot.Command
		want string
	}{
		{"bad ref", func(c bot.Command) bot.Command { c.Args = "drop table"; return c }, "names no story I know"},
		{"unknown issue", func(c bot.Command) bot.Command { c.Args = "9999.lead"; return c }, "no longer in the archive"},
		{"item gone", func(c bot.Command) bot.Command {
			c.Args = bot.StoryRef{IssueID: latest.ID, Part: bot.PartRoundup, Item: 7}.String()
			return c
		}, "no longer in the issue “Drought in the north”"},
		{"no channel", func(c bot.Command) bot.Command { c.Channel = ""; return c }, "which channel"},
		// A Discord member without Send Messages in the channel (read-only
		// announcements): the bot does not post there for them.
		{"presser may not post", func(c bot.Command) bot.Command { c.Platform, c.CannotPost = "discord", true; return c },
			"You can't post in this channel, so I can't share into it for you."},
	} {
		r := press(t, s, tt.c(ann))
		if !r.Error || !r.Private || !strings.Contains(r.Text, tt.want) {
			t.Errorf("%s: %+v, want a private error saying %q", tt.name, r, tt.want)
		}
	}
	if woken != 0 {
		t.Fatal("a refused share woke the outbox")
	}
	noToken := &bot.Service{Store: st, CanPost: func(string) bool { return false }}
	if r := press(t, noToken, ann); !r.Error || !strings.Contains(r.Text, "bot token") {
		t.Errorf("without a bot token: %+v", r)
	}

	r := press(t, s, ann)
	if r.Error || !r.Private || r.Text != "Shared “Cambodia signs a water treaty.” in this channel." {
		t.Errorf("share: %+v, want a private confirmation", r)
	}
	if woken != 1 {
		t.Errorf("outbox woken %d times, want 1", woken)
	}
	if !strings.Contains(logs.String(), "msg=story_shared") || !strings.Contains(logs.String(), "user_name=Ann") || !strings.Contains(logs.String(), "channel=C9") {
		t.Errorf("log lacks story_shared with who and where:\n%s", logs.String())
	}
	shares, err := st.(bot.ShareStore).Shares(ctx, bot.ShareChannel("slack", "C9").ID, latest.ID)
	if err != nil || len(shares) != 1 || shares[0].SharedBy != (bot.Person{ID: "U1", Name: "Ann"}) || shares[0].Key != bot.PostKey(latest, bot.PartRoundup, 0) {
		t.Errorf("Shares = %+v, %v", shares, err)
	}

	bob := ann
	bob.User, bob.UserName = "U2", "Bob"
	r = press(t, s, bob)
	if r.Error || !r.Private || r.Text != "“Cambodia signs a water treaty.” was already shared here by Ann on 20 Nov 2025." {
		t.Errorf("shared again: %+v", r)
	}
	if r := press(t, s, ann); !strings.Contains(r.Text, "already shared here by you") {
		t.Errorf("shared again by the same user: %q", r.Text)
	}
	// Another channel is another share.
	elsewhere := bob
	elsewhere.Channel = "C10"
	if r := press(t, s, elsewhere); !strings.HasPrefix(r.Text, "Shared ") {
		t.Errorf("into another channel: %q", r.Text)
	}
}

// Every story of a private latest or issue answer carries its Share ref.
func TestIssueRepliesCarryShareRefs(t *testing.T) {
	s, st := newService(t)
	latest, err := st.LatestIssue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"latest", "issue 2025-11-20"} {
		r := ask(t, s, cmd)
		if len(r.Sections) != 2 {
			t.Fatalf("%s: %d sections, want the lead and the roundup", cmd, len(r.Sections))
		}
		if want := (bot.StoryRef{IssueID: latest.ID, Part: bot.PartLead}); r.Sections[0].Share != want || want != bot.RefFor(latest, bot.PartLead, 0) {
			t.Errorf("%s: lead Share = %+v, want %+v", cmd, r.Sections[0].Share, want)
		}
		links := r.Sections[1].Links
		if len(links) != 2 {
			t.Fatalf("%s: %d roundup links, want 2", cmd, len(links))
		}
		for i, l := range links {
			if want := bot.RefFor(latest, bot.PartRoundup, i); l.Share != want || want.Check == "" || want.Item != i || want.IssueID != latest.ID {
				t.Errorf("%s: roundup link %d Share = %+v, want %+v", cmd, i, l.Share, want)
			}
		}
	}
}

// Search hits and catch-up answers carry the same refs, checks included.
func TestSearchAndCatchupRefsCarryChecks(t *testing.T) {
	s, st := newService(t)
	latest, err := st.LatestIssue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := ask(t, s, `search "water treaty"`)
	if len(r.Sections) != 1 || r.Sections[0].Share != bot.RefFor(latest, bot.PartRoundup, 0) || r.Sections[0].Share.Check == "" {
		t.Errorf("search hit Share = %+v, want %+v", r.Sections, bot.RefFor(latest, bot.PartRoundup, 0))
	}
	r = ask(t, s, `search "second item"`)
	if len(r.Sections) != 1 || r.Sections[0].Share != bot.RefFor(latest, bot.PartRoundup, 1) {
		t.Errorf("search hit (item without a link) Share = %+v, want %+v", r.Sections, bot.RefFor(latest, bot.PartRoundup, 1))
	}
	// /digest follow lists recent matches as search hits.
	fr := &replies{}
	fc := bot.ParseCommand(`follow "water treaty"`)
	fc.Platform, fc.User = "slack", "U1"
	s.Mux().ServeCommand(context.Background(), fr, fc)
	if len(fr.got) != 1 || len(fr.got[0].Sections) != 1 || fr.got[0].Sections[0].Share != bot.RefFor(latest, bot.PartRoundup, 0) {
		t.Errorf("follow's recent matches: %+v, want Share %+v", fr.got, bot.RefFor(latest, bot.PartRoundup, 0))
	}
	c := bot.CatchupReply([]*bot.Issue{latest}, "since you last asked")
	if len(c.Sections) != 1 || c.Sections[0].Share != bot.RefFor(latest, bot.PartLead, 0) || len(c.Sections[0].Links) != 2 {
		t.Fatalf("catchup: %+v", c.Sections)
	}
	for i, l := range c.Sections[0].Links {
		if l.Share != bot.RefFor(latest, bot.PartRoundup, i) {
			t.Errorf("catchup link %d Share = %+v, want %+v", i, l.Share, bot.RefFor(latest, bot.PartRoundup, i))
		}
	}
}

// A button pressed after the issue was edited shares the story it was made
// for, wherever it is now, or refuses when it is gone: never the story that
// now sits at its old index.
func TestShareAfterTheIssueChanged(t *testing.T) {
	s, st := newService(t)
	woken := 0
	s.Shared = func() { woken++ }
	ctx := context.Background()
	latest, err := st.LatestIssue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The buttons as a search and /digest latest showed them.
	hit := ask(t, s, `search "water treaty"`)
	if len(hit.Sections) != 1 {
		t.Fatalf("search: %+v", hit)
	}
	treaty := hit.Sections[0].Share.String() // item 0 with its check
	second := ask(t, s, "latest").Sections[1].Links[1].Share.String()
	if !strings.HasPrefix(treaty, fmt.Sprint(latest.ID)+".0.") || !strings.HasPrefix(second, fmt.Sprint(latest.ID)+".1.") {
		t.Fatalf("refs %q, %q: want <issue>.<item>.<check>", treaty, second)
	}
	edit := func(roundup ...bot.Story) {
		t.Helper()
		is, err := st.Issue(ctx, latest.ID)
		if err != nil {
			t.Fatal(err)
		}
		is.Roundup = roundup
		if res, err := st.SaveIssue(ctx, is, nil); err != nil || res.Status != bot.SaveUpdated || res.ID != latest.ID {
			t.Fatalf("edit: %v, %v", res, err)
		}
	}
	shares := func(channel string) []bot.Share {
		t.Helper()
		sh, err := st.(bot.ShareStore).Shares(ctx, bot.ShareChannel("slack", channel).ID, latest.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	c := bot.Command{Button: true, Platform: "slack", User: "U1", UserName: "Ann", Channel: "C1"}

	// An item inserted above: both buttons still share their own stories.
	treatyStory, secondStory := latest.Roundup[0], latest.Roundup[1]
	inserted := story("A new first item about ferries.", "https://r.example.com/new")
	edit(inserted, treatyStory, secondStory)
	c.Args = treaty
	if r := press(t, s, c); r.Error || r.Text != "Shared “Cambodia signs a water treaty.” in this channel." {
		t.Errorf("press after an insert: %+v", r)
	}
	c.Args = second
	if r := press(t, s, c); r.Error || r.Text != "Shared “Second item.” in this channel." {
		t.Errorf("press after an insert (item without a link): %+v", r)
	}
	now, err := st.Issue(ctx, latest.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := shares("C1")
	if len(got) != 2 || got[0].Key != bot.PostKey(now, bot.PartRoundup, 1) || got[1].Key != bot.PostKey(now, bot.PartRoundup, 2) {
		t.Errorf("shares %+v, want the treaty (%s) and the second item (%s)", got, bot.PostKey(now, bot.PartRoundup, 1), bot.PostKey(now, bot.PartRoundup, 2))
	}
	if woken != 2 {
		t.Errorf("outbox woken %d times, want 2", woken)
	}

	// The story removed: a clear private refusal, nothing shared.
	edit(inserted, secondStory)
	c.Args, c.Channel = treaty, "C2"
	r := press(t, s, c)
	if !r.Error || !r.Private || !strings.Contains(r.Text, "changed or left the issue “Drought in the north” since the result was shown") ||
		!strings.Contains(r.Text, "search") {
		t.Errorf("press after the story left: %+v", r)
	}
	// Its text edited (an item without a link is its text): refused too.
	edit(inserted, story("Second item, rewritten.", ""))
	c.Args = second
	if r := press(t, s, c); !r.Error || !strings.Contains(r.Text, "changed or left the issue") {
		t.Errorf("press after the item was rewritten: %+v", r)
	}
	if got := shares("C2"); len(got) != 0 {
		t.Errorf("refused presses shared %+v", got)
	}
	if woken != 2 {
		t.Errorf("refused presses woke the outbox (%d)", woken)
	}

	// A button shown before checks still names the item by its index.
	c.Args = bot.StoryRef{IssueID: latest.ID, Part: bot.PartRoundup, Item: 0}.String()
	if r := press(t, s, c); r.Error || r.Text != "Shared “A new first item about ferries.” in this channel." {
		t.Errorf("old-form ref: %+v", r)
	}
}

// A share whose post was given up (the bot was not in the channel) is
// tried again by the next press, which says so, instead of answering
// "already shared" for a story that never appeared.
func TestSharePressRetriesGivenUpShare(t *testing.T) {
	h, is := shareHarness(t, issueFeed("1", "First", t0, items("a", "b")...))
	s := &bot.Service{Store: h.store}
	woken := 0
	s.Shared = func() { woken++ }
	ann := bot.Command{Args: bot.RefFor(is, bot.PartRoundup, 1).String(), Button: true, Platform: "fake",
		User: "U-Ann", UserName: "Ann", Channel: "C9"}
	if r := press(t, s, ann); r.Error || !strings.HasPrefix(r.Text, "Shared ") {
		t.Fatalf("first press: %+v", r)
	}
	h.plat.failNext = []error{bot.Permanent(fmt.Errorf("slack: not_in_channel"))}
	if st := h.send(); st.Failed != 1 || st.Sent != 0 {
		t.Fatalf("delivery into a channel the bot is not in: %+v, want it given up", st)
	}

	// The bot is invited; Bob presses: the share is tried again.
	bob := ann
	bob.User, bob.UserName = "U-Bob", "Bob"
	r := press(t, s, bob)
	if r.Error || !r.Private || !strings.HasPrefix(r.Text, "Trying again to share “") ||
		!strings.Contains(r.Text, "first attempt to post it here failed") || !strings.Contains(r.Text, "make sure I can post in this channel") {
		t.Errorf("press after the share was given up: %+v, want a private retry notice", r)
	}
	if woken != 2 {
		t.Errorf("outbox woken %d times, want 2", woken)
	}
	if st := h.send(); st.Sent != 1 {
		t.Fatalf("after the retrying press: %+v, want the story posted", st)
	}
	msgs, _ := sharedMessages(h.plat)
	if len(msgs) != 1 || msgs[0].Post.Item != 1 || msgs[0].Post.SharedBy.Name != "Ann" {
		t.Errorf("share channel posts %+v, want item 1 shared by Ann, once", msgs)
	}
	// Posted now: a press says it was shared, and posts nothing.
	if r := press(t, s, bob); !strings.Contains(r.Text, "already shared here by Ann") {
		t.Errorf("press after the post: %+v", r)
	}
	if st := h.send(); st.Sent+st.Edited+st.Deleted != 0 {
		t.Errorf("press after the post: %+v, want nothing", st)
	}
	h.plat.assertNoDuplicates(t)
}
