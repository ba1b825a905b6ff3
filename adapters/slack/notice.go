package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

var _ bot.Notifier = (*Client)(nil)

// Notify posts a plain notice (an alert) to the channel: text is escaped
// line by line, `code` spans stay code, nobody is mentioned.
func (c *Client) Notify(ctx context.Context, ch bot.Channel, text string) error {
	channel := ch.Target
	if channel == "" {
		channel = ch.ID
	}
	msg := noticeText(text)
	return c.call(ctx, "chat.postMessage", channel, true, func() error {
		_, _, err := c.api.PostMessageContext(ctx, channel,
			slack.MsgOptionText(msg, false),
			slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionDisableMediaUnfurl(),
			slack.MsgOptionParse(false),
			slack.MsgOptionLinkNames(false))
		return err
	})
}

// noticeText escapes plain text for mrkdwn, keeping line breaks and the
// `code` spans the bot wrote (commands to run).
func noticeText(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		parts := strings.Split(line, "`")
		for j := range parts {
			if j%2 == 0 || j == len(parts)-1 {
				parts[j] = escapeText(parts[j])
			} else {
				parts[j] = "`" + strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(parts[j]) + "`"
			}
		}
		lines[i] = strings.Join(parts, "")
	}
	return strings.Join(lines, "\n")
}
