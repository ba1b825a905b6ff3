package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"digestbot/bot"
)

func TestPublishLayouts(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		layout   bot.Layout
		wantRefs []string
		// what each layout must have asked Discord, in order
		wantCalls []string
	}{
		{
			name: "thread", target: textChannel, layout: bot.LayoutThread,
			wantRefs: []string{"100/1001", "1001/1002/t", "1001/1003/t", "1001/1004/t"},
			wantCalls: []string{"GET channels/100", "POST channels/100/messages",
				"POST channels/100/messages/1001/threads", "POST channels/1001/messages",
				"POST channels/1001/messages", "POST channels/1001/messages"},
		},
		{
			name: "default layout is thread", target: textChannel, layout: "",
			wantRefs: []string{"100/1001", "1001/1002/t", "1001/1003/t", "1001/1004/t"},
			wantCalls: []string{"GET channels/100", "POST channels/100/messages",
				"POST channels/100/messages/1001/threads", "POST channels/1001/messages",
				"POST channels/1001/messages", "POST channels/1001/messages"},
		},
		{
			name: "separate", target: textChannel, layout: bot.LayoutSeparate,
			wantRefs: []string{"100/1001", "100/1002", "100/1003", "100/1004"},
			wantCalls: []string{"GET channels/100", "POST channels/100/messages", "POST channels/100/messages",
				"POST channels/100/messages", "POST channels/100/messages"},
		},
		{
			name: "combined", target: textChannel, layout: bot.LayoutCombined,
			wantRefs:  []string{"100/1001", "100/1002"},
			wantCalls: []string{"GET channels/100", "POST channels/100/messages", "POST channels/100/messages"},
		},
		{
			name: "forum", target: forumChannel, layout: bot.LayoutThread,
			wantRefs: []string{"1001/1001/t", "1001/1002/t", "1001/1003/t", "1001/1004/t"},
			wantCalls: []string{"GET channels/200", "POST channels/200/threads", "POST channels/1001/messages",
				"POST channels/1001/messages", "POST channels/1001/messages"},
		},
		{
			name: "forum combined", target: forumChannel, layout: bot.LayoutCombined,
			wantRefs:  []string{"1001/1001/t", "1001/1002/t"},
			wantCalls: []string{"GET channels/200", "POST channels/200/threads", "POST channels/1001/messages"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			refs := publishIssue(t, env.c, testIssue(), testChannel(tt.target, tt.layout))
			if strings.Join(refs, " ") != strings.Join(tt.wantRefs, " ") {
				t.Errorf("refs = %v, want %v", refs, tt.wantRefs)
			}
			reqs := env.f.Requests("", "")
			var calls []string
			for _, r := range reqs {
				calls = append(calls, r.Method+" "+r.Path)
			}
			if strings.Join(calls, "\n") != strings.Join(tt.wantCalls, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
			golden(t, "layout_"+strings.ReplaceAll(tt.name, " ", "_")+".json", exchanges(reqs))
		})
	}
}

