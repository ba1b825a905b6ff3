package config

import "digestbot/bot"

// Resolve returns the feeds and channels to run, as the bot runs them
// (bot.FeedPlan, bot.Channel: a channel's ID is its channels[].name, its
// Target the platform's channel id). Channels are the channels entries, in
// order, then the quick-start ones: "slack" when slack.channel is set,
// "discord" when discord.channel_id is set or discord.webhook_url is set
// and no entry posts through it (a discord entry without id), and
// "console" (printing to standard output) when there is no channel at
// all. Feeds are the feeds entries, then feed_url, which posts to every
// channel; a feed without channels posts to every channel. Resolve does
// not validate: call Validate first (a feed's channel that names no
// channel is left out).
func (c *Config) Resolve() ([]bot.FeedPlan, []bot.Channel) {
	cchans := c.channels()
	chans := make([]bot.Channel, len(cchans))
	byName := make(map[string]bot.Channel, len(cchans))
	for i, ch := range cchans {
		chans[i] = ch.resolved()
		byName[ch.Name] = chans[i]
	}
	// to returns the channels names name, all of them when names is empty,
	// in a slice of its own.
	to := func(names []string) []bot.Channel {
		if len(names) == 0 {
			return append([]bot.Channel(nil), chans...)
		}
		var out []bot.Channel
		for _, name := range names {
			if ch, ok := byName[name]; ok {
				out = append(out, ch)
			}
		}
		return out
	}

	feeds := make([]bot.FeedPlan, 0, len(c.Feeds)+1)
	for _, f := range c.Feeds {
		p := bot.FeedPlan{URL: f.URL, Name: f.Name, Interval: c.Interval.D(), DeliverNewest: c.DeliverNewest,
			Channels: to(f.Channels), RespectTTL: c.RespectTTL}
		if f.Interval != 0 {
			p.Interval = f.Interval.D()
		}
		if f.DeliverNewest != nil {
			p.DeliverNewest = *f.DeliverNewest
		}
		if f.RespectTTL != nil {
			p.RespectTTL = *f.RespectTTL
		}
		feeds = append(feeds, p)
	}
	if c.FeedURL != "" {
		feeds = append(feeds, bot.FeedPlan{URL: c.FeedURL, Interval: c.Interval.D(), DeliverNewest: c.DeliverNewest,
			Channels: to(nil), RespectTTL: c.RespectTTL})
	}
	return feeds, chans
}

// channels returns the channels entries, every default applied, then the
// quick-start channels (see Resolve).
func (c *Config) channels() []Channel {
	chans := make([]Channel, 0, len(c.Channels)+2)
	webhookEntry := false // an entry already posts through the webhook
	for _, ch := range c.Channels {
		webhookEntry = webhookEntry || (ch.Platform == PlatformDiscord && ch.Target == "")
		if ch.Layout == "" {
			ch.Layout = defaultLayout
		}
		chans = append(chans, ch)
	}
	if c.Slack.Channel != "" {
		chans = append(chans, Channel{Name: PlatformSlack, Platform: PlatformSlack, Target: c.Slack.Channel, Layout: orDefault(c.Slack.Layout)})
	}
	if c.Discord.ChannelID != "" || (c.Discord.WebhookURL != "" && !webhookEntry) {
		chans = append(chans, Channel{Name: PlatformDiscord, Platform: PlatformDiscord, Target: c.Discord.ChannelID, Layout: orDefault(c.Discord.Layout), Forum: c.Discord.Forum})
	}
	if len(chans) == 0 {
		chans = append(chans, Channel{Name: PlatformConsole, Platform: PlatformConsole, Layout: defaultLayout})
	}
	return chans
}

// resolved is the channel as the bot runs it: its name is the outbox key.
func (ch Channel) resolved() bot.Channel {
	return bot.Channel{ID: ch.Name, Platform: ch.Platform, Target: ch.Target, Layout: bot.Layout(ch.Layout),
		OnRemove: bot.OnRemove(ch.OnRemove), Forum: ch.Forum}
}

// GhostCredentials returns the Ghost credentials of a feed: each of the
// feed's own (feeds[].ghost), else the ghost section's, which is also
// what a feed that is not configured gets.
func (c *Config) GhostCredentials(feed string) FeedGhost {
	g := FeedGhost{WebhookSecret: c.Ghost.WebhookSecret, ContentAPIKey: c.Ghost.ContentAPIKey}
	for _, f := range c.Feeds {
		if f.URL != feed || f.Ghost == nil {
			continue
		}
		if f.Ghost.WebhookSecret != "" {
			g.WebhookSecret = f.Ghost.WebhookSecret
		}
		if f.Ghost.ContentAPIKey != "" {
			g.ContentAPIKey = f.Ghost.ContentAPIKey
		}
		break
	}
	return g
}

func orDefault(layout string) string {
	if layout == "" {
		return defaultLayout
	}
	return layout
}
