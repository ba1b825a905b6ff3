package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

// permanentAdvice lists the Slack error codes that no retry can fix, with
// what the operator should do.
var permanentAdvice = map[string]string{
	"channel_not_found":        "check the channel id in DIGESTBOT_SLACK_CHANNEL and invite the bot to the channel: /invite @digestbot",
	"not_in_channel":           "invite the bot to the channel: /invite @digestbot",
	"is_archived":              "the channel is archived: unarchive it or choose another channel",
	"channel_is_archived":      "the channel is archived: unarchive it or choose another channel",
	"invalid_auth":             "the bot token is not valid: copy the xoxb- token again into DIGESTBOT_SLACK_BOT_TOKEN",
	"not_authed":               "no bot token was sent: set DIGESTBOT_SLACK_BOT_TOKEN",
	"account_inactive":         "the app's bot user was deactivated: reinstall the app to the workspace",
	"token_revoked":            "the bot token was revoked: reinstall the app and update DIGESTBOT_SLACK_BOT_TOKEN",
	"token_expired":            "the bot token expired: reinstall the app and update DIGESTBOT_SLACK_BOT_TOKEN",
	"no_permission":            "the token lacks a permission: reinstall the app from deploy/slack-app-manifest.yaml",
	"missing_scope":            "the app lacks a scope: add it from deploy/slack-app-manifest.yaml and reinstall the app",
	"team_access_not_granted":  "the app is not installed in this workspace: install it",
	"restricted_action":        "a workspace policy stops the bot posting here: ask an admin or choose another channel",
	"ekm_access_denied":        "the workspace's key management denies access: ask an admin",
	"msg_too_long":             "the message is too long for Slack: report this as a digestbot bug",
	"invalid_blocks":           "Slack refused the message layout: report this as a digestbot bug",
	"invalid_blocks_format":    "Slack refused the message layout: report this as a digestbot bug",
	"invalid_metadata_format":  "Slack refused the message metadata: report this as a digestbot bug",
	"invalid_metadata_schema":  "Slack refused the message metadata: report this as a digestbot bug",
	"metadata_too_large":       "Slack refused the message metadata: report this as a digestbot bug",
	"too_many_attachments":     "Slack refused the message: report this as a digestbot bug",
	"no_text":                  "the message was empty: report this as a digestbot bug",
	"message_not_found":        "the message to edit no longer exists in Slack",
	"cant_update_message":      "the message was not posted by this app and cannot be edited",
	"edit_window_closed":       "the message is too old to edit",
	"invalid_arguments":        "Slack refused the call's arguments: report this as a digestbot bug",
	"method_deprecated":        "this Slack method is no longer available: update digestbot",
	"deprecated_endpoint":      "this Slack method is no longer available: update digestbot",
	"not_allowed_token_type":   "use the bot token (xoxb-) in DIGESTBOT_SLACK_BOT_TOKEN",
	"enterprise_is_restricted": "an Enterprise Grid policy stops the bot: ask an admin",
}

// classify turns a Web API error into the error Publish returns: permanent
// ones wrapped with bot.Permanent and advice, others plain (the outbox
// retries them). The token never appears in the result.
func (c *Client) classify(method, channel string, err error) error {
	what := "slack: " + method + " to " + channel
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		code := se.Err
		if advice, ok := permanentAdvice[code]; ok {
			msg := fmt.Sprintf("%s: %s: %s", what, code, advice)
			if code == "missing_scope" && se.Needed != "" {
				msg += " (needed: " + se.Needed + ")"
			}
			return bot.Permanent(&apiError{msg: c.redact(msg), code: code})
		}
		if code == "ratelimited" || code == "rate_limited" {
			return fmt.Errorf("%s: %w", what, &bot.RateLimitError{What: "slack " + method, After: time.Second})
		}
		return &apiError{msg: c.redact(fmt.Sprintf("%s: %s (will retry)", what, code)), code: code}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout && sc.Code != http.StatusTooManyRequests {
			return bot.Permanent(&apiError{msg: c.redact(fmt.Sprintf(
				"%s: HTTP %d: check DIGESTBOT_SLACK_API_URL (leave it empty for Slack's own API)", what, sc.Code))})
		}
		return &apiError{msg: c.redact(fmt.Sprintf("%s: HTTP %d (will retry)", what, sc.Code))}
	}
	return &apiError{msg: c.redact(fmt.Sprintf("%s: %v", what, err)), err: err}
}

// apiError is a Slack failure with its message already redacted. Code is
// Slack's error code, when it gave one.
type apiError struct {
	msg  string
	code string
	err  error // the cause, for errors.Is on context errors; nil for API errors
}

func (e *apiError) Error() string { return e.msg }

// Unwrap exposes only context errors, whose text holds no secret, so that
// errors.Is(err, context.Canceled) works.
func (e *apiError) Unwrap() error {
	if e.err == nil {
		return nil
	}
	if ce := contextErr(e.err); ce != nil {
		return ce
	}
	return nil
}

// Code returns Slack's error code, "" when there was none.
func (e *apiError) Code() string { return e.code }

func contextErr(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}

// redact removes the token from s.
func (c *Client) redact(s string) string {
	if c.token != "" {
		s = strings.ReplaceAll(s, c.token, "[redacted]")
	}
	return s
}
