package discord

import (
	"context"
	"testing"

	"digestbot/bot"
)

// A crash between Discord storing a message and the outbox recording it
// must not post the message twice when the delivery is retried.
func TestRetryFindsEarlierSend(t *testing.T) {
	type step func(t *testing.T, env clientEnv, m bot.Message) (ref string)
	publish := func(t *testing.T, env clientEnv, m bot.Message) string {
		t.Helper()
		r, err := env.c.Publish(context.Background(), m)
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		return r
	}
	lost := func(t *testing.T, env clientEnv, m bot.Message) string {
		t.Helper()
		// Discord stores the message but the answer never arrives.
		env.f.script(scripted{Method: "POST", Path: "channels/", Status: 502, Store: true})
		if _, err := env.c.Publish(context.Background(), m); err == nil {
			t.Fatal("Publish succeeded despite the 502")
		}
		return ""
	}
	tests := []struct {
		name      string
		target    string
		part      bot.Part
		first     step
		forget    bool // Discord's nonce window has passed
		retry     bool
		wantPosts int // messages in the destination afterwards
	}{
		{name: "same nonce within the window", target: textChannel, part: bot.PartLead, first: publish, retry: false, wantPosts: 1},
		{name: "retry beyond the window", target: textChannel, part: bot.PartLead, first: publish, forget: true, retry: true, wantPosts: 1},
		{name: "answer lost, retry beyond the window", target: textChannel, part: bot.PartLead, first: lost, forget: true, retry: true, wantPosts: 1},
		{name: "roundup item in its thread", target: textChannel, part: bot.PartRoundup, first: publish, forget: true, retry: true, wantPosts: 1},
		{name: "forum post", target: forumChannel, part: bot.PartLead, first: publish, forget: true, retry: true, wantPosts: 1},
		{name: "forum post, answer lost", target: forumChannel, part: bot.PartLead, first: lost, forget: true, retry: true, wantPosts: 1},
		// The control: without Retry, a send beyond the window does
		// post again, so the cases above test the search.
		{name: "no retry flag beyond the window", target: textChannel, part: bot.PartLead, first: publish, forget: true, retry: false, wantPosts: 2},
		{name: "retry of a send that never happened", target: textChannel, part: bot.PartLead,
			first: func(*testing.T, clientEnv, bot.Message) string { return "" }, forget: true, retry: true, wantPosts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			is := testIssue()
			ch := testChannel(tt.target, bot.LayoutThread)
			parent, dest := "", tt.target
			if tt.part == bot.PartRoundup {
				parent = publish(t, env, message(is, ch, bot.Post{Issue: is, Part: bot.PartLead}, ""))
				r, _ := parseRef(parent)
				dest = r.thread()
			}
			m := message(is, ch, bot.Post{Issue: is, Part: tt.part}, parent)
			firstRef := tt.first(t, env, m)
			if tt.forget {
				env.f.forgetNonces()
			}
			// A restarted process: a new client without caches.
			c := newClientFor(t, env)
			m.Retry = tt.retry
			ref, err := c.Publish(context.Background(), m)
			if err != nil {
				t.Fatalf("second Publish: %v", err)
			}
			if firstRef != "" && ref != firstRef && tt.wantPosts == 1 {
				t.Errorf("second ref = %q, want the first %q", ref, firstRef)
			}
			if tt.target == forumChannel {
				posts := 0
				env.f.mu.Lock()
				for _, c := range env.f.channels {
					if c.ParentID == forumChannel {
						posts++
					}
				}
				env.f.mu.Unlock()
				if posts != tt.wantPosts {
					t.Errorf("%d forum posts, want %d", posts, tt.wantPosts)
				}
				return
			}
			if n := len(env.f.Messages(dest)); n != tt.wantPosts {
				t.Errorf("%d messages in %s, want %d", n, dest, tt.wantPosts)
			}
			got, _ := parseRef(ref)
			if msgs := env.f.Messages(dest); tt.wantPosts == 1 && got.message != msgs[0].ID {
				t.Errorf("ref %q does not point at the stored message %s", ref, msgs[0].ID)
			}
		})
	}
}

func TestMarkerIgnoresOtherAuthors(t *testing.T) {
	key := "dg0123456789abcdef012345"
	m := listedMessage{Author: &struct {
		Bot bool `json:"bot"`
	}{Bot: false}}
	if m.ours() {
		t.Error("a person's message counts as ours")
	}
	m.WebhookID = "900"
	if !m.ours() {
		t.Error("a webhook's message does not count as ours")
	}
	if hasMarker(&m, key) {
		t.Error("a message without embeds carries the marker")
	}
}
