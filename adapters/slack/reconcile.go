package slack

import (
	"context"

	"github.com/slack-go/slack"
)

// historyPage is how many messages one history call asks for.
const historyPage = 200

// findPosted looks for a message carrying the delivery key in its metadata:
// in the thread under threadTS when it is set, else in the channel's recent
// history. It reads at most c.pages pages, newest first.
func (c *Client) findPosted(ctx context.Context, channel, threadTS, key string) (ref string, found bool, err error) {
	cursor := ""
	for page := 0; page < c.pages; page++ {
		var (
			msgs    []slack.Message
			hasMore bool
			next    string
		)
		if threadTS != "" {
			err = c.call(ctx, "conversations.replies", channel, false, func() error {
				var err error
				msgs, hasMore, next, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
					ChannelID:          channel,
					Timestamp:          threadTS,
					Cursor:             cursor,
					Limit:              historyPage,
					IncludeAllMetadata: true,
				})
				return err
			})
		} else {
			err = c.call(ctx, "conversations.history", channel, false, func() error {
				resp, err := c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
					ChannelID:          channel,
					Cursor:             cursor,
					Limit:              historyPage,
					IncludeAllMetadata: true,
				})
				if resp != nil {
					msgs, hasMore, next = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
				}
				return err
			})
		}
		if err != nil {
			return "", false, err // e.g. "slack: conversations.history to C1: missing_scope: ..."
		}
		for _, m := range msgs {
			if m.Metadata.EventType != metadataEvent {
				continue
			}
			if k, _ := m.Metadata.EventPayload["key"].(string); k == key && m.Timestamp != "" {
				return FormatRef(channel, m.Timestamp), true, nil
			}
		}
		if !hasMore || next == "" {
			break
		}
		cursor = next
	}
	return "", false, nil
}
