package discord

import (
	"context"
	"fmt"
	"net/http"

	"digestbot/bot"
)

// dmChannel returns the id of the bot's direct-message channel with a
// user, creating it (POST /users/@me/channels) when needed. The bot must
// share a server with the user, and the user must allow direct messages
// from that server's members.
func (c *Client) dmChannel(ctx context.Context, user string) (string, error) {
	if id, ok := c.dms.Load(user); ok {
		return id.(string), nil
	}
	var out struct {
		ID string `json:"id"`
	}
	err := c.rest.do(ctx, call{method: http.MethodPost, path: "users/@me/channels",
		body: map[string]string{"recipient_id": user}, auth: true, what: "open direct messages with user " + user}, &out)
	if err != nil {
		return "", err
	}
	if !isSnowflake(out.ID) {
		return "", fmt.Errorf("discord: open direct messages with user %s: no channel id in Discord's answer", user)
	}
	c.dms.Store(user, out.ID)
	return out.ID, nil
}

// publishDM sends a post to a user's direct messages: each story its own
// message, no threads.
func (c *Client) publishDM(ctx context.Context, m bot.Message) (string, error) {
	if c.rest == nil || c.rest.token == "" {
		return "", bot.Permanent(fmt.Errorf("discord: direct messages to %s need a bot token (DIGESTBOT_DISCORD_BOT_TOKEN)", m.Channel.Target))
	}
	id, err := c.dmChannel(ctx, m.Channel.Target)
	if err != nil {
		return "", err
	}
	r, err := c.send(ctx, m, id, false, renderPost(m))
	return r.String(), err
}
