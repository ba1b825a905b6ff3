package discord

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// componentBody is a message component interaction: a button (values nil)
// or a select menu pressed by who (a "member" or "user" JSON member).
func componentBody(customID string, values []string, who string) string {
	if who == "" {
		who = `"member":{"user":{"id":"42","username":"ada","global_name":"Ada L"},"permissions":"3072"}` // View Channel, Send Messages
	}
	typ, vals := 2, ""
	if values != nil {
		typ = 3
		b, _ := json.Marshal(values)
		vals = `,"values":` + string(b)
	}
	return fmt.Sprintf(`{"id":"7003","application_id":%q,"type":3,"token":"itoken-secret","channel_id":"100","guild_id":"500",%s,
"message":{"id":"990","channel_id":"100","flags":64},
"data":{"custom_id":%q,"component_type":%d%s}}`, testAppID, who, customID, typ, vals)
}

// storiesReply is a search-like reply of n sections, each a shareable
// roundup item of issue 7.
func storiesReply(n int) bot.Reply {
	r := bot.Reply{Title: "Results"}
	for i := range n {
		r.Sections = append(r.Sections, bot.Section{Title: fmt.Sprintf("Story number %d", i), Text: "Text.",
			Share: bot.StoryRef{IssueID: 7, Part: bot.PartRoundup, Item: i}})
	}
	return r
}

// payloadComponents reads the components of a message payload as JSON
// sent to Discord.
type sentComponent struct {
	Type        int             `json:"type"`
	Style       int             `json:"style"`
	Label       string          `json:"label"`
	CustomID    string          `json:"custom_id"`
	Placeholder string          `json:"placeholder"`
	Options     []sentOption    `json:"options"`
	Components  []sentComponent `json:"components"`
}

type sentOption struct {
	Label, Value, Description string
}

