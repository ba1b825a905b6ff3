package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"digestbot/bot"
)

// maxAckPayload keeps Socket Mode acks under Slack's 20 KB limit, above
// which Slack silently drops them; larger answers go to response_url.
const maxAckPayload = 19 << 10

// SocketModeOptions configures Client.RunSocketMode.
type SocketModeOptions struct {
	// AppToken is the app-level token (xapp-...) with connections:write.
	AppToken string
	// Handler answers commands, usually a *bot.Mux. Required.
	Handler bot.Handler
	// InChannel makes answers visible to the whole channel (default: only
	// to the user who typed the command).
	InChannel bool
	// InlineWait is how long to wait for the handler before acknowledging
	// and answering through response_url; 0 means 2.5 s.
	InlineWait time.Duration
	// ResponseClient and AllowResponseURL are as in CommandOptions.
	ResponseClient   *http.Client
	AllowResponseURL func(*url.URL) bool
}

// RunSocketMode connects to Slack over Socket Mode and answers slash
// commands and Share button presses (interactive events: the app needs
// Interactivity turned on) until ctx is cancelled, then waits for running handlers (up to
// bot.ShutdownGrace) and returns nil. It returns an error when the connection cannot be made or
// kept (a bad app token, for one). Run it in its own goroutine.
func (c *Client) RunSocketMode(ctx context.Context, o SocketModeOptions) error {
	if !strings.HasPrefix(o.AppToken, "xapp-") {
		return errors.New("slack: socket mode needs an app-level token (xapp-...): set DIGESTBOT_SLACK_APP_TOKEN")
	}
	if o.Handler == nil {
		return errors.New("slack: socket mode needs a command handler")
	}
	d := newDispatcher(o.Handler, o.InChannel, o.InlineWait, o.ResponseClient, o.AllowResponseURL, c.log)
	api := slack.New(c.token, c.slackOptions(slack.OptionAppLevelToken(o.AppToken))...)
	sm := socketmode.New(api, socketmode.OptionLog(debugLog{c.log}))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(runCtx) }()

	// Last, let the answers under way finish (bot.ShutdownGrace at most).
	defer bot.CloseWithin(context.WithoutCancel(ctx), d.replies, bot.ShutdownGrace)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-runErr
			return nil
		case err := <-runErr:
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack: socket mode: %s", c.redact(fmt.Sprint(err)))
		case evt := <-sm.Events:
			c.handleSocketEvent(runCtx, sm, d, evt, &wg)
		}
	}
}

// socketAcker is the part of *socketmode.Client that answers envelopes.
type socketAcker interface {
	AckCtx(ctx context.Context, envelopeID string, payload any) error
}

// handleSocketEvent reacts to one Socket Mode event: slash commands and
// Share button presses are served in their own goroutine, other envelopes
// are acknowledged.
func (c *Client) handleSocketEvent(ctx context.Context, sm socketAcker, d *dispatcher, evt socketmode.Event, wg *sync.WaitGroup) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.serveSocketCommand(ctx, sm, d, req, sc)
		}()
	case socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		req := *evt.Request
		ic, ok := evt.Data.(slack.InteractionCallback)
		cmd, isShare := shareCommand(ic)
		if !ok || !isShare {
			_ = sm.AckCtx(ctx, req.EnvelopeID, nil)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.log.Debug("slack_share_pressed", slog.String("story", cmd.Args), slog.String("user", cmd.User), slog.String("channel", cmd.Channel))
			t := pressSocketTransport{socketTransport{followUp: followUp{d: d, url: ic.ResponseURL, press: true}, sm: sm, envelope: req.EnvelopeID, log: c.log}}
			_ = d.replies.Serve(ctx, cmd, t)
		}()
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	case socketmode.EventTypeConnected:
		c.log.Info("slack_socket_connected")
	case socketmode.EventTypeConnectionError:
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			c.log.Warn("slack_socket_connection_error", slog.String("error", c.redact(fmt.Sprint(ce.ErrorObj))))
		}
	case socketmode.EventTypeInvalidAuth:
		c.log.Error("slack_socket_invalid_auth", slog.String("advice", "check DIGESTBOT_SLACK_APP_TOKEN"))
	}
}

// serveSocketCommand answers one slash command envelope: the ack carries the
// answer when the handler is quick and the answer small, else the ack says
// "working on it" and the answer goes to response_url.
func (c *Client) serveSocketCommand(ctx context.Context, sm socketAcker, d *dispatcher, req socketmode.Request, sc slack.SlashCommand) {
	t := socketTransport{followUp: followUp{d: d, url: sc.ResponseURL}, sm: sm, envelope: req.EnvelopeID, log: c.log}
	_ = d.replies.Serve(ctx, commandFrom(sc), t)
}

// socketTransport answers a slash command envelope: inline in its ack,
// later to response_url.
type socketTransport struct {
	followUp
	sm       socketAcker
	envelope string
	log      *slog.Logger
}

// Inline implements bot.ReplyTransport.
func (t socketTransport) Inline(ctx context.Context, r *bot.Reply) error {
	if r == nil {
		t.ack(ctx, nil)
		return nil
	}
	if b, err := t.d.encode(*r); err == nil && len(b)+len(t.envelope)+64 < maxAckPayload {
		t.ack(ctx, json.RawMessage(b))
		return nil
	}
	t.ack(ctx, t.d.working())
	if err := t.d.postResponse(ctx, t.url, *r); err != nil {
		t.log.Warn("slack_command_reply_failed", slog.Any("error", err))
	}
	return nil
}

// Defer implements bot.ReplyTransport.
func (t socketTransport) Defer(ctx context.Context) error {
	t.ack(ctx, t.d.working())
	return nil
}

// ack acknowledges the envelope; a failure is logged, and the answers
// still reach response_url.
func (t socketTransport) ack(ctx context.Context, payload any) {
	if err := t.sm.AckCtx(ctx, t.envelope, payload); err != nil {
		t.log.Warn("slack_socket_ack_failed", slog.Any("error", err))
	}
}

// debugLog sends slack-go's log lines to slog at debug level.
type debugLog struct{ l *slog.Logger }

func (d debugLog) Output(_ int, s string) error {
	d.l.Debug("slack_socket_log", slog.String("line", s))
	return nil
}
