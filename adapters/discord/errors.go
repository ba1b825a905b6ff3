package discord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"digestbot/bot"
)

// Discord JSON error codes this package acts on.
const (
	codeUnknownChannel      = 10003
	codeUnknownMessage      = 10008
	codeUnknownWebhook      = 10015
	codeMissingAccess       = 50001
	codeMissingPermissions  = 50013
	codeInvalidFormBody     = 50035
	codeThreadExists        = 160004
	codeWebhookNeedsThread  = 220001 // webhook in a forum channel: thread_name or thread_id needed
	codeWebhookForumThreads = 220003 // webhooks can only create threads in forum channels
)

// APIError is an error answer from Discord's REST API. Its text says what
// failed and, for the errors an operator can fix, what to do.
type APIError struct {
	What    string // what was being done: "post to channel 123"
	Status  int    // HTTP status
	Code    int    // Discord's JSON error code, 0 when none
	Message string // Discord's message
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "discord: %s: HTTP %d", e.What, e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if h := e.hint(); h != "" {
		b.WriteString(" (" + h + ")")
	}
	return b.String()
}

// hint says what to do about the errors only an operator can fix.
func (e *APIError) hint() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "the bot token was refused: reset it in the Developer Portal's Bot tab and set DIGESTBOT_DISCORD_BOT_TOKEN"
	case e.Code == codeUnknownChannel:
		return "check the channel id and that the bot is in that server: invite it with the link in docs/discord.md"
	case e.Code == codeMissingAccess:
		return "the bot cannot see the channel: invite it to the server (docs/discord.md) and let its role view the channel"
	case e.Code == codeMissingPermissions:
		return "give the bot's role Send Messages, Send Messages in Threads, Create Public Threads, Embed Links and Read Message History (Create Posts in forums)"
	case e.Code == codeUnknownWebhook:
		return "the webhook was deleted: create a new one and set DIGESTBOT_DISCORD_WEBHOOK_URL"
	case e.Code == codeUnknownMessage:
		return "the message was deleted in Discord"
	case e.Code == codeInvalidFormBody:
		return "Discord refused the message's content: please report this digestbot bug with the log line"
	case e.Code == codeWebhookForumThreads:
		return "webhooks cannot start threads in text channels: add a bot token or use DIGESTBOT_DISCORD_LAYOUT=separate"
	}
	return ""
}

// apiError builds the error for a non-2xx, non-429 answer. Client errors
// other than timeouts and conflicts are permanent: sending the same request
// again cannot succeed.
func apiError(status int, body []byte, what string) error {
	e := &APIError{What: what, Status: status}
	var b struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code, e.Message = b.Code, cut(oneLine(b.Message), 300)
	} else if status >= 500 {
		e.Message = http.StatusText(status)
	}
	switch {
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusConflict, status == http.StatusTooEarly:
		return e
	case status >= 400:
		return bot.Permanent(e)
	}
	return e
}

// errCode returns the Discord error code in err's chain, 0 when none.
func errCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}