func marshalComponents(t *testing.T, cs []discordgo.MessageComponent) []sentComponent {
	t.Helper()
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	var out []sentComponent
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkComponentLimits holds a message's components to Discord's rules.
func checkComponentLimits(t *testing.T, rows []sentComponent) {
	t.Helper()
	if len(rows) > maxActionRows {
		t.Errorf("%d action rows, Discord allows %d", len(rows), maxActionRows)
	}
	ids := map[string]bool{}
	for _, row := range rows {
		if row.Type != 1 {
			t.Errorf("top-level component of type %d, want action rows (1)", row.Type)
		}
		if len(row.Components) == 0 || len(row.Components) > maxRowButtons {
			t.Errorf("row of %d components", len(row.Components))
		}
		for _, c := range row.Components {
			if ids[c.CustomID] || c.CustomID == "" || textLen(c.CustomID) > maxCustomID {
				t.Errorf("custom_id %q: empty, too long or repeated", c.CustomID)
			}
			ids[c.CustomID] = true
			switch c.Type {
			case 2:
				if c.Style != int(discordgo.SecondaryButton) || c.Label == "" || textLen(c.Label) > maxButtonLabel {
					t.Errorf("button %+v: want secondary, labelled within %d characters", c, maxButtonLabel)
				}
				if len(row.Components) > 1 && c.Label == bot.ShareButtonLabel {
					t.Errorf("buttons in one row all labelled %q: cannot be told apart", c.Label)
				}
			case 3:
				if len(row.Components) != 1 || len(c.Options) == 0 || len(c.Options) > maxSelectOptions {
					t.Errorf("select menu with %d options in a row of %d", len(c.Options), len(row.Components))
				}
				for _, o := range c.Options {
					if o.Label == "" || textLen(o.Label) > maxOptionText || o.Description == "" || textLen(o.Description) > maxOptionText || textLen(o.Value) > maxCustomID {
						t.Errorf("option %+v out of Discord's limits", o)
					}
				}
			default:
				t.Errorf("component of type %d", c.Type)
			}
		}
	}
}

// shareTargets lists what the components let a user share: button custom
// ids, and "menu:" plus the value of each select option.
func shareTargets(rows []sentComponent) []string {
	var out []string
	for _, row := range rows {
		for _, c := range row.Components {
			if c.Type == 2 {
				out = append(out, c.CustomID)
			}
			for _, o := range c.Options {
				out = append(out, "menu:"+o.Value)
			}
		}
	}
	return out
}

func TestShareComponents(t *testing.T) {
	t.Run("one story", func(t *testing.T) {
		rows := marshalComponents(t, shareComponents(storiesReply(1).Sections))
		checkComponentLimits(t, rows)
		if len(rows) != 1 || len(rows[0].Components) != 1 {
			t.Fatalf("components %+v, want one button", rows)
		}
		b := rows[0].Components[0]
		if b.Label != bot.ShareButtonLabel || b.CustomID != "digest_share:7.0" {
			t.Errorf("button %+v, want %q with custom_id digest_share:7.0", b, bot.ShareButtonLabel)
		}
	})
	t.Run("sections and links, each story once", func(t *testing.T) {
		lead := bot.StoryRef{IssueID: 9, Part: bot.PartLead}
		item := bot.StoryRef{IssueID: 9, Part: bot.PartRoundup, Item: 3}
		secs := []bot.Section{
			{Title: "Issue nine", Share: lead, Links: []bot.Link{{Text: "An item about @everyone", URL: "https://x.example", Share: item}, {Text: "no story", URL: "https://y.example"}}},
			{Title: "Again", Share: item},
			{Title: "Nothing to share"},
		}
		rows := marshalComponents(t, shareComponents(secs))
		checkComponentLimits(t, rows)
		got := shareTargets(rows)
		if strings.Join(got, " ") != "digest_share:9.lead digest_share:9.3" {
			t.Errorf("buttons for %v, want the lead and the item once each", got)
		}
		if l := rows[0].Components[1].Label; l != "Share: An item about @\u200beveryone" {
			t.Errorf("label %q", l)
		}
	})
	t.Run("nothing to share", func(t *testing.T) {
		if cs := shareComponents([]bot.Section{{Title: "x"}}); cs != nil {
			t.Errorf("components %+v for a reply without stories", cs)
		}
	})
	t.Run("25 stories: five rows of five buttons", func(t *testing.T) {
		rows := marshalComponents(t, shareComponents(storiesReply(25).Sections))
		checkComponentLimits(t, rows)
		if got := shareTargets(rows); len(got) != 25 || got[24] != "digest_share:7.24" {
			t.Errorf("buttons %v, want 25 ending with 7.24", got)
		}
	})
	for _, n := range []int{26, 40, 200} {
		t.Run(fmt.Sprintf("%d stories: select menus", n), func(t *testing.T) {
			rows := marshalComponents(t, shareComponents(storiesReply(n).Sections))
			checkComponentLimits(t, rows)
			got := shareTargets(rows)
			want := min(n, maxActionRows*maxSelectOptions)
			if len(got) != want || got[0] != "menu:7.0" || got[len(got)-1] != fmt.Sprintf("menu:7.%d", want-1) {
				t.Errorf("%d options (%v…), want %d, in order", len(got), got[:1], want)
			}
			if p := rows[0].Components[0].Placeholder; !strings.HasPrefix(p, "Share a story…") {
				t.Errorf("placeholder %q", p)
			}
		})
	}
}

// storiesHandler answers every command with a reply of n shareable
// stories, and records the commands.
func storiesHandler(n int, private bool) (*recorder, bot.Handler) {
	rec := &recorder{}
	return rec, bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
		rec.mu.Lock()
		rec.cmds = append(rec.cmds, c)
		rec.mu.Unlock()
		r := storiesReply(n)
		r.Private = private
		w.Respond(ctx, r)
	})
}

