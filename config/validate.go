package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"digestbot/bot"
)

// MinInterval is the shortest poll interval allowed.
const MinInterval = time.Minute

// Problem is one thing Validate found wrong. Its text names the key, its
// environment variable when it has one, and what a right value looks like;
// it never holds a secret's value.
type Problem struct {
	Key string // slack.bot_token, feeds[0].url
	Env string // DIGESTBOT_SLACK_BOT_TOKEN, or "" for keys only a file can set
	Msg string
}

func (p *Problem) Error() string {
	if p.Env == "" {
		return "config: " + p.Key + ": " + p.Msg
	}
	return "config: " + p.Key + " (" + p.Env + "): " + p.Msg
}

var (
	slackIDRe   = regexp.MustCompile(`^[CGD][A-Z0-9]{6,20}$`)
	snowflakeRe = regexp.MustCompile(`^[0-9]{15,20}$`)
	hexKeyRe    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	slackUserRe = regexp.MustCompile(`^[UW][A-Z0-9]{6,20}$`)
	hostNameRe  = regexp.MustCompile(`^(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$`)
)

// Advice reused by several checks.
const (
	layoutWant    = "thread, separate or combined"
	repliesWant   = "ephemeral or in_channel"
	slackIDWant   = "a Slack channel id such as C0123ABCD (channel details → About, at the bottom)"
	snowflakeWant = "a Discord id: 15 to 20 digits (Developer Mode on, right-click → Copy ID)"
)

// problems collects Problems.
type problems []error

func (ps *problems) add(key, format string, args ...any) {
	*ps = append(*ps, &Problem{Key: key, Env: envName(key), Msg: fmt.Sprintf(format, args...)})
}

// Validate checks every setting and returns all problems at once, joined
// with errors.Join (each a *Problem), or nil.
func (c *Config) Validate() error {
	var ps problems
	chans := c.channels()
	c.validateGeneral(&ps)
	c.validateFeeds(&ps, chans)
	c.validateSlack(&ps)
	c.validateDiscord(&ps)
	c.validateChannels(&ps, chans)
	c.validateAlerts(&ps)
	c.validatePush(&ps, chans)
	return errors.Join(ps...)
}

func (c *Config) validateGeneral(ps *problems) {
	switch {
	case c.DB == "":
		ps.add("db", `is empty: give a SQLite file path such as digestbot.db, or postgres://user:password@host:5432/digestbot`)
	case c.DB.IsPostgres():
		// postgres:///digest?host=/run/postgresql (a socket) has no host.
		if _, err := url.Parse(c.DB.Value()); err != nil {
			// url.Parse's error quotes the URL, password and all: not shown.
			ps.add("db", `is not a valid PostgreSQL URL: want postgres://user:password@host:5432/digestbot (escape special characters in the password with %%XX)`)
		}
	default:
		if msg := sqlitePathProblem(c.DB.Value()); msg != "" {
			ps.add("db", "%s", msg)
		}
	}
	if a := c.HTTPAddr; a != "" && a != "off" {
		host, port, err := net.SplitHostPort(a)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
			ps.add("http_addr", `%q is not host:port: want such as :8080 or 127.0.0.1:8080, or off to disable the HTTP server`, a)
		}
	}
	if !oneOf(c.LogLevel, "debug", "info", "warn", "error") {
		ps.add("log_level", `%q is not a level: want debug, info, warn or error`, c.LogLevel)
	}
	if !oneOf(c.LogFormat, "auto", "", "json", "text") {
		ps.add("log_format", `%q is not a format: want auto, json or text`, c.LogFormat)
	}
	if c.Interval.D() < MinInterval {
		ps.add("interval", `%s is too short: want at least 1m, such as 5m`, c.Interval)
	}
	if c.DeliverNewest < 0 {
		ps.add("deliver_newest", `%d is negative: want 0 (archive a new feed's backlog without posting) or more (post the newest N)`, c.DeliverNewest)
	}
	for i, m := range c.Markers {
		if strings.TrimSpace(m) == "" {
			ps.add("markers", `entry %d is empty: want the text that opens a roundup, such as "Here's a roundup of other noteworthy news"`, i)
		}
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		ps.add("user_agent", `holds a line break: want one line such as "digestbot/1.0 (+https://example.org/bot)"`)
	}
	if c.FetchTimeout.D() <= 0 {
		ps.add("fetch_timeout", `%s is not positive: want such as 30s`, c.FetchTimeout)
	}
	if c.MaxFeedBytes <= 0 {
		ps.add("max_feed_bytes", `%d is not positive: want a size in bytes such as 10485760 (10 MiB)`, c.MaxFeedBytes)
	}
	for _, h := range c.AllowPrivateHosts {
		if msg := allowHostProblem(h); msg != "" {
			ps.add("allow_private_hosts", "%s", msg)
		}
	}
	if c.Outbox.MaxAttempts < 1 {
		ps.add("outbox.max_attempts", `%d is below 1: want the number of tries per post, such as 12`, c.Outbox.MaxAttempts)
	}
}

