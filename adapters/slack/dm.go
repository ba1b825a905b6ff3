package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

// dmTarget returns the conversation id of a user's direct messages with
// the bot, opening it (conversations.open, scope im:write) when needed.
func (c *Client) dmTarget(ctx context.Context, ch bot.Channel) (string, error) {
	user := ch.Target
	if id, ok := c.dms.Load(user); ok {
		return id.(string), nil
	}
	var id string
	err := c.call(ctx, "conversations.open", user, false, func() error {
		conv, _, _, err := c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
		if err != nil {
			return err
		}
		id = conv.ID
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("slack: open direct messages with %s (needs the im:write scope): %w", user, err)
	}
	if id == "" {
		return "", fmt.Errorf("slack: open direct messages with %s: Slack returned no channel", user)
	}
	c.dms.Store(user, id) // stable for a bot and a user
	return id, nil
}