// Share buttons go on ephemeral replies only: inline, deferred and
// followed up; never on a reply the channel sees.
func TestShareButtonsOnPrivateRepliesOnly(t *testing.T) {
	tests := []struct {
		name      string
		inChannel bool
		private   bool // the reply is Private
		deferred  bool
		want      bool
	}{
		{name: "ephemeral", want: true},
		{name: "ephemeral, deferred", deferred: true, want: true},
		{name: "in channel", inChannel: true},
		{name: "in channel, deferred", inChannel: true, deferred: true},
		{name: "in channel, private reply", inChannel: true, private: true, want: true},
		// Deferred in the channel ("thinking…" seen by all): the edit
		// cannot make the answer private, so no buttons.
		{name: "in channel, private reply, deferred", inChannel: true, private: true, deferred: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, h := storiesHandler(3, tt.private)
			release := make(chan struct{})
			if tt.deferred {
				inner := h
				h = bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
					<-release
					inner.ServeCommand(ctx, w, c)
				})
			} else {
				close(release)
			}
			env := newEndpoint(t, func(o *InteractionOptions) {
				o.Handler, o.InChannel = h, tt.inChannel
				if tt.deferred {
					o.InlineWait = time.Millisecond
				}
			})
			code, body := serve(env.h, signed(env.priv, env.now, commandBody("search", "query", "solar")))
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			var data []byte
			if tt.deferred {
				if body["type"] != float64(5) {
					t.Fatalf("answer type %v, want deferred (5)", body["type"])
				}
				close(release)
				data = env.f.waitFor("PATCH", "webhooks/"+testAppID+"/itoken-secret/messages/@original").Body
			} else {
				if body["type"] != float64(4) {
					t.Fatalf("answer type %v, want 4", body["type"])
				}
				data, _ = json.Marshal(body["data"])
			}
			var msg struct {
				Components []sentComponent `json:"components"`
			}
			if err := json.Unmarshal(data, &msg); err != nil {
				t.Fatal(err)
			}
			checkComponentLimits(t, msg.Components)
			got := shareTargets(msg.Components)
			if !tt.want {
				if len(got) != 0 {
					t.Errorf("a reply the channel sees has Share buttons: %v", got)
				}
				return
			}
			if strings.Join(got, " ") != "digest_share:7.0 digest_share:7.1 digest_share:7.2" {
				t.Errorf("buttons %v, want one per story", got)
			}
		})
	}
}

// A signed press of a Share button (or a choice in the Share menu) reaches
// the handler as the share command, and only the presser sees the answer,
// even where replies are posted in the channel.
func TestShareButtonPress(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		inChannel bool
		want      bot.Command
	}{
		{name: "button, server member", body: componentBody("digest_share:7.3", nil, ""),
			want: bot.Command{Args: "7.3", User: "42", UserName: "Ada L"}},
		{name: "button, replies in channel", inChannel: true, body: componentBody("digest_share:12.lead", nil, ""),
			want: bot.Command{Args: "12.lead", User: "42", UserName: "Ada L"}},
		{name: "button, admin with a nickname",
			body: componentBody("digest_share:7.0", nil, `"member":{"user":{"id":"43","username":"bo"},"nick":"Bo (mod)","permissions":"2080"}`),
			want: bot.Command{Args: "7.0", User: "43", UserName: "Bo (mod)", Admin: true}},
		{name: "button, direct message", body: componentBody("digest_share:7.0", nil, `"user":{"id":"44","username":"cy"}`),
			want: bot.Command{Args: "7.0", User: "44", UserName: "cy"}},
		{name: "menu", body: componentBody("digest_share:menu1", []string{"7.30"}, ""),
			want: bot.Command{Args: "7.30", User: "42", UserName: "Ada L"}},
		// A read-only announcements channel: View Channel and Use Application
		// Commands, no Send Messages. The core refuses to share for them.
		{name: "button, member who may not send messages",
			body: componentBody("digest_share:7.3", nil, `"member":{"user":{"id":"45","username":"di"},"permissions":"2147484672"}`),
			want: bot.Command{Args: "7.3", User: "45", UserName: "di", CannotPost: true}},
		{name: "button, admin who may not send messages",
			body: componentBody("digest_share:7.3", nil, `"member":{"user":{"id":"46","username":"ed"},"permissions":"32"}`),
			want: bot.Command{Args: "7.3", User: "46", UserName: "ed", Admin: true, CannotPost: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEndpoint(t, func(o *InteractionOptions) { o.InChannel = tt.inChannel })
			code, body := serve(env.h, signed(env.priv, env.now, tt.body))
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			want := tt.want
			want.Name, want.Button, want.Platform, want.Channel = bot.ShareCommand, true, "discord", "100"
			if got := env.calls.Commands(); len(got) != 1 || got[0] != want {
				t.Fatalf("handler got %+v, want %+v", got, want)
			}
			if body["type"] != float64(4) {
				t.Fatalf("answer type %v, want a message (4)", body["type"])
			}
			data := body["data"].(map[string]any)
			if data["flags"] != float64(64) {
				t.Errorf("flags %v, want 64: only the presser sees the answer", data["flags"])
			}
			if am, _ := json.Marshal(data["allowed_mentions"]); string(am) != `{"parse":[]}` {
				t.Errorf("allowed_mentions = %s", am)
			}
		})
	}
}

