package config

import (
	"strings"
	"testing"
	"time"
)

// secretMark is in every secret of validBase: no error text may hold it.
const secretMark = "SEKRET"

// validBase returns a full, valid configuration whose secrets all hold
// secretMark.
func validBase() *Config {
	c := Default()
	c.DB = "postgres://bot:" + secretMark + "@db:5432/digest"
	c.Feeds = []Feed{{URL: "https://news.example.org/rss/"}}
	c.Channels = []Channel{
		{Name: "team-slack", Platform: "slack", Target: "C0123ABCD", Layout: "thread"},
		{Name: "team-discord", Platform: "discord", Target: "112233445566778899", Layout: "separate"},
	}
	c.Slack.BotToken = "xoxb-" + secretMark + "-bot"
	c.Slack.AppToken = "xapp-" + secretMark + "-app"
	c.Slack.SigningSecret = secretMark + "-signing"
	c.Slack.Commands = "socket"
	c.Discord.BotToken = secretMark + "-discord-bot"
	c.Discord.AppID = "998877665544332211"
	c.Discord.PublicKey = strings.Repeat("ab", 32)
	c.Discord.WebhookURL = Secret("https://discord.com/api/webhooks/123/" + secretMark)
	c.Discord.Commands = "gateway"
	return c
}

