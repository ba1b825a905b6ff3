package config

import "time"

// FeedPlan is one feed as the bot runs it, every default applied.
type FeedPlan struct {
	URL           string
	Name          string // "" to use the feed's title
	Interval      time.Duration
	DeliverNewest int
	Channels      []string // names of channels from Resolve
	RespectTTL    bool     // <ttl> and max-age may lengthen Interval
	// Ghost credentials of this feed: its own, else the ghost section's.
	GhostWebhookSecret Secret
	GhostContentAPIKey Secret
}

// Resolve returns the feeds and channels to run. Channels are the
// channels entries, in order, then the quick-start ones: "slack" when
// slack.channel is set, "discord" when discord.channel_id is set or
// discord.webhook_url is set and no entry posts through it (a discord
// entry without id), and "console" (printing to standard output)
// when there is no channel at all. Feeds are the feeds entries, then
// feed_url, which posts to every channel; a feed without channels posts to
// every channel. Resolve does not validate: call Validate first.
func (c *Config) Resolve() ([]FeedPlan, []Channel) {
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
	all := make([]string, len(chans))
	for i, ch := range chans {
		all[i] = ch.Name
	}

	feeds := make([]FeedPlan, 0, len(c.Feeds)+1)
	for _, f := range c.Feeds {
		p := FeedPlan{URL: f.URL, Name: f.Name, Interval: c.Interval.D(), DeliverNewest: c.DeliverNewest, Channels: clone(all)}
		if f.Interval != 0 {
			p.Interval = f.Interval.D()
		}
		if f.DeliverNewest != nil {
			p.DeliverNewest = *f.DeliverNewest
		}
		if len(f.Channels) > 0 {
			p.Channels = clone(f.Channels)
		}
		p.RespectTTL = c.RespectTTL
		if f.RespectTTL != nil {
			p.RespectTTL = *f.RespectTTL
		}
		p.GhostWebhookSecret, p.GhostContentAPIKey = c.Ghost.WebhookSecret, c.Ghost.ContentAPIKey
		if f.Ghost != nil {
			if f.Ghost.WebhookSecret != "" {
				p.GhostWebhookSecret = f.Ghost.WebhookSecret
			}
			if f.Ghost.ContentAPIKey != "" {
				p.GhostContentAPIKey = f.Ghost.ContentAPIKey
			}
		}
		feeds = append(feeds, p)
	}
	if c.FeedURL != "" {
		feeds = append(feeds, FeedPlan{URL: c.FeedURL, Interval: c.Interval.D(), DeliverNewest: c.DeliverNewest, Channels: clone(all),
			RespectTTL: c.RespectTTL, GhostWebhookSecret: c.Ghost.WebhookSecret, GhostContentAPIKey: c.Ghost.ContentAPIKey})
	}
	return feeds, chans
}

func orDefault(layout string) string {
	if layout == "" {
		return defaultLayout
	}
	return layout
}

// clone copies a list, so that no two plans share a slice the caller
// might change.
func clone(s []string) []string { return append([]string(nil), s...) }
