package slack

import (
	"bytes"
	"context"
	"encoding/json"
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

const (
	defaultInlineWait     = 2500 * time.Millisecond
	defaultHandlerTimeout = 5 * time.Minute
	responseURLTimeout    = 10 * time.Second
	workingText           = "Working on it…"
)

// replyPayload is a slash command answer, inline or via response_url.
type replyPayload struct {
	ResponseType string       `json:"response_type"`
	Text         string       `json:"text"`
	Blocks       slack.Blocks `json:"blocks,omitempty"`
	// ReplaceOriginal is false for answers to a pressed button, which
	// must not replace the message that carries it; nil elsewhere.
	ReplaceOriginal *bool `json:"replace_original,omitempty"`
}

// dispatcher holds what Slack's two ways in (HTTP and Socket Mode) share:
// the reply path (bot.Replies: deadline, goroutine, panics, shutdown), the
// rendering of replies and the posts to response_url.
type dispatcher struct {
	replies   *bot.Replies
	inChannel bool
	client    *http.Client
	allowURL  func(*url.URL) bool
	log       *slog.Logger

	// rendered keeps the encoded payloads of shared replies (bot.Reply.Key):
	// a popular search is rendered once, not on every request.
	mu       sync.Mutex
	rendered map[string][]byte
}

// maxRendered bounds the rendered payloads kept; when full they are all
// dropped (the bot's own cache is bounded and short-lived anyway).
const maxRendered = 512

func newDispatcher(h bot.Handler, inChannel bool, wait time.Duration, client *http.Client, allow func(*url.URL) bool, log *slog.Logger) *dispatcher {
	if wait <= 0 {
		wait = defaultInlineWait
	}
	if client == nil {
		client = &http.Client{Timeout: responseURLTimeout}
	}
	if allow == nil {
		allow = SlackResponseURL
	}
	return &dispatcher{
		replies:   &bot.Replies{Handler: h, InlineWait: wait, Timeout: defaultHandlerTimeout, Logger: log},
		inChannel: inChannel, client: client, allowURL: allow, log: log, rendered: map[string][]byte{},
	}
}

// SlackResponseURL is the default check on response_url: https on a
// slack.com host.
func SlackResponseURL(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	return u.Scheme == "https" && u.User == nil && (h == "slack.com" || strings.HasSuffix(h, ".slack.com"))
}

// commandFrom turns a slash command payload into a bot.Command.
func commandFrom(sc slack.SlashCommand) bot.Command {
	c := bot.ParseCommand(sc.Text)
	c.Platform = "slack"
	c.User = sc.UserID
	c.UserName = sc.UserName
	c.Channel = sc.ChannelID
	return c
}

func (d *dispatcher) payload(r bot.Reply) replyPayload {
	rt := d.responseType()
	if r.Private {
		rt = "ephemeral"
	}
	return replyPayload{ResponseType: rt, Text: ReplyText(r), Blocks: slack.Blocks{BlockSet: RenderReply(r, rt == "ephemeral")}}
}

// pressPayload is the answer to a pressed button: shown to the presser
// only, beside the message with the button (which it leaves alone).
func (d *dispatcher) pressPayload(r bot.Reply) replyPayload {
	keep := false
	return replyPayload{ResponseType: "ephemeral", Text: ReplyText(r), Blocks: slack.Blocks{BlockSet: RenderReply(r, true)},
		ReplaceOriginal: &keep}
}

// encode returns the JSON payload of r, reusing an earlier encoding of a
// shared reply with the same Key. The result must not be modified.
func (d *dispatcher) encode(r bot.Reply) ([]byte, error) {
	if r.Key != "" {
		d.mu.Lock()
		b, ok := d.rendered[r.Key]
		d.mu.Unlock()
		if ok {
			return b, nil
		}
	}
	b, err := json.Marshal(d.payload(r))
	if err != nil || r.Key == "" {
		return b, err
	}
	d.mu.Lock()
	if len(d.rendered) >= maxRendered {
		clear(d.rendered)
	}
	d.rendered[r.Key] = b
	d.mu.Unlock()
	return b, nil
}

func (d *dispatcher) working() replyPayload {
	return replyPayload{ResponseType: "ephemeral", Text: workingText}
}

func (d *dispatcher) responseType() string {
	if d.inChannel {
		return "in_channel"
	}
	return "ephemeral"
}

// errResponseURL is returned when a command's response_url is not allowed.
var errResponseURL = errors.New("slack: response_url is not a Slack URL")

// postResponse sends a reply to the command's response_url.
func (d *dispatcher) postResponse(ctx context.Context, raw string, r bot.Reply) error {
	body, err := d.encode(r)
	if err != nil {
		return fmt.Errorf("slack: encode reply: %w", err)
	}
	return d.postJSON(ctx, raw, body)
}

// postPress sends the answer to a pressed button to the press's
// response_url.
func (d *dispatcher) postPress(ctx context.Context, raw string, r bot.Reply) error {
	body, err := json.Marshal(d.pressPayload(r))
	if err != nil {
		return fmt.Errorf("slack: encode reply: %w", err)
	}
	return d.postJSON(ctx, raw, body)
}

// postJSON posts an encoded payload to a response_url.
func (d *dispatcher) postJSON(ctx context.Context, raw string, body []byte) error {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || !d.allowURL(u) {
		d.log.Warn("slack_response_url_refused", slog.String("host", hostForLog(u)))
		return errResponseURL
	}
	ctx, cancel := context.WithTimeout(ctx, responseURLTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack: reply to %s: %w", hostForLog(u), err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := d.client.Do(req)
	if err != nil {
		// the URL's path is a credential of sorts: name only the host
		err = fmt.Errorf("slack: reply to %s: %w", hostForLog(u), unwrapURLError(err))
		d.log.Warn("slack_response_url_failed", slog.Any("error", err))
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		err := fmt.Errorf("slack: reply to %s: HTTP %d", hostForLog(u), resp.StatusCode)
		d.log.Warn("slack_response_url_failed", slog.Any("error", err))
		return err
	}
	return nil
}

func hostForLog(u *url.URL) string {
	if u == nil || u.Host == "" {
		return "(no host)"
	}
	return u.Host
}

// unwrapURLError drops the URL from a *url.Error.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// followUp posts answers given after the request was acknowledged to the
// command's response_url: the part of bot.ReplyTransport both ways in share.
type followUp struct {
	d     *dispatcher
	url   string
	press bool // answers to a pressed button (pressPayload)
}

// FollowUp implements bot.ReplyTransport.
func (f followUp) FollowUp(ctx context.Context, r bot.Reply, _ bool) error {
	if f.press {
		return f.d.postPress(ctx, f.url, r)
	}
	return f.d.postResponse(ctx, f.url, r)
}