func TestValidateBaseIsValid(t *testing.T) {
	if err := validBase().Validate(); err != nil {
		t.Fatalf("Validate(validBase) = %v, want nil", err)
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"file URL feed", func(c *Config) { c.Feeds[0].URL = "file:///srv/feed.xml" }},
		{"relative path feed", func(c *Config) { c.Feeds[0].URL = "testdata/feed.xml" }},
		{"windows path feed", func(c *Config) { c.Feeds[0].URL = `C:\feeds\feed.xml` }},
		{"feed split settings", func(c *Config) {
			c.Feeds[0].Split = "marker"
			c.Feeds[0].Markers = []string{"Quick hits"}
			c.Feeds[0].Drop = []string{"Sponsored by", `/^ad:/`}
		}},
		{"feed_url only", func(c *Config) { c.Feeds = nil; c.FeedURL = "http://localhost:8000/rss" }},
		{"feed_url beside feeds", func(c *Config) { c.FeedURL = "https://other.example.org/rss/" }},
		{"sqlite db", func(c *Config) { c.DB = "/var/lib/digestbot/d.db" }},
		{"postgres over a socket", func(c *Config) { c.DB = "postgresql:///digest?host=/run/postgresql" }},
		{"http off, commands not http", func(c *Config) { c.HTTPAddr = "off" }},
		{"http empty", func(c *Config) { c.HTTPAddr = "" }},
		{"http ipv6", func(c *Config) { c.HTTPAddr = "[::1]:8080" }},
		{"deliver_newest 0", func(c *Config) { c.DeliverNewest = 0; z := 0; c.Feeds[0].DeliverNewest = &z }},
		{"interval exactly 1m", func(c *Config) { c.Interval = Duration(time.Minute); c.Feeds[0].Interval = Duration(time.Minute) }},
		{"webhook-only discord without bot token", func(c *Config) {
			c.Discord.BotToken = ""
			c.Discord.Commands = "off"
			c.Channels[1].Target = ""
		}},
		{"quick-start channels", func(c *Config) {
			c.Channels = nil
			c.Slack.Channel = "G01ABCDEF"
			c.Discord.ChannelID = "112233445566778899"
			c.Discord.Forum = true
			c.Feeds[0].Channels = []string{"slack", "discord"}
		}},
		{"console only, no credentials", func(c *Config) {
			*c = *Default()
			c.Slack.Commands, c.Discord.Commands = "off", "off"
			c.FeedURL = "https://news.example.org/rss/"
		}},
		{"http commands", func(c *Config) { c.Slack.Commands = "http"; c.Discord.Commands = "http" }},
		{"egress allow lists and admins", func(c *Config) {
			c.AllowPrivateFeeds = true
			c.AllowPrivateHosts = []string{"feeds.internal", "10.0.0.7", "10.1.0.0/16", "fd00::/8", "[fd00::7]", "rss.corp."}
			c.Slack.Admins = []string{"U0123ABCD", "W0123ABCD"}
			c.Discord.Admins = []string{"112233445566778899"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validBase()
			tc.mutate(c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		key    string // the key the problem must name
		want   string // and a part of its text
	}{
		{"no feed", func(c *Config) { c.Feeds = nil }, "feed_url", "no feed"},
		{"feed scheme", func(c *Config) { c.Feeds[0].URL = "ftp://x.org/rss" }, "feeds[0].url", `scheme "ftp"`},
		{"feed empty", func(c *Config) { c.Feeds[0].URL = " " }, "feeds[0].url", "is empty"},
		{"feed no host", func(c *Config) { c.Feeds[0].URL = "https:///rss" }, "feeds[0].url", "no host"},
		{"feed_url scheme", func(c *Config) { c.FeedURL = "javascript:alert(1)" }, "feed_url", "http(s) URL"},
		{"feed repeated", func(c *Config) { c.FeedURL = c.Feeds[0].URL }, "feed_url", "repeats feeds[0].url"},
		{"interval short", func(c *Config) { c.Interval = Duration(30 * time.Second) }, "interval", "at least 1m"},
		{"feed interval short", func(c *Config) { c.Feeds[0].Interval = Duration(time.Second) }, "feeds[0].interval", "at least 1m"},
		{"deliver_newest", func(c *Config) { c.DeliverNewest = -1 }, "deliver_newest", "negative"},
		{"feed deliver_newest", func(c *Config) { n := -2; c.Feeds[0].DeliverNewest = &n }, "feeds[0].deliver_newest", "negative"},
		{"feed split mode", func(c *Config) { c.Feeds[0].Split = "always" }, "feeds[0].split", "auto"},
		{"feed marker punctuation only", func(c *Config) { c.Feeds[0].Markers = []string{"Quick hits", "***"} }, "feeds[0].markers[1]", "no letters"},
		{"feed drop bad regexp", func(c *Config) { c.Feeds[0].Drop = []string{"/spons(ored/"} }, "feeds[0].drop[0]", "not a valid regular expression"},
		{"feed drop empty", func(c *Config) { c.Feeds[0].Drop = []string{" "} }, "feeds[0].drop[0]", "is empty"},
		{"feed channel unknown", func(c *Config) { c.Feeds[0].Channels = []string{"team-slack", "tean-discord"} }, "feeds[0].channels[1]", `"tean-discord" is no channel: want one of "team-slack", "team-discord"`},
		{"outbox attempts", func(c *Config) { c.Outbox.MaxAttempts = 0 }, "outbox.max_attempts", "below 1"},
		{"http_addr no port", func(c *Config) { c.HTTPAddr = "8080" }, "http_addr", ":8080"},
		{"http_addr bad port", func(c *Config) { c.HTTPAddr = "localhost:http" }, "http_addr", "host:port"},
		{"http_addr off with http commands", func(c *Config) { c.HTTPAddr = "off"; c.Slack.Commands = "http" }, "http_addr", `slack.commands is "http"`},
		{"log level", func(c *Config) { c.LogLevel = "verbose" }, "log_level", "debug, info, warn or error"},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, "log_format", "auto, json or text"},
		{"db empty", func(c *Config) { c.DB = "" }, "db", "is empty"},
		{"db bad postgres URL", func(c *Config) { c.DB = "postgres://bot:" + secretMark + "%zz@db/x" }, "db", "not a valid PostgreSQL URL"},
		{"markers empty entry", func(c *Config) { c.Markers = []string{"Roundup:", " "} }, "markers", "entry 1 is empty"},
		{"user agent newline", func(c *Config) { c.UserAgent = "bot\r\nX-Evil: 1" }, "user_agent", "line break"},
		{"fetch timeout", func(c *Config) { c.FetchTimeout = 0 }, "fetch_timeout", "not positive"},
		{"max feed bytes", func(c *Config) { c.MaxFeedBytes = 0 }, "max_feed_bytes", "not positive"},
		{"allow_private_hosts URL", func(c *Config) { c.AllowPrivateHosts = []string{"http://feeds.internal/"} }, "allow_private_hosts", "is a URL, not a host name"},
		{"allow_private_hosts CIDR", func(c *Config) { c.AllowPrivateHosts = []string{"10.0.0.0/40"} }, "allow_private_hosts", "CIDR"},
		{"allow_private_hosts port", func(c *Config) { c.AllowPrivateHosts = []string{"feeds.internal:8080"} }, "allow_private_hosts", "no scheme or port"},
		{"slack admins", func(c *Config) { c.Slack.Admins = []string{"@alice"} }, "slack.admins", "U0123ABCD"},
		{"discord admins", func(c *Config) { c.Discord.Admins = []string{"alice#1234"} }, "discord.admins", "15 to 20 digits"},

		{"slack bot token prefix", func(c *Config) { c.Slack.BotToken = secretMark + "-not-xoxb" }, "slack.bot_token", `must start with "xoxb-"`},
		{"slack app token prefix", func(c *Config) { c.Slack.AppToken = "xoxb-" + secretMark }, "slack.app_token", `must start with "xapp-"`},
		{"slack socket without app token", func(c *Config) { c.Slack.AppToken = "" }, "slack.app_token", `needed for slack.commands "socket"`},
		{"slack http without signing secret", func(c *Config) { c.Slack.Commands = "http"; c.Slack.SigningSecret = "" }, "slack.signing_secret", `needed for slack.commands "http"`},
		{"slack commands mode", func(c *Config) { c.Slack.Commands = "events" }, "slack.commands", "socket, http or off"},
		{"slack layout", func(c *Config) { c.Slack.Layout = "threaded" }, "slack.layout", "thread, separate or combined"},
		{"slack replies", func(c *Config) { c.Slack.Replies = "public" }, "slack.replies", "ephemeral or in_channel"},
		{"slack api url", func(c *Config) { c.Slack.APIURL = "slack.com/api" }, "slack.api_url", "https://slack.com/api/"},
		{"slack channel id", func(c *Config) { c.Slack.Channel = "#general" }, "slack.channel", "C0123ABCD"},
		{"slack channel without bot token", func(c *Config) { c.Channels = nil; c.Slack.Channel = "C0123ABCD"; c.Slack.BotToken = "" }, "slack.bot_token", "slack.channel"},

		{"discord gateway without bot token", func(c *Config) { c.Discord.BotToken = ""; c.Channels = c.Channels[:1] }, "discord.bot_token", `needed for discord.commands "gateway"`},
		{"discord gateway without app id", func(c *Config) { c.Discord.AppID = "" }, "discord.app_id", `needed for discord.commands "gateway"`},
		{"discord http without public key", func(c *Config) { c.Discord.Commands = "http"; c.Discord.PublicKey = "" }, "discord.public_key", `needed for discord.commands "http"`},
		{"discord http without app id", func(c *Config) { c.Discord.Commands = "http"; c.Discord.AppID = "" }, "discord.app_id", `needed for discord.commands "http"`},
		{"discord public key", func(c *Config) { c.Discord.PublicKey = "abc" }, "discord.public_key", "64 hex"},
		{"discord app id", func(c *Config) { c.Discord.AppID = "my-app" }, "discord.app_id", "15 to 20 digits"},
		{"discord guild id", func(c *Config) { c.Discord.GuildID = "12" }, "discord.guild_id", "15 to 20 digits"},
		{"discord commands mode", func(c *Config) { c.Discord.Commands = "socket" }, "discord.commands", "gateway, http or off"},
		{"discord layout", func(c *Config) { c.Discord.Layout = "" }, "discord.layout", "thread, separate or combined"},
		{"discord replies", func(c *Config) { c.Discord.Replies = "loud" }, "discord.replies", "ephemeral or in_channel"},
		{"discord api url", func(c *Config) { c.Discord.APIURL = "" }, "discord.api_url", "https://discord.com/api/v10/"},
		{"discord webhook url", func(c *Config) { c.Discord.WebhookURL = Secret("https://discord.com/" + secretMark) }, "discord.webhook_url", "api/webhooks"},
		{"discord channel id", func(c *Config) { c.Discord.ChannelID = "general" }, "discord.channel_id", "15 to 20 digits"},
		{"discord channel without bot token", func(c *Config) {
			c.Discord.ChannelID = "112233445566778899"
			c.Discord.BotToken = ""
			c.Discord.Commands = "off"
			c.Channels = c.Channels[:1]
		}, "discord.bot_token", "discord.channel_id"},
		{"discord forum without channel", func(c *Config) { c.Discord.Forum = true; c.Discord.WebhookURL = "" }, "discord.forum", "no quick-start channel"},

		{"channel name empty", func(c *Config) { c.Channels[0].Name = "" }, "channels[0].name", "is empty"},
		{"channel name twice", func(c *Config) { c.Channels[1].Name = "team-slack" }, "channels[1].name", "names two channels"},
		{"channel name taken by quick start", func(c *Config) { c.Channels[0].Name = "slack"; c.Slack.Channel = "C0123ABCD" }, "channels", "quick-start"},
		{"channel platform", func(c *Config) { c.Channels[0].Platform = "teams" }, "channels[0].platform", "slack, discord or console"},
		{"channel layout", func(c *Config) { c.Channels[0].Layout = "flat" }, "channels[0].layout", "thread, separate or combined"},
		{"channel slack id", func(c *Config) { c.Channels[0].Target = "general" }, "channels[0].id", "C0123ABCD"},
		{"channel slack id missing", func(c *Config) { c.Channels[0].Target = "" }, "channels[0].id", "C0123ABCD"},
		{"channel slack without bot token", func(c *Config) { c.Slack.BotToken = "" }, "slack.bot_token", `slack channel "team-slack"`},
		{"channel discord id", func(c *Config) { c.Channels[1].Target = "#news" }, "channels[1].id", "15 to 20 digits"},
		{"channel discord without id or webhook", func(c *Config) { c.Channels[1].Target = ""; c.Discord.WebhookURL = "" }, "channels[1].id", "webhook_url"},
		{"channel discord without bot token", func(c *Config) { c.Discord.BotToken = ""; c.Discord.Commands = "off" }, "discord.bot_token", `discord channel "team-discord"`},
		{"two channels, one slack channel", func(c *Config) { c.Slack.Channel = "C0123ABCD" }, "channels", `"team-slack" and "slack" both post to slack channel C0123ABCD`},
		{"two channels, one webhook", func(c *Config) {
			c.Channels = append(c.Channels, Channel{Name: "hook1", Platform: "discord", Layout: "thread"}, Channel{Name: "hook2", Platform: "discord", Layout: "thread"})
		}, "channels", "webhook (discord.webhook_url)"},
		{"channel forum on slack", func(c *Config) { c.Channels[0].Forum = true }, "channels[0].forum", "only for discord"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validBase()
			tc.mutate(c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate = nil, want a problem with %s", tc.key)
			}
			ps := problemsOf(t, err)
			p := findProblem(ps, tc.key, tc.want)
			if p == nil {
				t.Fatalf("Validate = %v\nwant a problem with key %s containing %q", err, tc.key, tc.want)
			}
			if env := envName(tc.key); env != "" && !strings.Contains(p.Error(), "("+env+")") {
				t.Errorf("problem %q does not name %s", p, env)
			}
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("Validate's error shows a secret:\n%v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := validBase()
	c.LogLevel = "loud"
	c.Outbox.MaxAttempts = -1
	c.Slack.BotToken = "wrong"
	c.Channels[1].Platform = "irc"
	ps := problemsOf(t, c.Validate())
	for _, key := range []string{"log_level", "outbox.max_attempts", "slack.bot_token", "channels[1].platform"} {
		if findProblem(ps, key, "") == nil {
			t.Errorf("no problem reported for %s; got %v", key, ps)
		}
	}
	if len(ps) != 4 {
		t.Errorf("got %d problems, want 4: %v", len(ps), ps)
	}
}

func TestValidateMessageFormat(t *testing.T) {
	c := validBase()
	c.Slack.BotToken = "oops"
	got := c.Validate().Error()
	want := `config: slack.bot_token (DIGESTBOT_SLACK_BOT_TOKEN): must start with "xoxb-"`
	if !strings.HasPrefix(got, want) {
		t.Errorf("error = %q, want it to start with %q", got, want)
	}
}
