package config

import (
	"strings"

	"digestbot/bot"
)

// AlertsTarget returns the channel alerts_channel names, as the bot runs
// it, and ok false when it is empty. It accepts the name of a channel from
// Resolve, or
// slack:<id> / discord:<id>, or a bare Slack channel id (C0123ABCD) or
// Discord id (digits). Validate reports a value it cannot use.
func (c *Config) AlertsTarget() (ch bot.Channel, ok bool) {
	v := strings.TrimSpace(c.AlertsChannel)
	if v == "" {
		return bot.Channel{}, false
	}
	for _, ch := range c.channels() {
		if ch.Name == v {
			return ch.resolved(), true
		}
	}
	platform, id, found := strings.Cut(v, ":")
	if !found {
		id = v
		switch {
		case slackIDRe.MatchString(v):
			platform = PlatformSlack
		case snowflakeRe.MatchString(v):
			platform = PlatformDiscord
		}
	}
	return bot.Channel{ID: "alerts", Platform: strings.ToLower(platform), Target: id}, true
}

// validateAlerts checks alerts_channel and alerts_fail_after.
func (c *Config) validateAlerts(ps *problems) {
	if c.AlertsFailAfter < 1 {
		ps.add("alerts_fail_after", `%d is below 1: want the number of failed polls in a row that make an alert, such as 3`, c.AlertsFailAfter)
	}
	ch, ok := c.AlertsTarget()
	if !ok {
		return
	}
	const want = `want the name of a channel (channels[].name, or slack / discord for the quick-start ones), or slack:C0123ABCD, or discord:<channel id>`
	switch ch.Platform {
	case PlatformSlack:
		if !slackIDRe.MatchString(ch.Target) {
			ps.add("alerts_channel", `%q: %q is not %s`, c.AlertsChannel, ch.Target, slackIDWant)
		}
		if c.Slack.BotToken == "" {
			ps.add("slack.bot_token", `is needed to send alerts to Slack (alerts_channel %q): set it to the Bot User OAuth Token (xoxb-…)`, c.AlertsChannel)
		}
	case PlatformDiscord:
		switch {
		case ch.Target == "":
			if c.Discord.WebhookURL == "" {
				ps.add("alerts_channel", `%q posts through the Discord webhook, which is not set: set discord.webhook_url, or %s`, c.AlertsChannel, want)
			}
		case !snowflakeRe.MatchString(ch.Target):
			ps.add("alerts_channel", `%q: %q is not %s`, c.AlertsChannel, ch.Target, snowflakeWant)
		case c.Discord.BotToken == "":
			ps.add("discord.bot_token", `is needed to send alerts to Discord channel %s (alerts_channel): set it to the token from the Developer Portal's Bot page`, ch.Target)
		}
	case PlatformConsole:
	default:
		ps.add("alerts_channel", `%q is no channel: %s`, c.AlertsChannel, want)
	}
}