func TestEverySendHasNonceAndNoMentions(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	ch := testChannel(textChannel, bot.LayoutThread)
	publishIssue(t, env.c, is, ch)
	posts := bot.PostsFor(is, ch.Layout)
	sends := env.f.Requests("POST", "")
	var msgs []recorded
	for _, r := range sends {
		if strings.HasSuffix(r.Path, "/messages") {
			msgs = append(msgs, r)
		}
	}
	if len(msgs) != len(posts) {
		t.Fatalf("%d messages sent, want %d", len(msgs), len(posts))
	}
	for i, r := range msgs {
		var b struct {
			Nonce           string          `json:"nonce"`
			EnforceNonce    *bool           `json:"enforce_nonce"`
			AllowedMentions json.RawMessage `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatal(err)
		}
		want := bot.DeliveryKey(is, ch.ID, posts[i].Part, posts[i].Item)
		if b.Nonce != want || len(b.Nonce) > 25 {
			t.Errorf("message %d: nonce = %q, want %q (≤25 chars)", i, b.Nonce, want)
		}
		if b.EnforceNonce == nil || !*b.EnforceNonce {
			t.Errorf("message %d: enforce_nonce = %v, want true", i, b.EnforceNonce)
		}
		if string(b.AllowedMentions) != `{"parse":[]}` {
			t.Errorf("message %d: allowed_mentions = %s, want {\"parse\":[]}", i, b.AllowedMentions)
		}
	}
}

func TestThreadAlreadyExists(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	ch := testChannel(textChannel, bot.LayoutThread)
	lead, err := env.c.Publish(context.Background(), message(is, ch, bot.Post{Issue: is, Part: bot.PartLead}, ""))
	if err != nil {
		t.Fatal(err)
	}
	// Another replica (a fresh client) already started the thread.
	other := newClientFor(t, env)
	if _, err := other.Publish(context.Background(), message(is, ch, bot.Post{Issue: is, Part: bot.PartRoundup, Item: 0}, lead)); err != nil {
		t.Fatal(err)
	}
	got, err := env.c.Publish(context.Background(), message(is, ch, bot.Post{Issue: is, Part: bot.PartRoundup, Item: 1}, lead))
	if err != nil {
		t.Fatalf("Publish after thread exists: %v", err)
	}
	if want := "1001/1003/t"; got != want {
		t.Errorf("ref = %q, want %q", got, want)
	}
	if n := len(env.f.Requests("POST", "channels/100/messages/1001/threads")); n != 2 {
		t.Errorf("%d thread starts, want 2 (the second refused with 160004)", n)
	}
	if n := len(env.f.Messages("1001")); n != 2 {
		t.Errorf("thread has %d messages, want 2", n)
	}
}

// newClientFor makes a second client on the same fake, as another replica
// or a restarted process would.
func newClientFor(t *testing.T, env clientEnv) *Client {
	t.Helper()
	c, err := New(Options{BotToken: testToken, APIURL: env.f.APIURL(), Now: env.clock.Now, Sleep: env.clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEdit(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	ch := testChannel(textChannel, bot.LayoutThread)
	refs := publishIssue(t, env.c, is, ch)
	is.Title = "Solar co-ops spread further"
	is.Roundup[2].Paragraphs[0].Spans[0].Text = "Rain gardens (updated)"
	lead := message(is, ch, bot.Post{Issue: is, Part: bot.PartLead}, "")
	if err := env.c.Edit(context.Background(), lead, refs[0]); err != nil {
		t.Fatalf("Edit lead: %v", err)
	}
	item := message(is, ch, bot.Post{Issue: is, Part: bot.PartRoundup, Item: 2}, refs[0])
	if err := env.c.Edit(context.Background(), item, refs[3]); err != nil {
		t.Fatalf("Edit item: %v", err)
	}
	patches := env.f.Requests("PATCH", "")
	if len(patches) != 2 || patches[0].Path != "channels/100/messages/1001" || patches[1].Path != "channels/1001/messages/1004" {
		t.Fatalf("patches = %v, want the lead's and the item's messages", exchanges(patches))
	}
	if !bytes.Contains(patches[0].Body, []byte("Solar co-ops spread further")) || !bytes.Contains(patches[1].Body, []byte("Rain gardens (updated)")) {
		t.Errorf("edits do not carry the new content: %s / %s", patches[0].Body, patches[1].Body)
	}
	if !bytes.Contains(patches[0].Body, []byte(`"allowed_mentions":{"parse":[]}`)) {
		t.Errorf("edit without allowed_mentions: %s", patches[0].Body)
	}
	if err := env.c.Edit(context.Background(), lead, "not-a-ref"); !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("Edit with a bad ref: %v, want a permanent error", err)
	}
}

func TestPublishRejectsBadTargets(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	tests := []struct {
		name string
		m    bot.Message
	}{
		{"no issue", bot.Message{Channel: testChannel(textChannel, "")}},
		{"target not an id", message(is, testChannel("#general", ""), bot.Post{Issue: is, Part: bot.PartLead}, "")},
		{"no target and no webhook", message(is, testChannel("", ""), bot.Post{Issue: is, Part: bot.PartLead}, "")},
		{"bad parent ref", message(is, testChannel(textChannel, ""), bot.Post{Issue: is, Part: bot.PartRoundup}, "x/y")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.c.Publish(context.Background(), tt.m)
			if !errors.Is(err, bot.ErrPermanent) {
				t.Errorf("Publish: %v, want a permanent error", err)
			}
		})
	}
}

func TestRegisterCommands(t *testing.T) {
	env := newEnv(t, nil)
	ctx := context.Background()
	if err := env.c.RegisterCommands(ctx, "321", "500"); err != nil {
		t.Fatalf("guild: %v", err)
	}
	if err := env.c.RegisterCommands(ctx, "321", ""); err != nil {
		t.Fatalf("global: %v", err)
	}
	puts := env.f.Requests("PUT", "")
	if len(puts) != 2 || puts[0].Path != "applications/321/guilds/500/commands" || puts[1].Path != "applications/321/commands" {
		t.Fatalf("PUTs = %v", exchanges(puts))
	}
	var cmds []struct {
		Name    string `json:"name"`
		Options []struct {
			Name    string `json:"name"`
			Type    int    `json:"type"`
			Options []struct {
				Name         string `json:"name"`
				Required     bool   `json:"required"`
				Autocomplete bool   `json:"autocomplete"`
			} `json:"options"`
		} `json:"options"`
	}
	if err := json.Unmarshal(puts[0].Body, &cmds); err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 1 || cmds[0].Name != "digest" {
		t.Fatalf("commands = %+v, want one /digest", cmds)
	}
	var subs []string
	for _, o := range cmds[0].Options {
		subs = append(subs, o.Name)
		if o.Type != 1 {
			t.Errorf("%s: type %d, want 1 (subcommand)", o.Name, o.Type)
		}
		if o.Name == "search" && (len(o.Options) != 1 || o.Options[0].Name != "query" || !o.Options[0].Required || !o.Options[0].Autocomplete) {
			t.Errorf("search options = %+v, want a required autocompleted query", o.Options)
		}
	}
	if got := strings.Join(subs, " "); got != "latest search issue feeds subscribe unsubscribe help" {
		t.Errorf("subcommands = %q", got)
	}
	if err := env.c.RegisterCommands(ctx, "app", ""); err == nil {
		t.Error("RegisterCommands accepted a non-numeric application id")
	}
}

func TestInviteURL(t *testing.T) {
	want := "https://discord.com/oauth2/authorize?client_id=321&permissions=309237730304&scope=bot+applications.commands"
	if got := InviteURL("321"); got != want {
		t.Errorf("InviteURL = %s, want %s", got, want)
	}
}