func (c *Config) validateFeeds(ps *problems, chans []Channel) {
	if len(c.Feeds) == 0 && c.FeedURL == "" {
		ps.add("feed_url", `no feed is configured: set feed_url to the newsletter's feed, such as https://newsletter.example.org/rss/, or list feeds in the config file`)
	}
	seen := map[string]string{}
	check := func(key, u string) {
		if msg := feedURLProblem(u); msg != "" {
			ps.add(key, "%s", msg)
			return
		}
		if prev, dup := seen[u]; dup {
			ps.add(key, `repeats %s: list each feed once and give it several channels`, prev)
			return
		}
		seen[u] = key
	}
	names := map[string]bool{}
	for _, ch := range chans {
		names[ch.Name] = true
	}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		check(key+".url", f.URL)
		if f.Interval != 0 && f.Interval.D() < MinInterval {
			ps.add(key+".interval", `%s is too short: want at least 1m, or leave it out to use interval`, f.Interval)
		}
		if f.DeliverNewest != nil && *f.DeliverNewest < 0 {
			ps.add(key+".deliver_newest", `%d is negative: want 0 or more, or leave it out to use deliver_newest`, *f.DeliverNewest)
		}
		switch f.Split {
		case "", SplitAuto, SplitMarker, SplitOff:
		default:
			ps.add(key+".split", `%q is not a split mode: want auto (markers, then headings followed by links), marker (markers only) or off (keep every issue whole)`, f.Split)
		}
		for j, m := range f.Markers {
			if !hasAlnum(m) {
				ps.add(fmt.Sprintf("%s.markers[%d]", key, j), `%q has no letters or digits: want the whole text of the heading or paragraph that opens a section, such as "Quick hits"`, m)
			}
		}
		for j, d := range f.Drop {
			if msg := dropProblem(d); msg != "" {
				ps.add(fmt.Sprintf("%s.drop[%d]", key, j), "%s", msg)
			}
		}
		for j, name := range f.Channels {
			if !names[name] {
				ps.add(fmt.Sprintf("%s.channels[%d]", key, j), `%q is no channel: want one of %s`, name, quoteList(chans))
			}
		}
	}
	if c.FeedURL != "" {
		check("feed_url", c.FeedURL)
	}
}

// sqlitePathProblem says why a db value that is not a PostgreSQL URL
// cannot be a SQLite file path, or "". It never repeats the value: a
// mistaken DSN may hold a password.
func sqlitePathProblem(s string) string {
	switch {
	case keywordDSN.MatchString(s):
		return `looks like a PostgreSQL keyword string (host=… user=… password=…), which would be taken as a SQLite file name: write it as a URL, postgres://user:password@host:5432/digestbot`
	case strings.Contains(strings.ToLower(s), "://"):
		return `is a URL of an unsupported kind: want a SQLite file path such as digestbot.db, or postgres://user:password@host:5432/digestbot`
	case strings.Contains(s, ":memory:") || strings.HasPrefix(s, "file:"):
		return `must be a plain SQLite file path such as ./digestbot.db (in-memory databases and file: URIs are not supported)`
	case strings.ContainsAny(s, "?#"):
		return `must not contain '?' or '#': want a plain SQLite file path such as ./digestbot.db`
	}
	return ""
}

// keywordDSN matches a libpq keyword/value string: "host=db user=u …".
var keywordDSN = regexp.MustCompile(`(?i)^\s*(host|hostaddr|port|dbname|user|password|sslmode|service)\s*=`)

// feedURLProblem says what is wrong with a feed address, or "".
func feedURLProblem(s string) string {
	const want = `want an http(s) URL such as https://newsletter.example.org/rss/, a file:// URL or a local path`
	if strings.TrimSpace(s) == "" {
		return "is empty: " + want
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %s", s, want)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return fmt.Sprintf("%q has no host: %s", s, want)
		}
	case "file", "":
	default:
		if len(u.Scheme) > 1 { // C:\feeds\x.xml parses as scheme "c"
			return fmt.Sprintf("%q uses scheme %q: %s", s, u.Scheme, want)
		}
	}
	return ""
}

