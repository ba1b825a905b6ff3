package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"digestbot/bot"
)

// publishWebhook sends m through the webhook (?wait=true, so Discord
// answers with the message and its id).
//
// Webhooks cannot use a nonce (Discord ignores it on webhook sends), cannot
// list messages and cannot start threads in text channels. So: a forum
// webhook makes each lead a post (thread_name) and puts the roundup in it
// (thread_id); a text-channel webhook puts the roundup in the lead's thread
// when a bot token is also configured to start it, else in the channel; a
// retry finds an earlier attempt only when a bot token is configured.
func (c *Client) publishWebhook(ctx context.Context, m bot.Message) (string, error) {
	if c.hook == nil {
		return "", bot.Permanent(fmt.Errorf("discord: channel %q has no channel id and no webhook URL is set: set DIGESTBOT_DISCORD_CHANNEL_ID or DIGESTBOT_DISCORD_WEBHOOK_URL", m.Channel.ID))
	}
	body := messagePayload{Content: postContent(m.Post), Embeds: renderPost(m), AllowedMentions: noMentions()}
	threadID := ""
	if m.Post.Part != bot.PartLead {
		var err error
		if threadID, err = c.webhookThread(ctx, m); err != nil {
			return "", err
		}
	}

	if m.Retry {
		if r, ok := c.findWebhookSent(ctx, m, threadID); ok {
			return r.String(), nil
		}
	}

	c.mu.Lock()
	forum := c.hookForum || m.Channel.Forum // discord.forum, channels[].forum
	c.mu.Unlock()
	if m.Post.Part == bot.PartLead && forum {
		body.ThreadName = threadName(m.Post.Issue.Title)
	}
	msg, err := c.executeWebhook(ctx, body, threadID)
	if errCode(err) == codeWebhookNeedsThread && m.Post.Part == bot.PartLead && body.ThreadName == "" {
		// The webhook's channel is a forum: make the lead a post.
		c.mu.Lock()
		c.hookForum = true
		c.mu.Unlock()
		body.ThreadName = threadName(m.Post.Issue.Title)
		msg, err = c.executeWebhook(ctx, body, "")
	}
	if err != nil {
		return "", err
	}
	inThread := threadID != "" || body.ThreadName != ""
	return ref{channel: msg.ChannelID, message: msg.ID, inThread: inThread}.String(), nil
}

// webhookThread returns the thread a roundup post goes into, "" for the
// webhook's channel itself.
func (c *Client) webhookThread(ctx context.Context, m bot.Message) (string, error) {
	var parent ref
	if m.ParentRef != "" {
		var err error
		if parent, err = parseRef(m.ParentRef); err != nil {
			return "", bot.Permanent(err)
		}
	}
	switch {
	case parent.inThread: // a forum post: every part goes inside
		return parent.thread(), nil
	case m.ParentRef == "" || (m.Channel.Layout != "" && m.Channel.Layout != bot.LayoutThread):
		return "", nil
	case c.rest.token != "":
		if err := c.startThread(ctx, parent, m.Post.Issue.Title); err != nil {
			return "", err
		}
		return parent.thread(), nil
	}
	c.mu.Lock()
	warned := c.warnedHooks
	c.warnedHooks = true
	c.mu.Unlock()
	if !warned {
		c.log.LogAttrs(ctx, slog.LevelWarn, "discord_webhook_no_threads",
			slog.String("reason", "a webhook cannot start threads in a text channel; roundup posted in the channel: add a bot token or use the separate layout"))
	}
	return "", nil
}

// executeWebhook posts through the webhook, into threadID when set.
func (c *Client) executeWebhook(ctx context.Context, body messagePayload, threadID string) (listedMessage, error) {
	q := url.Values{"wait": {"true"}}
	if threadID != "" {
		q.Set("thread_id", threadID)
	}
	var msg listedMessage
	err := c.rest.do(ctx, call{method: http.MethodPost, path: c.hook.path(), query: q, body: body,
		what: "post through webhook " + c.hook.id}, &msg)
	if err == nil && (msg.ID == "" || msg.ChannelID == "") {
		err = fmt.Errorf("discord: post through webhook %s: answer has no message or channel id", c.hook.id)
	}
	return msg, err
}

// editWebhook edits a message the webhook sent.
func (c *Client) editWebhook(ctx context.Context, r ref, body messagePayload) error {
	if c.hook == nil {
		return bot.Permanent(errors.New("discord: edit without channel id needs DIGESTBOT_DISCORD_WEBHOOK_URL"))
	}
	var q url.Values
	if r.inThread {
		q = url.Values{"thread_id": {r.channel}}
	}
	return c.rest.do(ctx, call{method: http.MethodPatch, path: c.hook.path() + "/messages/" + r.message,
		query: q, body: body, what: "edit message " + r.message + " of webhook " + c.hook.id}, nil)
}

// findWebhookSent looks for an earlier attempt of a webhook send. Only a
// bot token can list messages; the webhook's own GET tells its channel.
func (c *Client) findWebhookSent(ctx context.Context, m bot.Message, threadID string) (ref, bool) {
	if c.rest.token == "" {
		c.warnUnchecked(ctx, m.Key)
		return ref{}, false
	}
	if threadID != "" {
		id, ok := c.findSent(ctx, threadID, m.Key)
		return ref{channel: threadID, message: id, inThread: true}, ok
	}
	info, err := c.webhookChannel(ctx)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "discord_retry_check_failed", slog.String("key", m.Key), slog.Any("error", err))
		return ref{}, false
	}
	c.mu.Lock()
	forum := c.hookForum || m.Channel.Forum // discord.forum, channels[].forum
	c.mu.Unlock()
	if m.Post.Part == bot.PartLead && (forum || info.forum()) {
		return c.findForumPost(ctx, info, m.Key)
	}
	id, ok := c.findSent(ctx, info.ID, m.Key)
	return ref{channel: info.ID, message: id}, ok
}

// webhookChannel returns the webhook's channel (id, server, type), fetched
// once.
func (c *Client) webhookChannel(ctx context.Context) (channelInfo, error) {
	c.mu.Lock()
	hi := c.hookInfo
	c.mu.Unlock()
	if hi != nil {
		return *hi, nil
	}
	var wh struct {
		ChannelID string `json:"channel_id"`
		GuildID   string `json:"guild_id"`
	}
	err := c.rest.do(ctx, call{method: http.MethodGet, path: c.hook.path(), what: "look up webhook " + c.hook.id}, &wh)
	if err != nil {
		return channelInfo{}, err
	}
	if !isSnowflake(wh.ChannelID) {
		return channelInfo{}, fmt.Errorf("discord: look up webhook %s: answer has no channel id", c.hook.id)
	}
	info, err := c.channel(ctx, wh.ChannelID)
	if err != nil {
		return channelInfo{}, err
	}
	if info.GuildID == "" {
		info.GuildID = wh.GuildID
	}
	c.mu.Lock()
	c.hookInfo = &info
	c.mu.Unlock()
	return info, nil
}
