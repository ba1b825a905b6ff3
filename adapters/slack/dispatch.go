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
}

// ackKind says how to answer Slack's request right away.
type ackKind int

const (
	ackEmpty   ackKind = iota // the handler answered nothing in time and is done
	ackWorking                // the handler is still busy; its answer goes to response_url
	ackReply                  // the handler's answer, inline
)

// dispatcher runs a bot.Handler for one slash command and decides between
// an inline answer and response_url; HTTP and Socket Mode share it.
type dispatcher struct {
	handler   bot.Handler
	inChannel bool
	wait      time.Duration
	timeout   time.Duration
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
	return &dispatcher{handler: h, inChannel: inChannel, wait: wait, timeout: defaultHandlerTimeout,
		client: client, allowURL: allow, log: log, rendered: map[string][]byte{}}
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
	c.Channel = sc.ChannelID
	return c
}

// run starts the handler and waits up to d.wait for its first answer. The
// handler keeps running after run returns; answers it gives later are
// posted to responseURL. parent bounds the handler's life (with d.timeout).
func (d *dispatcher) run(parent context.Context, cmd bot.Command, responseURL string) (ackKind, bot.Reply) {
	if r, ok := d.quick(cmd); ok {
		return ackReply, r
	}
	rs := &responder{d: d, url: responseURL, inlineOpen: true, inline: make(chan bot.Reply, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(parent, d.timeout)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				d.log.Error("slack_command_panic", slog.String("command", cmd.Name), slog.Any("error", fmt.Errorf("%v", p)))
				if !rs.answered() {
					_ = rs.Respond(ctx, bot.Reply{Text: "Something went wrong; please try again later.", Error: true})
				}
			}
		}()
		d.handler.ServeCommand(ctx, rs, cmd)
	}()
	timer := time.NewTimer(d.wait)
	defer timer.Stop()
	select {
	case r := <-rs.inline:
		return ackReply, r
	case <-done:
		if r, ok := rs.closeInline(); ok {
			return ackReply, r
		}
		return ackEmpty, bot.Reply{}
	case <-timer.C:
	case <-parent.Done():
	}
	if r, ok := rs.closeInline(); ok {
		return ackReply, r
	}
	return ackWorking, bot.Reply{}
}

// quick asks the handler for an answer from memory (bot.Quick), on the
// caller's goroutine: a cached search needs no goroutine or timer.
func (d *dispatcher) quick(cmd bot.Command) (bot.Reply, bool) {
	r, ok, err := bot.AnswerQuick(d.handler, cmd)
	if err != nil {
		d.log.Error("slack_command_panic", slog.String("command", cmd.Name), slog.Any("error", err))
	}
	return r, ok
}

func (d *dispatcher) payload(r bot.Reply) replyPayload {
	return replyPayload{ResponseType: d.responseType(), Text: ReplyText(r), Blocks: slack.Blocks{BlockSet: RenderReply(r)}}
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
	u, err := url.Parse(raw)
	if err != nil || raw == "" || !d.allowURL(u) {
		d.log.Warn("slack_response_url_refused", slog.String("host", hostForLog(u)))
		return errResponseURL
	}
	body, err := d.encode(r)
	if err != nil {
		return fmt.Errorf("slack: encode reply: %w", err)
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

// responder is the bot.Responder of one command: its first answer goes
// inline while the request is still open, the rest to response_url.
type responder struct {
	d   *dispatcher
	url string

	mu         sync.Mutex
	inlineOpen bool
	inline     chan bot.Reply // buffered, 1
	responded  bool
}

// Respond implements bot.Responder.
func (r *responder) Respond(ctx context.Context, reply bot.Reply) error {
	r.mu.Lock()
	r.responded = true
	if r.inlineOpen {
		r.inlineOpen = false
		r.inline <- reply
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	return r.d.postResponse(ctx, r.url, reply)
}

func (r *responder) answered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.responded
}

// closeInline ends the inline window and returns an answer given before it
// closed, if any.
func (r *responder) closeInline() (bot.Reply, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inlineOpen = false
	select {
	case reply := <-r.inline:
		return reply, true
	default:
		return bot.Reply{}, false
	}
}
