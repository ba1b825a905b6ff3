// Package config loads digestbot's settings: defaults, then a YAML file,
// then DIGESTBOT_* environment variables (and DIGESTBOT_*_FILE for values
// kept in files, such as Docker or Kubernetes secrets).
//
// Every scalar key has an environment variable named "DIGESTBOT_" plus the
// key's YAML path in upper case joined by "_": slack.bot_token is
// DIGESTBOT_SLACK_BOT_TOKEN. EnvVars lists them all. Load reads, Validate
// checks, Resolve turns the settings into the feeds and channels to run.
//
// The help tags below are the text of docs/configuration.md.
package config

import "time"

// Config is every setting of digestbot. Build it with Load or Default.
type Config struct {
	DB            DSN       `yaml:"db" help:"SQLite file path, or a postgres:// or postgresql:// URL to use PostgreSQL (several replicas can share one). The password is masked whenever the value is printed."`
	HTTPAddr      string    `yaml:"http_addr" help:"host:port for the HTTP server (health, metrics, Slack and Discord interaction endpoints); \"\" or off disables it."`
	LogLevel      string    `yaml:"log_level" help:"debug, info, warn or error."`
	LogFormat     string    `yaml:"log_format" help:"auto (text when standard error is a terminal, JSON otherwise), json or text."`
	ReplicaID     string    `yaml:"replica_id" help:"Name of this replica in leases and logs; empty means hostname-pid."`
	FeedURL       string    `yaml:"feed_url" help:"Quick start: one feed that posts to every channel, added to feeds."`
	Interval      Duration  `yaml:"interval" help:"How often feeds are polled, unless a feed sets its own; at least 1m."`
	DeliverNewest int       `yaml:"deliver_newest" help:"On a feed's first poll, deliver only its newest N issues and archive the rest; 0 archives all."`
	Markers       []string  `yaml:"markers" help:"Extra section markers for every feed (the whole text of a paragraph or heading that opens a section of short items, such as \"Dispatches\"), trusted before the built-in ones; comma-separated in the environment."`
	UserAgent     string    `yaml:"user_agent" help:"User-Agent sent when fetching feeds; empty uses the fetcher's own."`
	FetchTimeout  Duration  `yaml:"fetch_timeout" help:"Time limit of one feed request."`
	MaxFeedBytes  int64     `yaml:"max_feed_bytes" help:"Largest feed body read, in bytes."`
	Outbox        Outbox    `yaml:"outbox"`
	Feeds         []Feed    `yaml:"feeds"`
	Channels      []Channel `yaml:"channels"`
	Slack         Slack     `yaml:"slack"`
	Discord       Discord   `yaml:"discord"`

	// Push on publish (Ghost webhooks, WebSub) and polling politeness.
	RespectTTL     bool   `yaml:"respect_ttl" help:"Let a feed's <ttl> (Ghost says 60 minutes) or Cache-Control max-age lengthen its poll interval; false polls at the configured interval."`
	PublicURL      string `yaml:"public_url" help:"The bot's public base URL (https://digestbot.example.org), reachable by WebSub hubs; needed to subscribe to feeds that name a hub. Empty: no WebSub."`
	EditorsChannel string `yaml:"editors_channel" help:"Name of a channel that receives a preview of how a scheduled Ghost post will be split; empty: no previews."`
	Ghost          Ghost  `yaml:"ghost"`

	// Alerts: trouble told to a person in chat.
	AlertsChannel   string `yaml:"alerts_channel" help:"Where alerts go (a feed failing, a post given up, an issue without its roundup, the database refusing writes): the name of a channel (as in channels, or slack / discord for the quick-start ones), or slack:C0123ABCD or discord:<channel id>. Empty: alerts only in the log."`
	AlertsFailAfter int    `yaml:"alerts_fail_after" help:"Failed polls in a row after which a feed counts as failing and is reported in alerts_channel."`

	// Egress policy (feeds.Egress).
	AllowPrivateFeeds bool     `yaml:"allow_private_feeds" help:"Let the feeds of this file and the environment (not those subscribed from chat) reach any address, private ones included (loopback, private, link-local…)."`
	AllowPrivateHosts []string `yaml:"allow_private_hosts" help:"Private hosts every feed may reach, including feeds subscribed from chat: host names, IP addresses or CIDR prefixes such as 10.1.0.0/16; comma-separated in the environment."`

	// Source is the file the settings were read from; "" when none.
	Source string `yaml:"-"`
	// Warnings are about keys set that no longer do anything (see
	// deprecatedKeys): the settings load, the key is ignored.
	Warnings []string `yaml:"-"`
}

