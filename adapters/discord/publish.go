package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// autoArchive is how long, in minutes, a roundup thread stays open without
// activity: a week.
const autoArchive = 10080

// publishBot sends m with the bot token to the channel m.Channel.Target.
//
// The lead is a message in the channel, or a new post when the channel is a
// forum. The roundup goes, by the channel's layout, into a thread started
// on the lead (thread, the default), as messages in the channel (separate)
// or as one message (combined); in a forum it always goes into the post.
func (c *Client) publishBot(ctx context.Context, m bot.Message) (string, error) {
	target := m.Channel.Target
	info, err := c.channel(ctx, target)
	if err != nil {
		return "", err
	}
	embeds := renderPost(m)
	if m.Post.Part == bot.PartLead {
		if info.forum() {
			return c.forumPost(ctx, m, info, embeds)
		}
		r, err := c.send(ctx, m, target, false, embeds)
		return r.String(), err
	}
	dest, inThread, err := c.roundupDest(ctx, m, info.forum())
	if err != nil {
		return "", err
	}
	r, err := c.send(ctx, m, dest, inThread, embeds)
	return r.String(), err
}

// roundupDest says where a roundup post goes: the channel, or the lead's
// thread (started here if need be).
func (c *Client) roundupDest(ctx context.Context, m bot.Message, forum bool) (string, bool, error) {
	layout := m.Channel.Layout
	if layout == "" {
		layout = bot.LayoutThread
	}
	if !forum && layout != bot.LayoutThread {
		return m.Channel.Target, false, nil
	}
	if m.ParentRef == "" {
		if forum {
			return "", false, bot.Permanent(errors.New("discord: roundup for forum channel " + m.Channel.Target + " without its lead post"))
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "discord_roundup_without_lead",
			slog.String("channel", m.Channel.Target), slog.String("key", m.Key))
		return m.Channel.Target, false, nil
	}
	parent, err := parseRef(m.ParentRef)
	if err != nil {
		return "", false, bot.Permanent(err)
	}
	if parent.inThread {
		return parent.thread(), true, nil
	}
	if err := c.startThread(ctx, parent, m.Post.Issue.Title); err != nil {
		return "", false, err
	}
	return parent.thread(), true, nil
}

// startThread starts the thread of a lead message, once: a thread that
// already exists (Discord's 160004, after a crash or by another replica)
// is the one we want.
func (c *Client) startThread(ctx context.Context, lead ref, title string) error {
	c.mu.Lock()
	done := c.threads[lead.message]
	c.mu.Unlock()
	if done {
		return nil
	}
	body := struct {
		Name        string `json:"name"`
		AutoArchive int    `json:"auto_archive_duration"`
	}{threadName(title), autoArchive}
	err := c.rest.do(ctx, call{method: http.MethodPost,
		path: "channels/" + lead.channel + "/messages/" + lead.message + "/threads",
		body: body, auth: true, what: "start thread on message " + lead.message + " in channel " + lead.channel}, nil)
	if err != nil && errCode(err) != codeThreadExists {
		return err
	}
	c.mu.Lock()
	c.threads[lead.message] = true
	c.mu.Unlock()
	return nil
}

// send posts one message with the bot token, nonce and enforce_nonce set,
// after looking for an earlier attempt when m.Retry says there may be one.
func (c *Client) send(ctx context.Context, m bot.Message, channelID string, inThread bool, embeds []*discordgo.MessageEmbed) (ref, error) {
	if m.Retry {
		if id, ok := c.findSent(ctx, channelID, m.Key); ok {
			c.log.LogAttrs(ctx, slog.LevelInfo, "discord_found_earlier_send",
				slog.String("channel", channelID), slog.String("message", id), slog.String("key", m.Key))
			return ref{channel: channelID, message: id, inThread: inThread}, nil
		}
	}
	body := messagePayload{Content: postContent(m.Post), Embeds: embeds, AllowedMentions: noMentions()}
	if m.Key != "" {
		body.Nonce, body.EnforceNonce = nonceFor(m.Key), true
	}
	var msg listedMessage
	err := c.rest.do(ctx, call{method: http.MethodPost, path: "channels/" + channelID + "/messages",
		body: body, auth: true, what: "post to channel " + channelID}, &msg)
	if err != nil {
		return ref{}, err
	}
	if msg.ID == "" {
		return ref{}, fmt.Errorf("discord: post to channel %s: answer has no message id", channelID)
	}
	return ref{channel: channelID, message: msg.ID, inThread: inThread}, nil
}

// forumPost makes the lead a new post in a forum channel. Thread creation
// takes no nonce, so a retry looks through the forum's newest posts first.
func (c *Client) forumPost(ctx context.Context, m bot.Message, forum channelInfo, embeds []*discordgo.MessageEmbed) (string, error) {
	if m.Retry {
		if r, ok := c.findForumPost(ctx, forum, m.Key); ok {
			return r.String(), nil
		}
	}
	body := struct {
		Name        string         `json:"name"`
		AutoArchive int            `json:"auto_archive_duration"`
		Message     messagePayload `json:"message"`
	}{threadName(m.Post.Issue.Title), autoArchive, messagePayload{Content: postContent(m.Post), Embeds: embeds, AllowedMentions: noMentions()}}
	var th struct {
		ID      string `json:"id"`
		Message *struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	err := c.rest.do(ctx, call{method: http.MethodPost, path: "channels/" + forum.ID + "/threads",
		body: body, auth: true, what: "create post in forum channel " + forum.ID}, &th)
	if err != nil {
		return "", err
	}
	if th.ID == "" {
		return "", fmt.Errorf("discord: create post in forum channel %s: answer has no thread id", forum.ID)
	}
	msgID := th.ID // a forum post's first message has the thread's id
	if th.Message != nil && th.Message.ID != "" {
		msgID = th.Message.ID
	}
	c.mu.Lock()
	c.threads[msgID] = true
	c.mu.Unlock()
	return ref{channel: th.ID, message: msgID, inThread: true}.String(), nil
}
