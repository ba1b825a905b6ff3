package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

// Options configures a Client.
type Options struct {
	// Token is the bot token (xoxb-...). Required.
	Token string
	// APIURL is the base URL of the Web API, ending in "/"; "" for Slack's
	// own (https://slack.com/api/). For proxies and tests.
	APIURL string
	// Pace is the least time between two messages to one channel; 0 means
	// one second, Slack's posting limit. Negative disables pacing.
	Pace time.Duration
	// MaxRateLimitWaits bounds how often one call waits out a 429 before
	// giving the delivery back to the outbox; 0 means 3, negative means
	// never wait.
	MaxRateLimitWaits int
	// HistoryPages bounds how many pages of 200 messages the duplicate
	// check reads on a retry; 0 means 5.
	HistoryPages int
	// Logger receives warnings; nil discards.
	Logger *slog.Logger
	// HTTPClient makes the Web API calls; nil means one with a 30 s timeout.
	HTTPClient *http.Client
	// Now and Sleep replace the clock in tests. Sleep must return early
	// with ctx.Err() when ctx is done.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client publishes posts to Slack. It is safe for concurrent use.
type Client struct {
	api      *slack.Client
	opts     Options
	token    string
	apiURL   string
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	pace     time.Duration
	maxWaits int
	pages    int
	admins   adminCache // users.info answers for IsWorkspaceAdmin

	mu       sync.Mutex
	nextSend map[string]time.Time // channel id → earliest time of its next message
	dms      sync.Map             // user id → direct-message channel id (conversations.open)
}

var _ bot.Publisher = (*Client)(nil)

// New returns a Client. It checks the options but makes no network call.
func New(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("slack: no bot token: set DIGESTBOT_SLACK_BOT_TOKEN to the app's xoxb- token")
	}
	if strings.ContainsAny(opts.Token, " \t\r\n") {
		return nil, errors.New("slack: the bot token contains white space: copy it again from the app's OAuth page")
	}
	c := &Client{
		opts:     opts,
		token:    opts.Token,
		http:     opts.HTTPClient,
		log:      opts.Logger,
		now:      opts.Now,
		sleep:    opts.Sleep,
		pace:     opts.Pace,
		maxWaits: opts.MaxRateLimitWaits,
		pages:    opts.HistoryPages,
		nextSend: map[string]time.Time{},
	}
	if opts.APIURL != "" {
		u, err := url.Parse(opts.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("slack: API URL %q is not an http(s) URL: set DIGESTBOT_SLACK_API_URL like https://slack.com/api/", bot.RedactURL(opts.APIURL))
		}
		c.apiURL = opts.APIURL
		if !strings.HasSuffix(c.apiURL, "/") {
			c.apiURL += "/"
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = bot.Sleep
	}
	if c.pace == 0 {
		c.pace = time.Second
	}
	switch {
	case c.maxWaits == 0:
		c.maxWaits = 3
	case c.maxWaits < 0:
		c.maxWaits = 0
	}
	if c.pages <= 0 {
		c.pages = 5
	}
	c.api = slack.New(c.token, c.slackOptions()...)
	return c, nil
}

func (c *Client) slackOptions(extra ...slack.Option) []slack.Option {
	o := []slack.Option{slack.OptionHTTPClient(c.http)}
	if c.apiURL != "" {
		o = append(o, slack.OptionAPIURL(c.apiURL))
	}
	return append(o, extra...)
}

// Publish sends a new post and returns its reference, "CHANNEL:TS". With
// m.Retry set it first looks for a message carrying m.Key in the channel
// (or the lead's thread) and returns that one instead of posting again.
func (c *Client) Publish(ctx context.Context, m bot.Message) (string, error) {
	channel := strings.TrimSpace(m.Channel.Target)
	if channel == "" {
		return "", bot.Permanent(fmt.Errorf("slack: channel %q has no Slack channel id: set DIGESTBOT_SLACK_CHANNEL to an id like C0123456789", m.Channel.ID))
	}
	if m.Channel.DM {
		dm, err := c.dmTarget(ctx, m.Channel)
		if err != nil {
			return "", err
		}
		channel = dm
	}
	r, err := renderMessage(m)
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("slack: post to %s: %w", channel, err))
	}
	threadTS := ""
	if m.Channel.Layout == bot.LayoutThread && m.Post.Part != bot.PartLead && m.ParentRef != "" {
		pch, pts, err := ParseRef(m.ParentRef)
		if err != nil {
			return "", bot.Permanent(fmt.Errorf("slack: post to %s: parent %w", channel, err))
		}
		if pch == channel {
			threadTS = pts
		}
	}
	if m.Retry {
		ref, found, err := c.findPosted(ctx, channel, threadTS, m.Key)
		if err != nil {
			return "", err
		}
		if found {
			c.log.Info("slack_post_already_sent", slog.String("channel", channel), slog.String("key", m.Key), slog.String("ref", ref))
			return ref, nil
		}
	}
	var gotChannel, ts string
	err = c.withImageFallback(&r, channel, func() error {
		opts := []slack.MsgOption{
			slack.MsgOptionBlocks(r.Blocks...),
			slack.MsgOptionText(r.Text, false),
			slack.MsgOptionMetadata(r.Metadata),
			slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionDisableMediaUnfurl(),
			slack.MsgOptionParse(false),
			slack.MsgOptionLinkNames(false),
		}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		return c.call(ctx, "chat.postMessage", channel, true, func() error {
			var err error
			gotChannel, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
			return err
		})
	})
	if err != nil {
		return "", err
	}
	if gotChannel == "" {
		gotChannel = channel
	}
	return FormatRef(gotChannel, ts), nil
}

