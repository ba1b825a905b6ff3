package bot_test

import (
	"bytes"
	"context"
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
		if want := (bot.StoryRef{IssueID: latest.ID, Part: bot.PartLead}); r.Sections[0].Share != want {
			t.Errorf("%s: lead Share = %+v, want %+v", cmd, r.Sections[0].Share, want)
		}
		links := r.Sections[1].Links
		if len(links) != 2 {
			t.Fatalf("%s: %d roundup links, want 2", cmd, len(links))
		}
		for i, l := range links {
			if want := (bot.StoryRef{IssueID: latest.ID, Part: bot.PartRoundup, Item: i}); l.Share != want {
				t.Errorf("%s: roundup link %d Share = %+v, want %+v", cmd, i, l.Share, want)
			}
		}
	}
}