// A press answered slowly is deferred privately and then edited, through
// the same reply path as a typed command.
func TestShareButtonPressDeferred(t *testing.T) {
	release := make(chan struct{})
	handled := make(chan bot.Command, 1)
	slow := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
		<-release
		handled <- c
		w.Respond(ctx, bot.Reply{Text: "Shared in the channel."})
	})
	env := newEndpoint(t, func(o *InteractionOptions) { o.Handler, o.InlineWait, o.InChannel = slow, time.Millisecond, true })
	code, body := serve(env.h, signed(env.priv, env.now, componentBody("digest_share:7.1", nil, "")))
	if code != 200 || body["type"] != float64(5) {
		t.Fatalf("status %d body %v, want a deferred answer (5)", code, body)
	}
	if flags := body["data"].(map[string]any)["flags"]; flags != float64(64) {
		t.Errorf("deferred flags = %v, want 64", flags)
	}
	close(release)
	if c := <-handled; c.Name != bot.ShareCommand || c.Args != "7.1" || !c.Button {
		t.Errorf("handler got %+v", c)
	}
	edit := env.f.waitFor("PATCH", "webhooks/"+testAppID+"/itoken-secret/messages/@original")
	if !strings.Contains(string(edit.Body), "Shared in the channel.") {
		t.Errorf("edit = %s", edit.Body)
	}
}

