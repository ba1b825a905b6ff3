package discord

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"digestbot/bot"
)

const testWebhookURL = "https://discord.com/api/webhooks/" + testWebhookID + "/" + testWebhookToken

// webhookEnv is a client with the webhook; withBot adds the bot token.
func webhookEnv(t *testing.T, withBot, forum bool, hookChan string) clientEnv {
	t.Helper()
	env := newEnv(t, func(o *Options) {
		o.WebhookURL = testWebhookURL
		o.Forum = forum
		if !withBot {
			o.BotToken = ""
		}
	})
	env.f.hookChan = hookChan
	return env
}

func hookChannel() bot.Channel { return bot.Channel{ID: "discord:webhook", Platform: "discord"} }

func TestWebhookPublish(t *testing.T) {
	tests := []struct {
		name      string
		withBot   bool
		forum     bool
		hookChan  string
		wantRefs  []string
		wantCalls []string
		wantLog   string
	}{
		{
			name: "text channel, webhook only", hookChan: textChannel,
			wantRefs: []string{"100/1001", "100/1002", "100/1003", "100/1004"},
			wantCalls: []string{"POST webhooks/900/*** wait=true", "POST webhooks/900/*** wait=true",
				"POST webhooks/900/*** wait=true", "POST webhooks/900/*** wait=true"},
			wantLog: "discord_webhook_no_threads",
		},
		{
			name: "text channel, webhook and bot token", withBot: true, hookChan: textChannel,
			wantRefs: []string{"100/1001", "1001/1002/t", "1001/1003/t", "1001/1004/t"},
			wantCalls: []string{"POST webhooks/900/*** wait=true", "POST channels/100/messages/1001/threads",
				"POST webhooks/900/*** thread_id=1001&wait=true", "POST webhooks/900/*** thread_id=1001&wait=true",
				"POST webhooks/900/*** thread_id=1001&wait=true"},
		},
		{
			name: "forum found from Discord's answer", hookChan: forumChannel,
			wantRefs: []string{"1001/1001/t", "1001/1002/t", "1001/1003/t", "1001/1004/t"},
			wantCalls: []string{"POST webhooks/900/*** wait=true", "POST webhooks/900/*** wait=true",
				"POST webhooks/900/*** thread_id=1001&wait=true", "POST webhooks/900/*** thread_id=1001&wait=true",
				"POST webhooks/900/*** thread_id=1001&wait=true"},
		},
		{
			name: "forum configured", forum: true, hookChan: forumChannel,
			wantRefs: []string{"1001/1001/t", "1001/1002/t", "1001/1003/t", "1001/1004/t"},
			wantCalls: []string{"POST webhooks/900/*** wait=true",
				"POST webhooks/900/*** thread_id=1001&wait=true", "POST webhooks/900/*** thread_id=1001&wait=true",
				"POST webhooks/900/*** thread_id=1001&wait=true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := webhookEnv(t, tt.withBot, tt.forum, tt.hookChan)
			refs := publishIssue(t, env.c, testIssue(), hookChannel())
			if strings.Join(refs, " ") != strings.Join(tt.wantRefs, " ") {
				t.Errorf("refs = %v, want %v", refs, tt.wantRefs)
			}
			var calls []string
			for _, r := range env.f.Requests("", "") {
				calls = append(calls, strings.TrimSpace(r.Method+" "+redactPath(r.Path)+" "+r.Query))
				if strings.HasPrefix(r.Path, "webhooks/") {
					if r.Header.Get("Authorization") != "" {
						t.Errorf("webhook call sent an Authorization header")
					}
					var b map[string]json.RawMessage
					json.Unmarshal(r.Body, &b)
					if string(b["allowed_mentions"]) != `{"parse":[]}` {
						t.Errorf("allowed_mentions = %s", b["allowed_mentions"])
					}
				}
			}
			if strings.Join(calls, "\n") != strings.Join(tt.wantCalls, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
			if tt.wantLog != "" && strings.Count(env.logs.String(), tt.wantLog) != 1 {
				t.Errorf("log %q not written once: %s", tt.wantLog, env.logs)
			}
			if strings.Contains(env.logs.String(), testWebhookToken) {
				t.Error("logs contain the webhook token")
			}
			golden(t, "webhook_"+strings.NewReplacer(" ", "_", ",", "", "'", "").Replace(tt.name)+".json", exchanges(env.f.Requests("POST", "webhooks/")))
		})
	}
}

// channels[].forum reaches the adapter: a forum channel named in the
// channel entry opens a post with the first call, as discord.forum does.
func TestWebhookForumFromChannel(t *testing.T) {
	env := webhookEnv(t, false, false, forumChannel)
	ch := hookChannel()
	ch.Forum = true
	refs := publishIssue(t, env.c, testIssue(), ch)
	if want := "1001/1001/t 1001/1002/t 1001/1003/t 1001/1004/t"; strings.Join(refs, " ") != want {
		t.Errorf("refs = %v, want %s", refs, want)
	}
	posts := env.f.Requests("POST", "webhooks/")
	if len(posts) != 4 || !strings.Contains(string(posts[0].Body), `"thread_name"`) {
		t.Errorf("%d webhook posts, the first %s: want 4, the first opening the forum post", len(posts), posts[0].Body)
	}
}

func TestWebhookEdit(t *testing.T) {
	env := webhookEnv(t, false, true, forumChannel)
	is := testIssue()
	refs := publishIssue(t, env.c, is, hookChannel())
	ctx := context.Background()
	if err := env.c.Edit(ctx, message(is, hookChannel(), bot.Post{Issue: is, Part: bot.PartLead}, ""), refs[0]); err != nil {
		t.Fatalf("Edit lead: %v", err)
	}
	if err := env.c.Edit(ctx, message(is, hookChannel(), bot.Post{Issue: is, Part: bot.PartRoundup, Item: 1}, refs[0]), refs[2]); err != nil {
		t.Fatalf("Edit item: %v", err)
	}
	var got []string
	for _, r := range env.f.Requests("PATCH", "") {
		got = append(got, redactPath(r.Path)+" "+r.Query)
	}
	want := []string{"webhooks/900/***/messages/1001 thread_id=1001", "webhooks/900/***/messages/1003 thread_id=1001"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("edits:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWebhookTokenNeverInErrors(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		script    *scripted
		closed    bool
		permanent bool
	}{
		{name: "5xx", url: testWebhookURL, script: &scripted{Method: "POST", Path: "webhooks/", Status: 500, Body: `{"message":"Internal Server Error","code":0}`}},
		{name: "wrong token", url: "https://discord.com/api/webhooks/900/wrong-secret-token", permanent: true},
		{name: "deleted webhook", url: "https://discord.com/api/webhooks/901/" + testWebhookToken, permanent: true},
		{name: "network", url: testWebhookURL, closed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(o *Options) { o.WebhookURL = tt.url; o.BotToken = "" })
			if tt.script != nil {
				env.f.script(*tt.script)
			}
			if tt.closed {
				env.f.srv.Close()
			}
			is := testIssue()
			_, err := env.c.Publish(context.Background(), message(is, hookChannel(), bot.Post{Issue: is, Part: bot.PartLead}, ""))
			if err == nil {
				t.Fatal("Publish succeeded")
			}
			if errors.Is(err, bot.ErrPermanent) != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", !tt.permanent, tt.permanent, err)
			}
			for _, secret := range []string{testWebhookToken, "wrong-secret-token"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(env.logs.String(), secret) {
					t.Errorf("the webhook token leaked: %v", err)
				}
			}
		})
	}
}

