package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"digestbot/bot"
)

// TestShareButtonPostsOnce: a "Share in channel" press (as the adapters
// hand it to the command router) posts the story into the channel where it
// was pressed on the next run, once, however often it is pressed; the
// channel's own posts are left alone.
func TestShareButtonPostsOnce(t *testing.T) {
	for _, platform := range []string{"slack", "discord"} {
		t.Run(platform, func(t *testing.T) {
			feed, _ := followFeed(t)
			dir := t.TempDir()
			vars := map[string]string{
				"DIGESTBOT_DB":                  filepath.Join(dir, "bot.db"),
				"DIGESTBOT_HTTP_ADDR":           "off",
				"DIGESTBOT_ALLOW_PRIVATE_FEEDS": "true",
				"DIGESTBOT_FEED_URL":            feed.URL + "/rss/",
			}
			var f *dmFake
			var postsCh, other, user string
			switch platform {
			case "slack":
				f = newSlackDMFake(t)
				postsCh, other, user = "C0POSTS000", "C0OTHER000", "U0SHARER1"
				vars["DIGESTBOT_SLACK_BOT_TOKEN"] = "xoxb-test"
				vars["DIGESTBOT_SLACK_API_URL"] = f.srv.URL + "/api/"
				vars["DIGESTBOT_SLACK_COMMANDS"] = "off"
			case "discord":
				f = newDiscordDMFake(t)
				postsCh, other, user = "100000000000000002", "100000000000000003", "200000000000000001"
				vars["DIGESTBOT_DISCORD_BOT_TOKEN"] = "test-token"
				vars["DIGESTBOT_DISCORD_API_URL"] = f.srv.URL + "/api/v10/"
				vars["DIGESTBOT_DISCORD_COMMANDS"] = "off"
			}
			cfg := filepath.Join(dir, "digestbot.yaml")
			yaml := fmt.Sprintf("channels:\n  - {name: posts, platform: %s, id: %q, layout: separate}\n", platform, postsCh)
			if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			runOnce := func() {
				t.Helper()
				if code, _, stderr := digestbot(t, vars, "run", "--once", "--config", cfg); code != 0 {
					t.Fatalf("run --once: exit %d\n%s", code, stderr)
				}
			}
			runOnce() // archives and posts issue one: lead and two items
			own := len(f.texts(postsCh))
			if own != 3 {
				t.Fatalf("issue one: %d posts, want 3", own)
			}

			e := env{stdout: io.Discard, stderr: io.Discard, lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
			conf, err := loadConfig(cfg, e)
			if err != nil {
				t.Fatal(err)
			}
			a, err := buildApp(context.Background(), conf, e, newLogger(conf, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			is, err := a.store.LatestIssue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ref := bot.StoryRef{IssueID: is.ID, Part: bot.PartRoundup, Item: 1}
			press := func(channel, who string) bot.Reply {
				var got bot.Reply
				a.service.Mux().ServeCommand(context.Background(), bot.ResponderFunc(func(_ context.Context, r bot.Reply) error {
					got = r
					return nil
				}), bot.Command{Name: bot.ShareCommand, Args: ref.String(), Button: true, Platform: platform,
					User: user, UserName: who, Channel: channel})
				return got
			}
			if r := press(postsCh, "Ann"); r.Error || !r.Private || !strings.HasPrefix(r.Text, "Shared “Fishing crews") {
				t.Fatalf("share: %+v", r)
			}
			if r := press(postsCh, "Ann"); !strings.Contains(r.Text, "already shared here by you") {
				t.Errorf("pressed twice: %+v", r)
			}
			a.store.Close()

			runOnce()
			runOnce() // nothing twice
			got := f.texts(postsCh)
			if len(got) != own+1 || !strings.Contains(got[own], "Fishing crews in the north") || strings.Contains(got[own], "volcano") {
				t.Fatalf("posts in the channel after the share: %d (%q), want %d, the last the shared item", len(got), got[own:], own+1)
			}
			// Both adapters say who shared it with a mention of the presser.
			if !strings.Contains(got[own], `"Shared by \u003c@`+user+`\u003e"`) {
				t.Errorf("shared post does not say who shared it: %s", got[own])
			}
			if n := len(f.texts(other)); n != 0 {
				t.Errorf("%d posts in another channel", n)
			}
		})
	}
}
