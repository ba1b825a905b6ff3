package config

import "testing"

func TestValidTarget(t *testing.T) {
	for _, c := range []struct {
		platform, id string
		want         bool
	}{
		{PlatformSlack, "C0123ABCD", true},
		{PlatformSlack, "G0123ABCD", true},
		{PlatformSlack, "general", false},
		{PlatformSlack, "112233445566778899", false},
		{PlatformDiscord, "112233445566778899", true},
		{PlatformDiscord, "C0123ABCD", false},
		{PlatformDiscord, "1234", false},
		{PlatformConsole, "C0123ABCD", false},
		{"teams", "112233445566778899", false},
	} {
		if got := ValidTarget(c.platform, c.id); got != c.want {
			t.Errorf("ValidTarget(%q, %q) = %v, want %v", c.platform, c.id, got, c.want)
		}
	}
}

func TestCanPostByID(t *testing.T) {
	c := Default()
	if c.CanPostByID(PlatformSlack) || c.CanPostByID(PlatformDiscord) || c.CanPostByID(PlatformConsole) {
		t.Error("CanPostByID without tokens = true")
	}
	c.Slack.BotToken = "xoxb-1"
	if !c.CanPostByID(PlatformSlack) || c.CanPostByID(PlatformDiscord) {
		t.Error("with a Slack bot token: want Slack only")
	}
	c.Discord.BotToken = "x"
	c.Discord.WebhookURL = "https://discord.com/api/webhooks/1/x"
	if !c.CanPostByID(PlatformDiscord) {
		t.Error("with a Discord bot token: want Discord")
	}
	c.Discord.BotToken = ""
	if c.CanPostByID(PlatformDiscord) {
		t.Error("a Discord webhook alone posts to its one channel, not to any channel by id")
	}
}