// whiteSpace reports a token holding a space, tab or line break (a
// copy-paste error the platform would refuse).
func whiteSpace(s Secret) bool { return strings.ContainsAny(s.Value(), " \t\r\n") }

func (c *Config) validateSlack(ps *problems) {
	s := c.Slack
	if whiteSpace(s.BotToken) {
		ps.add("slack.bot_token", `contains white space: copy the Bot User OAuth Token (xoxb-…) again from your Slack app's OAuth & Permissions page`)
	}
	if whiteSpace(s.AppToken) {
		ps.add("slack.app_token", `contains white space: copy the App-Level Token (xapp-…) again from your Slack app's Basic Information page`)
	}
	if whiteSpace(s.SigningSecret) {
		ps.add("slack.signing_secret", `contains white space: copy the Signing Secret again from your Slack app's Basic Information page`)
	}
	for _, id := range s.Admins {
		if !slackUserRe.MatchString(id) {
			ps.add("slack.admins", `%q is not a Slack user id: want such as U0123ABCD (profile → ⋮ → Copy member ID)`, id)
		}
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken.Value(), "xoxb-") {
		ps.add("slack.bot_token", `must start with "xoxb-" (the Bot User OAuth Token from your Slack app's OAuth & Permissions page)`)
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken.Value(), "xapp-") {
		ps.add("slack.app_token", `must start with "xapp-" (an App-Level Token with scope connections:write, from your Slack app's Basic Information page)`)
	}
	if s.Channel != "" {
		if !slackIDRe.MatchString(s.Channel) {
			ps.add("slack.channel", `%q is not %s`, s.Channel, slackIDWant)
		}
		if s.BotToken == "" {
			ps.add("slack.bot_token", `is needed to post to slack.channel: set it to the Bot User OAuth Token (xoxb-…)`)
		}
	}
	if !oneOf(s.Layout, "thread", "separate", "combined") {
		ps.add("slack.layout", `%q is not a layout: want %s`, s.Layout, layoutWant)
	}
	if !oneOf(s.Replies, RepliesEphemeral, RepliesInChannel) {
		ps.add("slack.replies", `%q is not a reply mode: want %s`, s.Replies, repliesWant)
	}
	switch s.Commands {
	case CommandsSocket:
		if s.AppToken == "" {
			ps.add("slack.app_token", `is needed for slack.commands "socket": an App-Level Token (xapp-…); or set slack.commands to http or off`)
		}
	case CommandsHTTP:
		if s.SigningSecret == "" {
			ps.add("slack.signing_secret", `is needed for slack.commands "http": the Signing Secret from your Slack app's Basic Information page; or set slack.commands to socket or off`)
		}
		c.needHTTP(ps, "slack.commands")
	case CommandsOff:
	default:
		ps.add("slack.commands", `%q is not a mode: want socket, http or off`, s.Commands)
	}
	if !httpURL(s.APIURL) {
		ps.add("slack.api_url", `%q is not an http(s) URL: want %s`, bot.RedactURL(s.APIURL), defaultSlackAPI)
	}
}