// Components this package did not make get a private "unknown button"
// and run nothing; forged presses are refused before anything runs.
func TestShareButtonRefused(t *testing.T) {
	env := newEndpoint(t, nil)
	for _, body := range []string{
		componentBody("digest_share:bogus", nil, ""),
		componentBody("digest_share:7.lead.x", nil, ""),
		componentBody("something_else", nil, ""),
		componentBody("digest_share:menu0", []string{"nope"}, ""),
		componentBody("digest_share:menu0", []string{}, ""),
		componentBody("digest_share:menu0", []string{"7.1", "7.2"}, ""),
	} {
		code, resp := serve(env.h, signed(env.priv, env.now, body))
		if code != 200 || resp["type"] != float64(4) {
			t.Fatalf("status %d, %v", code, resp)
		}
		data := resp["data"].(map[string]any)
		if data["flags"] != float64(64) || !strings.Contains(fmt.Sprint(data["embeds"]), "unknown button") {
			t.Errorf("answer %v, want a private \"unknown button\"", data)
		}
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forged := signed(otherKey, env.now, componentBody("digest_share:7.1", nil, ""))
	if code, _ := serve(env.h, forged); code != 401 {
		t.Errorf("forged press: status %d, want 401", code)
	}
	tampered := signed(env.priv, env.now, componentBody("digest_share:7.1", nil, ""))
	tampered.Body = httptestBody(componentBody("digest_share:7.2", nil, ""))
	if code, _ := serve(env.h, tampered); code != 401 {
		t.Errorf("tampered press: status %d, want 401", code)
	}
	if cmds := env.calls.Commands(); len(cmds) != 0 {
		t.Errorf("the handler ran: %+v", cmds)
	}
}

// A press arriving over the gateway is answered the same way: the share
// command runs and the callback is private.
func TestGatewayShareButton(t *testing.T) {
	env := newEnv(t, nil)
	identified := make(chan string, 1)
	serveGateway(t, env.f, componentBody("digest_share:7.2", nil, ""), identified)
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.c.RunGateway(ctx, GatewayOptions{Handler: rec, InChannel: true}) }()
	select {
	case <-identified:
	case err := <-done:
		t.Fatalf("RunGateway ended before identifying: %v", err)
	}
	cb := env.f.waitFor("POST", "interactions/7003/itoken-secret/callback")
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Flags int `json:"flags"`
		} `json:"data"`
	}
	if err := json.Unmarshal(cb.Body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Type != 4 || resp.Data.Flags != 64 {
		t.Errorf("callback = %s, want a private message", cb.Body)
	}
	want := bot.Command{Name: bot.ShareCommand, Args: "7.2", Button: true, Platform: "discord", User: "42", UserName: "Ada L", Channel: "100"}
	if cmds := rec.Commands(); len(cmds) != 1 || cmds[0] != want {
		t.Errorf("handler got %+v, want %+v", cmds, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunGateway: %v", err)
	}
}

// A shared story names its sharer with a mention that pings nobody; a
// follow's direct message says which follow it answers; every other post
// has no content at all, as before.
func TestPostShowsWhoShared(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	share := bot.ShareChannel("discord", textChannel)
	post := bot.Post{Issue: is, Part: bot.PartRoundup, Item: 1, Key: bot.PostKey(is, bot.PartRoundup, 1),
		SharedBy: bot.Person{ID: "42", Name: "Ada"}}
	m := message(is, share, post, "")
	r, err := env.c.Publish(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.c.Edit(context.Background(), m, r); err != nil {
		t.Fatal(err)
	}
	// A channel's own post, and a lead shared by someone without an id.
	plain := message(is, testChannel(textChannel, bot.LayoutSeparate), bot.Post{Issue: is, Part: bot.PartLead, Key: bot.KeyLead}, "")
	if _, err := env.c.Publish(context.Background(), plain); err != nil {
		t.Fatal(err)
	}
	named := message(is, share, bot.Post{Issue: is, Part: bot.PartLead, Key: bot.KeyLead, SharedBy: bot.Person{Name: "@everyone *x*"}}, "")
	if _, err := env.c.Publish(context.Background(), named); err != nil {
		t.Fatal(err)
	}

	var sent []recorded
	for _, r := range env.f.Requests("", "channels/100/messages") {
		if r.Method == "POST" || r.Method == "PATCH" {
			sent = append(sent, r)
		}
	}
	if len(sent) != 4 {
		t.Fatalf("%d sends and edits, want 4", len(sent))
	}
	for i, want := range []string{"Shared by <@42>", "Shared by <@42>", "", `Shared by @` + zwsp + `everyone \*x\*`} {
		var body struct {
			Content         *string         `json:"content"`
			Embeds          []any           `json:"embeds"`
			AllowedMentions json.RawMessage `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(sent[i].Body, &body); err != nil {
			t.Fatal(err)
		}
		got := ""
		if body.Content != nil {
			got = *body.Content
		}
		if got != want || (want == "" && body.Content != nil) {
			t.Errorf("%s %s: content %q, want %q", sent[i].Method, sent[i].Path, got, want)
		}
		if string(body.AllowedMentions) != `{"parse":[]}` || len(body.Embeds) == 0 {
			t.Errorf("%s: allowed_mentions %s, %d embeds: want nobody pinged and the story", sent[i].Method, body.AllowedMentions, len(body.Embeds))
		}
	}
}

func TestFollowDirectMessageSaysWhy(t *testing.T) {
	env := newEnv(t, nil)
	env.f.script(scripted{Method: "POST", Path: "users/@me/channels", Status: 200, Body: `{"id":"` + textChannel + `"}`})
	is := testIssue()
	dm := bot.Channel{ID: "dm:discord:42", Platform: "discord", Target: "42", DM: true, Layout: bot.LayoutSeparate}
	post := bot.Post{Issue: is, Part: bot.PartRoundup, Item: 0, Key: bot.PostKey(is, bot.PartRoundup, 0), Follow: `solar "heat cameras"`}
	if _, err := env.c.Publish(context.Background(), message(is, dm, post, "")); err != nil {
		t.Fatal(err)
	}
	send := env.f.waitFor("POST", "channels/100/messages")
	var body struct {
		Content string `json:"content"`
	}
	json.Unmarshal(send.Body, &body)
	if body.Content != "Matches your follow “solar \"heat cameras\"”" {
		t.Errorf("content %q", body.Content)
	}
}

func TestPostContent(t *testing.T) {
	long := strings.Repeat("word ", 500)
	tests := []struct {
		post bot.Post
		want string
	}{
		{bot.Post{}, ""},
		{bot.Post{SharedBy: bot.Person{ID: "123", Name: "Ada"}}, "Shared by <@123>"},
		{bot.Post{SharedBy: bot.Person{ID: "<@&9>", Name: "Ada"}}, "Shared by Ada"},
		{bot.Post{SharedBy: bot.Person{ID: "1"}, Follow: "a  b\nc"}, "Shared by <@1>\nMatches your follow “a b c”"},
	}
	for _, tt := range tests {
		if got := postContent(tt.post); got != tt.want {
			t.Errorf("postContent(%+v) = %q, want %q", tt.post, got, tt.want)
		}
	}
	if got := postContent(bot.Post{Follow: long, SharedBy: bot.Person{Name: long}}); textLen(got) > 500 {
		t.Errorf("content of %d characters for long names", textLen(got))
	}
}
