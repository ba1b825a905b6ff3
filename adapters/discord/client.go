package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"digestbot/bot"
)

// DefaultAPIURL is the base URL of Discord's REST API.
const DefaultAPIURL = "https://discord.com/api/v10/"

// Options configure a Client. BotToken or WebhookURL (or both) is required.
type Options struct {
	// BotToken is the bot's token (Developer Portal, Bot tab), without the
	// "Bot " prefix. It publishes to channel ids, starts threads, finds
	// earlier attempts of a retried send and runs the gateway.
	BotToken string
	// WebhookURL is a channel webhook (https://discord.com/api/webhooks/ID/TOKEN):
	// messages for a bot.Channel whose Target is empty go through it. The
	// URL is a secret and never appears in errors or logs.
	WebhookURL string
	// Forum says the webhook's channel is a forum channel, so each issue
	// becomes a post. Optional: it is also detected from Discord's answer.
	// Channels used with the bot token are detected by their type.
	Forum bool
	// APIURL is the REST API's base URL, default DefaultAPIURL; for proxies
	// and tests. Webhook calls go there too.
	APIURL string
	// MaxRetries is how many times a 429 is retried within one call
	// (default 3; negative for none). After that Publish returns a
	// *bot.RateLimitError and the outbox tries later.
	MaxRetries int
	// MaxRetryWait is the longest wait accepted inside a call (default 30s);
	// a longer retry_after is returned at once as a *bot.RateLimitError.
	MaxRetryWait time.Duration
	Logger       *slog.Logger
	// HTTPClient makes every REST call (default: 30s timeout).
	HTTPClient *http.Client
	// Now and Sleep are the clock, for tests (default time.Now and a timer
	// that stops when the context ends).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client publishes posts to Discord channels with a bot token or through a
// webhook, registers the /digest command and answers it over the gateway.
type Client struct {
	rest *rest
	hook *webhook // nil without Options.WebhookURL
	log  *slog.Logger

	mu          sync.Mutex
	channels    map[string]channelInfo // channel id -> what GET /channels said
	threads     map[string]bool        // lead message ids whose thread exists
	hookForum   bool                   // the webhook's channel is a forum
	hookInfo    *channelInfo           // the webhook's channel, once fetched
	warnedHooks bool                   // "webhook cannot start threads" logged
	dms         sync.Map               // user id -> direct-message channel id
}

var _ bot.Publisher = (*Client)(nil)

// New validates opts and returns a Client. It makes no request.
func New(opts Options) (*Client, error) {
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(opts.BotToken), "Bot "))
	if token == "" && opts.WebhookURL == "" {
		return nil, errors.New("discord: need a bot token (DIGESTBOT_DISCORD_BOT_TOKEN) or a webhook URL (DIGESTBOT_DISCORD_WEBHOOK_URL)")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, errors.New("discord: the bot token contains spaces: copy it again from the Developer Portal's Bot tab")
	}
	c := &Client{
		log:       opts.Logger,
		channels:  map[string]channelInfo{},
		threads:   map[string]bool{},
		hookForum: opts.Forum,
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.WebhookURL != "" {
		w, err := parseWebhookURL(opts.WebhookURL)
		if err != nil {
			return nil, err
		}
		c.hook = &w
	}
	r, err := newRest(opts.APIURL, token, opts.HTTPClient, opts.Now, opts.Sleep, c.log)
	if err != nil {
		return nil, err
	}
	r.retries = opts.MaxRetries
	if r.retries == 0 {
		r.retries = 3
	}
	r.retries = max(r.retries, 0)
	if opts.MaxRetryWait > 0 {
		r.maxWait = opts.MaxRetryWait
	}
	c.rest = r
	return c, nil
}

// newRest builds the REST caller shared by the Client and the interactions
// endpoint.
func newRest(apiURL, token string, hc *http.Client, now func() time.Time, sleep func(context.Context, time.Duration) error, log *slog.Logger) (*rest, error) {
	base, err := parseAPIURL(apiURL)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = bot.Sleep
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &rest{
		base: base, token: token, hc: hc, now: now, sleep: sleep,
		retries: 3, maxWait: 30 * time.Second, log: log, limits: newLimiter(),
	}, nil
}