// Outbox tunes delivery of posts.
type Outbox struct {
	MaxAttempts int `yaml:"max_attempts" help:"Attempts at one post before it is marked failed."`
	// Batch is deprecated (see deprecatedKeys): read and ignored.
	Batch any `yaml:"batch,omitempty" deprecated:"true"`
}

// Feed is one newsletter feed to poll.
type Feed struct {
	URL           string     `yaml:"url"`                      // http(s) URL, file:// URL or local path
	Name          string     `yaml:"name,omitempty"`           // display name; "" uses the feed's title
	Interval      Duration   `yaml:"interval,omitempty"`       // 0 uses Config.Interval
	Channels      []string   `yaml:"channels,omitempty"`       // names of channels; empty means all
	DeliverNewest *int       `yaml:"deliver_newest,omitempty"` // nil uses Config.DeliverNewest
	RespectTTL    *bool      `yaml:"respect_ttl,omitempty"`    // nil uses Config.RespectTTL
	Ghost         *FeedGhost `yaml:"ghost,omitempty"`          // this feed's Ghost site, when several are configured
	Split         string     `yaml:"split,omitempty"`          // auto (default), marker or off
	Markers       []string   `yaml:"markers,omitempty"`        // this feed's section markers, beside markers
	Drop          []string   `yaml:"drop,omitempty"`           // text patterns of paragraphs to drop; /regexp/ allowed
}

// Split modes of feeds[].split.
const (
	SplitAuto   = "auto"
	SplitMarker = "marker"
	SplitOff    = "off"
)

// Ghost holds the settings for a Ghost site's webhooks and Content API.
type Ghost struct {
	WebhookSecret    Secret `yaml:"webhook_secret" help:"Secret of the Ghost custom integration's webhooks (Settings → Integrations); POST /ghost/webhook accepts only requests signed with it."`
	LegacySignatures bool   `yaml:"legacy_signatures" help:"Also accept webhooks signed the pre-2024 way (body only, timestamp unsigned): only for Ghost versions from before mid-2024."`
	ContentAPIKey    Secret `yaml:"content_api_key" help:"Content API key of the Ghost custom integration; lets backfill read every post, not only the newest 15 in the feed."`
}

// FeedGhost is one feed's own Ghost credentials, for configurations with
// several Ghost sites. Empty fields use the ghost section's.
type FeedGhost struct {
	WebhookSecret Secret `yaml:"webhook_secret,omitempty"`
	ContentAPIKey Secret `yaml:"content_api_key,omitempty"`
}

// Channel is one place posts go to.
type Channel struct {
	Name     string `yaml:"name"`                // unique; feeds refer to it
	Platform string `yaml:"platform"`            // slack, discord or console
	Target   string `yaml:"id,omitempty"`        // the platform's channel id: Slack C0123ABCD or a Discord channel id; "" for console or the Discord webhook
	Layout   string `yaml:"layout"`              // thread (default), separate or combined
	Forum    bool   `yaml:"forum,omitempty"`     // a Discord forum channel: each issue opens a post
	OnRemove string `yaml:"on_remove,omitempty"` // delete (default) or keep: a message whose item left its issue, or whose issue was withdrawn
}

// Platforms.
const (
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
	PlatformConsole = "console"
)

