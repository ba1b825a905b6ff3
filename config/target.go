package config

// ValidTarget reports whether id has the shape of a channel id of
// platform, as channels[].id must: a Slack channel id (C0123ABCD, G…, D…)
// or a Discord id (15 to 20 digits). Other platforms have none.
func ValidTarget(platform, id string) bool {
	switch platform {
	case PlatformSlack:
		return slackIDRe.MatchString(id)
	case PlatformDiscord:
		return snowflakeRe.MatchString(id)
	}
	return false
}

// CanPostByID reports whether the bot can post to any channel of a
// platform by its id, as a subscription from chat needs: the platform's
// bot token is set.
func (c *Config) CanPostByID(platform string) bool {
	switch platform {
	case PlatformSlack:
		return c.Slack.BotToken != ""
	case PlatformDiscord:
		return c.Discord.BotToken != ""
	}
	return false
}
