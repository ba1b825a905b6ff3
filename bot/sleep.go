package bot

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, and then returns ctx's error; d <= 0
// does not wait. It is the chat adapters' wait before a retry.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