// Edit replaces the message at ref with m's freshly rendered content.
func (c *Client) Edit(ctx context.Context, m bot.Message, ref string) error {
	channel, ts, err := ParseRef(ref)
	if err != nil {
		return bot.Permanent(fmt.Errorf("slack: edit: %w", err))
	}
	r, err := renderMessage(m)
	if err != nil {
		return bot.Permanent(fmt.Errorf("slack: edit %s: %w", ref, err))
	}
	return c.withImageFallback(&r, channel, func() error {
		return c.call(ctx, "chat.update", channel, true, func() error {
			_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts,
				slack.MsgOptionBlocks(r.Blocks...),
				slack.MsgOptionText(r.Text, false),
				slack.MsgOptionMetadata(r.Metadata),
				slack.MsgOptionParse(false),
				slack.MsgOptionLinkNames(false),
			)
			return err
		})
	})
}

// withImageFallback runs send, and when Slack refuses the blocks of a
// message with an image (it downloads the image and fails on a broken one),
// runs it once more without the image: a post without its picture beats no
// post.
func (c *Client) withImageFallback(r *rendered, channel string, send func() error) error {
	err := send()
	var ae *apiError
	if err == nil || !errors.As(err, &ae) || ae.Code() != "invalid_blocks" {
		return err
	}
	kept := r.Blocks[:0:0]
	for _, b := range r.Blocks {
		if _, isImage := b.(*slack.ImageBlock); !isImage {
			kept = append(kept, b)
		}
	}
	if len(kept) == len(r.Blocks) {
		return err
	}
	c.log.Warn("slack_image_refused", slog.String("channel", channel), slog.Any("error", err))
	r.Blocks = kept
	return send()
}

// FormatRef builds the reference Publish returns: "CHANNEL:TS".
func FormatRef(channel, ts string) string { return channel + ":" + ts }

// ParseRef splits a reference made by FormatRef.
func ParseRef(ref string) (channel, ts string, err error) {
	channel, ts, ok := strings.Cut(ref, ":")
	if !ok || channel == "" || ts == "" || strings.ContainsAny(ts, ": ") {
		return "", "", fmt.Errorf("reference %q is not CHANNEL:TS", ref)
	}
	return channel, ts, nil
}

// call runs one Web API call: paced when it posts to a channel, waiting out
// rate limits up to maxWaits times, and with its error classified.
func (c *Client) call(ctx context.Context, method, channel string, paced bool, do func() error) error {
	waits := 0
	for {
		if paced {
			if err := c.waitTurn(ctx, channel); err != nil {
				return fmt.Errorf("slack: %s to %s: %w", method, channel, err)
			}
		}
		err := do()
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			after := rl.RetryAfter
			if after <= 0 {
				after = time.Second
			}
			if waits >= c.maxWaits {
				return fmt.Errorf("slack: %s to %s: %w", method, channel,
					&bot.RateLimitError{What: "slack " + method, After: after})
			}
			waits++
			c.log.Warn("slack_rate_limited", slog.String("method", method), slog.String("channel", channel),
				slog.Duration("retry_after", after), slog.Int("wait", waits))
			if paced && c.pace >= 0 {
				c.delayChannel(channel, after) // waitTurn sleeps it out
			} else if err := c.sleep(ctx, after); err != nil {
				return fmt.Errorf("slack: %s to %s: %w", method, channel, err)
			}
			continue
		}
		return c.classify(method, channel, err)
	}
}

// waitTurn reserves the channel's next sending slot and sleeps until it.
func (c *Client) waitTurn(ctx context.Context, channel string) error {
	if c.pace < 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	now := c.now()
	at := c.nextSend[channel]
	if at.Before(now) {
		at = now
	}
	c.nextSend[channel] = at.Add(c.pace)
	c.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return c.sleep(ctx, d)
	}
	return ctx.Err()
}

// delayChannel pushes the channel's next slot to after d from now.
func (c *Client) delayChannel(channel string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at := c.now().Add(d); at.After(c.nextSend[channel]) {
		c.nextSend[channel] = at
	}
}

// Delete removes the message at ref (chat.delete): its post left the
// issue. A message already gone (message_not_found) is no error.
func (c *Client) Delete(ctx context.Context, m bot.Message, ref string) error {
	channel, ts, err := ParseRef(ref)
	if err != nil {
		return bot.Permanent(fmt.Errorf("slack: delete: %w", err))
	}
	err = c.call(ctx, "chat.delete", channel, false, func() error {
		_, _, err := c.api.DeleteMessageContext(ctx, channel, ts)
		return err
	})
	var ae *apiError
	if errors.As(err, &ae) && ae.Code() == "message_not_found" {
		c.log.Info("slack_delete_already_gone", slog.String("channel", channel), slog.String("ts", ts))
		return nil
	}
	return err
}