// Command modes and reply modes.
const (
	CommandsSocket    = "socket"  // Slack Socket Mode
	CommandsGateway   = "gateway" // Discord gateway
	CommandsHTTP      = "http"    // signed HTTP interaction endpoint
	CommandsOff       = "off"
	RepliesEphemeral  = "ephemeral"
	RepliesInChannel  = "in_channel"
	defaultLayout     = "thread"
	defaultSlackAPI   = "https://slack.com/api/"
	defaultDiscordAPI = "https://discord.com/api/v10/"
)

// Slack holds the Slack app's settings.
type Slack struct {
	BotToken      Secret `yaml:"bot_token" help:"Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page; needed to post."`
	SigningSecret Secret `yaml:"signing_secret" help:"Signing Secret from the app's Basic Information page; needed for commands over HTTP."`
	AppToken      Secret `yaml:"app_token" help:"App-Level Token (xapp-…, scope connections:write); needed for commands over Socket Mode."`
	Channel       string `yaml:"channel" help:"Quick start: a Slack channel id (C0123ABCD) to post to, as the channel named slack."`
	Layout        string `yaml:"layout" help:"Layout of the quick-start channel: thread, separate or combined."`
	Commands      string `yaml:"commands" help:"How /digest arrives: socket, http or off. Empty means socket with an app token, else http with a signing secret, else off."`
	APIURL        string `yaml:"api_url" help:"Slack Web API base URL (change only for tests or a proxy)."`
	Replies       string `yaml:"replies" help:"Command answers: ephemeral (only the asker sees them) or in_channel."`

	Admins []string `yaml:"admins" help:"Slack user ids (U0123ABCD) who may manage feeds from chat, beside workspace admins and owners; comma-separated in the environment."`
}

// Discord holds the Discord application's settings.
type Discord struct {
	BotToken   Secret `yaml:"bot_token" help:"Bot token from the Developer Portal's Bot page; needed to post to channel ids and for gateway commands."`
	AppID      string `yaml:"app_id" help:"Application ID from the Developer Portal's General Information page; needed for commands."`
	PublicKey  string `yaml:"public_key" help:"Public Key (64 hex characters) from General Information; needed for commands over HTTP."`
	GuildID    string `yaml:"guild_id" help:"Server id to register /digest in (instant); empty registers it globally."`
	ChannelID  string `yaml:"channel_id" help:"Quick start: a Discord channel id to post to, as the channel named discord."`
	WebhookURL Secret `yaml:"webhook_url" help:"Channel webhook URL: posts without a bot token (to the channel named discord when channel_id is empty)."`
	Layout     string `yaml:"layout" help:"Layout of the quick-start channel: thread, separate or combined."`
	Commands   string `yaml:"commands" help:"How /digest arrives: gateway, http or off. Empty means gateway with a bot token, else http with a public key, else off."`
	APIURL     string `yaml:"api_url" help:"Discord REST API base URL (change only for tests or a proxy)."`
	Replies    string `yaml:"replies" help:"Command answers: ephemeral (only the asker sees them) or in_channel."`
	Forum      bool   `yaml:"forum" help:"The quick-start channel is a forum channel: each issue opens a forum post."`

	Admins []string `yaml:"admins" help:"Discord user ids who may manage feeds from chat, beside members with Manage Server or Manage Channels; comma-separated in the environment."`
}

// Default returns the settings used when neither file nor environment
// says otherwise.
func Default() *Config {
	c := &Config{
		DB:            "digestbot.db",
		HTTPAddr:      ":8080",
		LogLevel:      "info",
		LogFormat:     "auto",
		Interval:      Duration(5 * time.Minute),
		DeliverNewest: 1,
		FetchTimeout:  Duration(30 * time.Second),
		MaxFeedBytes:  10 << 20,
		Outbox:        Outbox{MaxAttempts: 12},
		Slack:         Slack{Layout: defaultLayout, APIURL: defaultSlackAPI, Replies: RepliesEphemeral},
		Discord:       Discord{Layout: defaultLayout, APIURL: defaultDiscordAPI, Replies: RepliesEphemeral},
	}
	c.AlertsFailAfter = 3
	return c
}
