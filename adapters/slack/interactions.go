package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

// Interactions returns the handler of POST /slack/interactions, where Slack
// sends what users do with the bot's messages (the app's Interactivity
// Request URL). A pressed "Share in channel" button (action_id
// bot.ShareActionID) becomes a bot.ShareCommand and goes through the same
// signature check, replay memory and reply path as the slash commands;
// the presser is answered privately through the payload's response_url.
// Other interactions are acknowledged and ignored. Close h to close both.
func (h *CommandHandler) Interactions() http.Handler { return interactionHandler{h} }

type interactionHandler struct{ h *CommandHandler }

func (ih interactionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := ih.h
	form, ok := h.readSigned(w, r, "slack_interaction_refused")
	if !ok {
		return
	}
	raw := form.Get("payload")
	if raw == "" {
		http.Error(w, "missing payload: Slack sends interactions as a form field named payload", http.StatusBadRequest)
		return
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(raw), &ic); err != nil {
		http.Error(w, "malformed payload: not an interaction's JSON", http.StatusBadRequest)
		return
	}
	cmd, ok := shareCommand(ic)
	if !ok {
		h.log.Debug("slack_interaction_ignored", slog.String("type", string(ic.Type)))
		w.WriteHeader(http.StatusOK)
		return
	}
	if h.d.replies.Handler == nil {
		http.Error(w, "commands are not configured", http.StatusServiceUnavailable)
		return
	}
	h.log.Debug("slack_share_pressed", slog.String("story", cmd.Args), slog.String("user", cmd.User), slog.String("channel", cmd.Channel))
	t := pressHTTPTransport{followUp: followUp{d: h.d, url: ic.ResponseURL, press: true}, w: w, log: h.log}
	_ = h.d.replies.Serve(r.Context(), cmd, t)
}

// shareCommand turns a block_actions payload whose action is a Share
// button into the share command; ok is false for anything else.
func shareCommand(ic slack.InteractionCallback) (bot.Command, bool) {
	if ic.Type != slack.InteractionTypeBlockActions {
		return bot.Command{}, false
	}
	for _, a := range ic.ActionCallback.BlockActions {
		if a == nil || a.ActionID != bot.ShareActionID {
			continue
		}
		name := ic.User.Username
		if name == "" {
			name = ic.User.Name
		}
		channel := ic.Channel.ID
		if channel == "" {
			channel = ic.Container.ChannelID
		}
		return bot.Command{
			Name: bot.ShareCommand, Args: a.Value, Button: true, Platform: "slack",
			User: ic.User.ID, UserName: name, Channel: channel,
		}, true
	}
	return bot.Command{}, false
}

// pressHTTPTransport answers a button press that came over HTTP. Slack
// ignores the body of a block_actions response, so every answer goes to
// response_url, privately; the request is only acknowledged, at once.
type pressHTTPTransport struct {
	followUp
	w   http.ResponseWriter
	log *slog.Logger
}

// Inline implements bot.ReplyTransport: acknowledge, then post the answer.
func (t pressHTTPTransport) Inline(ctx context.Context, r *bot.Reply) error {
	t.ack()
	if r != nil {
		if err := t.FollowUp(ctx, *r, true); err != nil {
			t.log.Warn("slack_share_reply_failed", slog.Any("error", err))
		}
	}
	return nil
}

// Defer implements bot.ReplyTransport.
func (t pressHTTPTransport) Defer(context.Context) error {
	t.ack()
	return nil
}

// ack ends the HTTP response (200, empty) before anything is posted, so
// Slack is answered within its three seconds whatever response_url takes.
func (t pressHTTPTransport) ack() {
	t.w.Header().Set("Content-Length", "0")
	t.w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(t.w).Flush()
}

// pressSocketTransport answers a button press that came over Socket Mode:
// the envelope is acknowledged empty, answers go to response_url.
type pressSocketTransport struct {
	socketTransport
}

// Inline implements bot.ReplyTransport.
func (t pressSocketTransport) Inline(ctx context.Context, r *bot.Reply) error {
	t.ack(ctx, nil)
	if r != nil {
		if err := t.FollowUp(ctx, *r, true); err != nil {
			t.log.Warn("slack_share_reply_failed", slog.Any("error", err))
		}
	}
	return nil
}

// Defer implements bot.ReplyTransport.
func (t pressSocketTransport) Defer(ctx context.Context) error {
	t.ack(ctx, nil)
	return nil
}
