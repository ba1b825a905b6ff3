package console

import (
	"context"
	"fmt"
	"strings"

	"digestbot/bot"
)

var _ bot.Notifier = (*Client)(nil)

// Notify prints a notice (an alert), each line prefixed with "[alert] ".
func (c *Client) Notify(ctx context.Context, ch bot.Channel, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString("[alert] " + clean(line) + "\n")
	}
	if err := c.write(b.String()); err != nil {
		return fmt.Errorf("console: print alert: %w", err)
	}
	return nil
}