// parseAPIURL checks an API base URL and gives it a trailing slash.
func parseAPIURL(raw string) (string, error) {
	if raw == "" {
		return DefaultAPIURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("discord: API URL %q: want an absolute http(s) URL such as %s", raw, DefaultAPIURL)
	}
	u.RawQuery, u.Fragment = "", ""
	s := u.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// webhook is a parsed webhook URL. token is a secret.
type webhook struct {
	id, token string
}

func (w webhook) path() string { return "webhooks/" + w.id + "/" + w.token }

var webhookPath = regexp.MustCompile(`^/api(?:/v\d+)?/webhooks/(\d{1,20})/([A-Za-z0-9_.\-]{1,200})/?$`)

// parseWebhookURL accepts https://discord.com/api/webhooks/ID/TOKEN (also
// discordapp.com, the ptb and canary hosts and a /v10 path). Its errors never
// repeat the URL: it holds the token.
func parseWebhookURL(raw string) (webhook, error) {
	bad := errors.New("discord: webhook URL: want https://discord.com/api/webhooks/<id>/<token> (Channel settings, Integrations, Webhooks, Copy Webhook URL)")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "https" || u.User != nil {
		return webhook{}, bad
	}
	switch strings.ToLower(u.Hostname()) {
	case "discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com":
	default:
		return webhook{}, bad
	}
	m := webhookPath.FindStringSubmatch(u.Path)
	if m == nil {
		return webhook{}, bad
	}
	return webhook{id: m[1], token: m[2]}, nil
}

// channelInfo is what the adapter needs to know about a channel.
type channelInfo struct {
	Type    int    `json:"type"`
	GuildID string `json:"guild_id"`
	ID      string `json:"id"`
}

func (ci channelInfo) forum() bool { return ci.Type == 15 || ci.Type == 16 } // GUILD_FORUM, GUILD_MEDIA

// channel returns the channel's type and guild, fetched once and cached.
func (c *Client) channel(ctx context.Context, id string) (channelInfo, error) {
	c.mu.Lock()
	ci, ok := c.channels[id]
	c.mu.Unlock()
	if ok {
		return ci, nil
	}
	err := c.rest.do(ctx, call{method: http.MethodGet, path: "channels/" + id, auth: true,
		what: "look up channel " + id}, &ci)
	if err != nil {
		return ci, err
	}
	ci.ID = id
	c.mu.Lock()
	c.channels[id] = ci
	c.mu.Unlock()
	return ci, nil
}

// Publish sends a post: to the channel id in m.Channel.Target with the bot
// token, or through the webhook when Target is empty. See the package
// documentation for layouts, references and idempotency.
func (c *Client) Publish(ctx context.Context, m bot.Message) (string, error) {
	if err := checkMessage(m); err != nil {
		return "", err
	}
	if m.Channel.DM {
		return c.publishDM(ctx, m)
	}
	if m.Channel.Target == "" {
		return c.publishWebhook(ctx, m)
	}
	return c.publishBot(ctx, m)
}

// Edit replaces a post sent earlier (ref from Publish) with m's content.
func (c *Client) Edit(ctx context.Context, m bot.Message, ref string) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	r, err := parseRef(ref)
	if err != nil {
		return bot.Permanent(err)
	}
	body := messagePayload{Content: postContent(m.Post), Embeds: renderPost(m), AllowedMentions: noMentions()}
	if m.Channel.Target == "" {
		return c.editWebhook(ctx, r, body)
	}
	return c.rest.do(ctx, call{method: http.MethodPatch, path: "channels/" + r.channel + "/messages/" + r.message,
		body: body, auth: true, what: "edit message " + r.message + " in channel " + r.channel}, nil)
}

// checkMessage rejects messages no attempt can send.
func checkMessage(m bot.Message) error {
	if m.Post.Issue == nil {
		return bot.Permanent(errors.New("discord: message has no issue"))
	}
	if t := m.Channel.Target; t != "" && !isSnowflake(t) {
		return bot.Permanent(fmt.Errorf("discord: channel %q: the target must be a channel id (Developer Mode, right-click the channel, Copy Channel ID), or empty to use the webhook", m.Channel.ID))
	}
	return nil
}

// Delete removes a post sent earlier (ref from Publish): its item left the
// issue or the issue was withdrawn. A message already gone is no error.
func (c *Client) Delete(ctx context.Context, m bot.Message, ref string) error {
	r, err := parseRef(ref)
	if err != nil {
		return bot.Permanent(err)
	}
	if m.Channel.Target == "" {
		if c.hook == nil {
			return bot.Permanent(errors.New("discord: delete without channel id needs DIGESTBOT_DISCORD_WEBHOOK_URL"))
		}
		var q url.Values
		if r.inThread {
			q = url.Values{"thread_id": {r.channel}}
		}
		err = c.rest.do(ctx, call{method: http.MethodDelete, path: c.hook.path() + "/messages/" + r.message,
			query: q, what: "delete message " + r.message + " of webhook " + c.hook.id}, nil)
	} else {
		err = c.rest.do(ctx, call{method: http.MethodDelete, path: "channels/" + r.channel + "/messages/" + r.message,
			auth: true, what: "delete message " + r.message + " in channel " + r.channel}, nil)
	}
	if errCode(err) == codeUnknownMessage {
		return nil
	}
	return err
}