func (c *Config) validateDiscord(ps *problems) {
	d := c.Discord
	for _, id := range d.Admins {
		if !snowflakeRe.MatchString(id) {
			ps.add("discord.admins", `%q is not a user id: want %s`, id, snowflakeWant)
		}
	}
	if d.AppID != "" && !snowflakeRe.MatchString(d.AppID) {
		ps.add("discord.app_id", `%q is not %s`, d.AppID, snowflakeWant)
	}
	if d.GuildID != "" && !snowflakeRe.MatchString(d.GuildID) {
		ps.add("discord.guild_id", `%q is not %s`, d.GuildID, snowflakeWant)
	}
	if d.PublicKey != "" && !hexKeyRe.MatchString(d.PublicKey) {
		ps.add("discord.public_key", `is not 64 hex characters: copy the Public Key from the Developer Portal's General Information page`)
	}
	if d.WebhookURL != "" && !discordWebhook(d.WebhookURL.Value()) {
		ps.add("discord.webhook_url", `is not a Discord webhook URL: want https://discord.com/api/webhooks/<id>/<token> (https, on discord.com), from the channel's Integrations → Webhooks → Copy Webhook URL`)
	}
	if t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d.BotToken.Value()), "Bot ")); strings.ContainsAny(t, " \t\r\n") {
		ps.add("discord.bot_token", `contains white space: copy the token again from the Developer Portal's Bot page`)
	}
	if d.ChannelID != "" {
		if !snowflakeRe.MatchString(d.ChannelID) {
			ps.add("discord.channel_id", `%q is not %s`, d.ChannelID, snowflakeWant)
		}
		if d.BotToken == "" {
			ps.add("discord.bot_token", `is needed to post to discord.channel_id: set it to the token from the Developer Portal's Bot page, or drop channel_id and post through discord.webhook_url`)
		}
	}
	if d.Forum && d.ChannelID == "" && d.WebhookURL == "" {
		ps.add("discord.forum", `is set but there is no quick-start channel: set discord.channel_id or discord.webhook_url`)
	}
	if !oneOf(d.Layout, "thread", "separate", "combined") {
		ps.add("discord.layout", `%q is not a layout: want %s`, d.Layout, layoutWant)
	}
	if !oneOf(d.Replies, RepliesEphemeral, RepliesInChannel) {
		ps.add("discord.replies", `%q is not a reply mode: want %s`, d.Replies, repliesWant)
	}
	switch d.Commands {
	case CommandsGateway:
		if d.BotToken == "" {
			ps.add("discord.bot_token", `is needed for discord.commands "gateway": the token from the Developer Portal's Bot page; or set discord.commands to http or off`)
		}
		if d.AppID == "" {
			ps.add("discord.app_id", `is needed for discord.commands "gateway": the Application ID from the Developer Portal's General Information page; or set discord.commands to off`)
		}
	case CommandsHTTP:
		if d.PublicKey == "" {
			ps.add("discord.public_key", `is needed for discord.commands "http": the Public Key (64 hex characters) from the Developer Portal's General Information page; or set discord.commands to gateway or off`)
		}
		if d.AppID == "" {
			ps.add("discord.app_id", `is needed for discord.commands "http": the Application ID from the Developer Portal's General Information page; or set discord.commands to off`)
		}
		c.needHTTP(ps, "discord.commands")
	case CommandsOff:
	default:
		ps.add("discord.commands", `%q is not a mode: want gateway, http or off`, d.Commands)
	}
	if u, err := url.Parse(d.APIURL); !httpURL(d.APIURL) || err != nil || u.User != nil {
		ps.add("discord.api_url", `%q is not an http(s) URL without user information: want %s`, bot.RedactURL(d.APIURL), defaultDiscordAPI)
	}
}

// needHTTP reports a commands mode that needs the HTTP server when it is off.
func (c *Config) needHTTP(ps *problems, key string) {
	if c.HTTPAddr == "" || c.HTTPAddr == "off" {
		ps.add("http_addr", `is off but %s is "http", which receives commands on the HTTP server: set http_addr such as :8080`, key)
	}
}

// validateChannels checks the channels entries; chans is c.channels(),
// the entries first, then the quick-start channels, whose own keys are
// checked with their platform.
func (c *Config) validateChannels(ps *problems, chans []Channel) {
	seen := map[string]bool{}
	for i, ch := range c.Channels {
		key := fmt.Sprintf("channels[%d]", i)
		switch {
		case strings.TrimSpace(ch.Name) == "":
			ps.add(key+".name", `is empty: want a short unique name such as team-slack, which feeds refer to`)
		case seen[ch.Name]:
			ps.add(key+".name", `%q names two channels: give each a unique name`, ch.Name)
		}
		seen[ch.Name] = true
		if !oneOf(ch.Layout, "thread", "separate", "combined") {
			ps.add(key+".layout", `%q is not a layout: want %s`, ch.Layout, layoutWant)
		}
		if !oneOf(ch.OnRemove, "", "delete", "keep") {
			ps.add(key+".on_remove", `%q is not a choice: want delete (the default: a message whose roundup item or issue was removed is deleted) or keep`, ch.OnRemove)
		}
		if ch.Forum && ch.Platform != PlatformDiscord {
			ps.add(key+".forum", `is only for discord channels`)
		}
		switch ch.Platform {
		case PlatformSlack:
			if !slackIDRe.MatchString(ch.Target) {
				ps.add(key+".id", `%q is not %s`, ch.Target, slackIDWant)
			}
			if c.Slack.BotToken == "" {
				ps.add("slack.bot_token", `is needed to post to slack channel %q: set it to the Bot User OAuth Token (xoxb-…)`, ch.Name)
			}
		case PlatformDiscord:
			switch {
			case ch.Target == "":
				if c.Discord.WebhookURL == "" {
					ps.add(key+".id", `is empty and discord.webhook_url is not set: want %s, or set discord.webhook_url to post through the webhook`, snowflakeWant)
				}
			case !snowflakeRe.MatchString(ch.Target):
				ps.add(key+".id", `%q is not %s`, ch.Target, snowflakeWant)
			case c.Discord.BotToken == "":
				ps.add("discord.bot_token", `is needed to post to discord channel %q: set it to the token from the Developer Portal's Bot page`, ch.Name)
			}
		case PlatformConsole:
		default:
			ps.add(key+".platform", `%q is not a platform: want slack, discord or console`, ch.Platform)
		}
	}
	for _, ch := range chans[len(c.Channels):] {
		if seen[ch.Name] {
			ps.add("channels", `%q is taken by the %s quick-start channel: rename the channels entry`, ch.Name, ch.Platform)
		}
	}
	// Two channels at one place would get every post twice.
	places := map[string]string{}
	for _, ch := range chans {
		if ch.Platform != PlatformSlack && ch.Platform != PlatformDiscord {
			continue
		}
		place := ch.Platform + " " + ch.Target
		if prev, dup := places[place]; dup {
			what := "channel " + ch.Target
			if ch.Target == "" {
				what = "webhook (discord.webhook_url)"
			}
			ps.add("channels", `%q and %q both post to %s %s: every post would go out twice; keep one`, prev, ch.Name, ch.Platform, what)
			continue
		}
		places[place] = ch.Name
	}
}

