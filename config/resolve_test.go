package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

func TestResolveChannels(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		yaml string
		want []bot.Channel
	}{
		{
			name: "nothing: console",
			want: []bot.Channel{{ID: "console", Platform: "console", Layout: "thread"}},
		},
		{
			name: "slack quick start",
			env:  map[string]string{"DIGESTBOT_SLACK_CHANNEL": "C0123ABCD", "DIGESTBOT_SLACK_LAYOUT": "combined"},
			want: []bot.Channel{{ID: "slack", Platform: "slack", Target: "C0123ABCD", Layout: "combined"}},
		},
		{
			name: "discord webhook quick start",
			env:  map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/x", "DIGESTBOT_DISCORD_FORUM": "true"},
			want: []bot.Channel{{ID: "discord", Platform: "discord", Layout: "thread", Forum: true}},
		},
		{
			name: "both quick starts after the entries",
			env:  map[string]string{"DIGESTBOT_SLACK_CHANNEL": "C0123ABCD", "DIGESTBOT_DISCORD_CHANNEL_ID": "112233445566778899", "DIGESTBOT_DISCORD_LAYOUT": "separate"},
			yaml: "channels:\n  - {name: log, platform: console}\n",
			want: []bot.Channel{
				{ID: "log", Platform: "console", Layout: "thread"},
				{ID: "slack", Platform: "slack", Target: "C0123ABCD", Layout: "thread"},
				{ID: "discord", Platform: "discord", Target: "112233445566778899", Layout: "separate"},
			},
		},
		{
			name: "a webhook entry: no quick-start discord channel",
			env:  map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/x"},
			yaml: "channels:\n  - {name: news, platform: discord, layout: combined}\n",
			want: []bot.Channel{{ID: "news", Platform: "discord", Layout: "combined"}},
		},
		{
			name: "an explicit console channel: no implicit one",
			yaml: "channels:\n  - {name: stdout, platform: console, layout: combined}\n",
			want: []bot.Channel{{ID: "stdout", Platform: "console", Layout: "combined"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := loadYAML(t, tc.yaml, tc.env)
			_, got := c.Resolve()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("channels =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestResolveFeeds(t *testing.T) {
	c := loadYAML(t, `
interval: 10m
deliver_newest: 3
feeds:
  - url: https://a.example.org/rss/
    name: A
    interval: 1h
    deliver_newest: 0
    channels: [one]
  - url: https://b.example.org/rss/
channels:
  - {name: one, platform: console}
  - {name: two, platform: discord, id: "112233445566778899", layout: separate, forum: true, on_remove: keep}
`, map[string]string{"DIGESTBOT_FEED_URL": "https://c.example.org/rss/"})
	feeds, chans := c.Resolve()
	one := bot.Channel{ID: "one", Platform: "console", Layout: bot.LayoutThread}
	two := bot.Channel{ID: "two", Platform: "discord", Target: "112233445566778899", Layout: bot.LayoutSeparate, Forum: true, OnRemove: bot.OnRemoveKeep}
	if want := []bot.Channel{one, two}; !reflect.DeepEqual(chans, want) {
		t.Errorf("channels =\n %+v\nwant\n %+v", chans, want)
	}
	want := []bot.FeedPlan{
		{URL: "https://a.example.org/rss/", Name: "A", Interval: time.Hour, DeliverNewest: 0, Channels: []bot.Channel{one}},
		{URL: "https://b.example.org/rss/", Interval: 10 * time.Minute, DeliverNewest: 3, Channels: []bot.Channel{one, two}},
		{URL: "https://c.example.org/rss/", Interval: 10 * time.Minute, DeliverNewest: 3, Channels: []bot.Channel{one, two}},
	}
	if !reflect.DeepEqual(feeds, want) {
		t.Errorf("feeds =\n %+v\nwant\n %+v", feeds, want)
	}
	feeds[1].Channels[0].ID = "changed"
	if feeds[2].Channels[0].ID != "one" || chans[0].ID != "one" {
		t.Error("two plans share one Channels slice")
	}
	again, _ := c.Resolve()
	if again[0].Channels[0].ID != "one" {
		t.Error("changing a plan changed the config")
	}
}

func TestQuickStartFeedURLOnly(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load("", envMap(map[string]string{"DIGESTBOT_FEED_URL": "https://newsletter.example.org/rss/"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate = %v, want a FEED_URL-only setup to be valid", err)
	}
	feeds, chans := c.Resolve()
	if len(chans) != 1 || chans[0].Platform != "console" {
		t.Errorf("channels = %+v, want one console channel", chans)
	}
	if len(feeds) != 1 || feeds[0].URL != "https://newsletter.example.org/rss/" || len(feeds[0].Channels) != 1 || feeds[0].Channels[0].ID != "console" {
		t.Errorf("feeds = %+v, want the feed posting to console", feeds)
	}
}

func TestQuickStartSlackEnvOnly(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load("", envMap(map[string]string{
		"DIGESTBOT_FEED_URL":        "https://newsletter.example.org/rss/",
		"DIGESTBOT_SLACK_BOT_TOKEN": "xoxb-1",
		"DIGESTBOT_SLACK_APP_TOKEN": "xapp-1",
		"DIGESTBOT_SLACK_CHANNEL":   "C0123ABCD",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate = %v, want valid", err)
	}
	feeds, chans := c.Resolve()
	if len(chans) != 1 || chans[0].ID != "slack" || feeds[0].Channels[0].ID != "slack" || c.Slack.Commands != "socket" {
		t.Errorf("channels %+v, feeds %+v, commands %q; want the slack channel only, socket commands", chans, feeds, c.Slack.Commands)
	}
}

func TestRedacted(t *testing.T) {
	c := validBase()
	c.Source = "digestbot.yaml"
	out := c.Redacted()
	if strings.Contains(out, secretMark) {
		t.Errorf("Redacted shows a secret:\n%s", out)
	}
	for _, want := range []string{
		"# from digestbot.yaml",
		"db: postgres://bot:xxxxx@db:5432/digest",
		"bot_token: '[redacted]'",
		"webhook_url: '[redacted]'",
		"interval: 5m",
		"- name: team-slack",
		"commands: socket",
		"signing_secret: '[redacted]'",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted lacks %q:\n%s", want, out)
		}
	}
	// Every key appears: the output is the whole effective configuration.
	for _, v := range EnvVars() {
		last := v.Key[strings.LastIndex(v.Key, ".")+1:]
		if !strings.Contains(out, last+":") {
			t.Errorf("Redacted lacks %s", v.Key)
		}
	}
}