func TestWebhookRetry(t *testing.T) {
	t.Run("with a bot token the earlier send is found", func(t *testing.T) {
		env := webhookEnv(t, true, false, textChannel)
		is := testIssue()
		m := message(is, hookChannel(), bot.Post{Issue: is, Part: bot.PartLead}, "")
		first, err := env.c.Publish(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		m.Retry = true
		again, err := env.c.Publish(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		if again != first || len(env.f.Messages(textChannel)) != 1 {
			t.Errorf("retry gave %q (first %q), %d messages, want the first and 1", again, first, len(env.f.Messages(textChannel)))
		}
	})
	t.Run("webhook only cannot check and says so", func(t *testing.T) {
		env := webhookEnv(t, false, false, textChannel)
		is := testIssue()
		m := message(is, hookChannel(), bot.Post{Issue: is, Part: bot.PartLead}, "")
		m.Retry = true
		if _, err := env.c.Publish(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(env.logs.String(), "discord_retry_unchecked") {
			t.Errorf("no warning that the retry was not checked: %s", env.logs)
		}
	})
}

func TestParseWebhookURL(t *testing.T) {
	tests := []struct {
		in     string
		id, ok string
	}{
		{in: "https://discord.com/api/webhooks/123/abc-DEF_1", id: "123"},
		{in: "https://discordapp.com/api/webhooks/123/abc", id: "123"},
		{in: "https://canary.discord.com/api/v10/webhooks/123/abc/", id: "123"},
		{in: "http://discord.com/api/webhooks/123/abc"},
		{in: "https://evil.example/api/webhooks/123/abc"},
		{in: "https://discord.com/api/webhooks/abc/123"},
		{in: "https://discord.com/api/webhooks/123"},
		{in: "https://user:pw@discord.com/api/webhooks/123/abc"},
		{in: "not a url"},
	}
	for _, tt := range tests {
		w, err := parseWebhookURL(tt.in)
		if tt.id == "" {
			if err == nil {
				t.Errorf("parseWebhookURL(%q) accepted", tt.in)
			} else if strings.Contains(err.Error(), "abc") {
				t.Errorf("error repeats the token: %v", err)
			}
			continue
		}
		if err != nil || w.id != tt.id {
			t.Errorf("parseWebhookURL(%q) = %+v, %v; want id %s", tt.in, w, err, tt.id)
		}
	}
}

func FuzzParseWebhookURL(f *testing.F) {
	f.Add(testWebhookURL)
	f.Add("https://discord.com/api/v10/webhooks/1/x")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := parseWebhookURL(s)
		if err != nil {
			return
		}
		if !isSnowflake(w.id) || w.token == "" || strings.ContainsAny(w.token, "/?#") {
			t.Errorf("parseWebhookURL(%q) = %+v", s, w)
		}
	})
}