func oneOf(s string, want ...string) bool {
	for _, w := range want {
		if s == w {
			return true
		}
	}
	return false
}

// discordWebhook reports whether s is a webhook URL the Discord adapter
// accepts: https, on discord.com (or discordapp.com, ptb., canary.), no user
// information, path /api[/vN]/webhooks/<id>/<token>.
func discordWebhook(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme != "https" || u.User != nil {
		return false
	}
	switch strings.ToLower(u.Hostname()) {
	case "discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com":
	default:
		return false
	}
	return discordWebhookPath.MatchString(u.Path)
}

// discordWebhookPath is the adapter's webhookPath (adapters/discord).
var discordWebhookPath = regexp.MustCompile(`^/api(?:/v\d+)?/webhooks/(\d{1,20})/([A-Za-z0-9_.\-]{1,200})/?$`)

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func quoteList(chans []Channel) string {
	if len(chans) == 0 {
		return "(none configured)"
	}
	q := make([]string, len(chans))
	for i, ch := range chans {
		q[i] = strconv.Quote(ch.Name)
	}
	return strings.Join(q, ", ")
}

// allowHostProblem checks one allow_private_hosts entry: a host name, an
// IP address or a CIDR prefix (the forms feeds.ParseAllowList reads).
func allowHostProblem(h string) string {
	h = strings.TrimSpace(h)
	switch {
	case h == "":
		return "has an empty entry: want host names, IP addresses or CIDR prefixes, comma-separated"
	case strings.Contains(h, "://"):
		return fmt.Sprintf("%q is a URL, not a host name: give the host alone, such as feeds.internal", h)
	case strings.Contains(h, "/"):
		if _, err := netip.ParsePrefix(h); err != nil {
			return fmt.Sprintf("%q is not a CIDR prefix: want such as 10.1.0.0/16 or fd00::/8", h)
		}
	case strings.Contains(h, ":"):
		if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err != nil {
			return fmt.Sprintf("%q is not an IP address or host name (no scheme or port): want such as feeds.internal, 10.0.0.7 or 10.1.0.0/16", h)
		}
	case !hostNameRe.MatchString(h):
		return fmt.Sprintf("%q is not a host name, IP address or CIDR prefix: want such as feeds.internal, 10.0.0.7 or 10.1.0.0/16", h)
	}
	return ""
}

// hasAlnum reports whether s has a letter or a digit.
func hasAlnum(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// dropProblem says what is wrong with a feeds[].drop pattern, or "": the
// same rules as feeds.CheckSplitOptions (a /regexp/ must compile).
func dropProblem(d string) string {
	if strings.TrimSpace(d) == "" {
		return `is empty: want text of the paragraphs to drop, such as "Sponsored by", or a /regular expression/`
	}
	if len(d) >= 2 && d[0] == '/' && d[len(d)-1] == '/' {
		if _, err := regexp.Compile("(?i)" + d[1:len(d)-1]); err != nil {
			return fmt.Sprintf("%s is not a valid regular expression: %v", d, err)
		}
	}
	return ""
}
