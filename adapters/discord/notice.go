package discord

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

var _ bot.Notifier = (*Client)(nil)

// Notify posts a plain notice (an alert) to the channel (its id, or the
// webhook when Target is empty): Markdown escaped except the `code` spans
// the bot wrote, nobody mentioned, cut to Discord's 2,000 characters.
func (c *Client) Notify(ctx context.Context, ch bot.Channel, text string) error {
	body := messagePayload{Content: noticeText(text), AllowedMentions: noMentions(), Embeds: []*discordgo.MessageEmbed{}}
	if ch.Target == "" {
		if c.hook == nil {
			return bot.Permanent(errors.New("discord: alert to a channel without id needs DIGESTBOT_DISCORD_WEBHOOK_URL, or give alerts_channel a channel id"))
		}
		if c.hookForum {
			body.ThreadName = "digestbot alert"
		}
		_, err := c.executeWebhook(ctx, body, "")
		return err
	}
	return c.rest.do(ctx, call{method: http.MethodPost, path: "channels/" + ch.Target + "/messages",
		body: body, auth: true, what: "alert to channel " + ch.Target}, nil)
}

// noticeText escapes text for Discord Markdown, keeping `code` spans.
func noticeText(text string) string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		parts := strings.Split(line, "`")
		for j := range parts {
			if j%2 == 0 || j == len(parts)-1 {
				parts[j] = escapeMarkdown(parts[j])
			} else {
				parts[j] = "`" + parts[j] + "`"
			}
		}
		lines = append(lines, strings.Join(parts, ""))
	}
	s := strings.Join(lines, "\n")
	if r := []rune(s); len(r) > 2000 {
		s = string(r[:1999]) + "…"
	}
	return s
}
