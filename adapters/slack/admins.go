package slack

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// adminTTL is how long users.info's answer about a user is reused.
const adminTTL = 10 * time.Minute

// maxAdminCache bounds the users remembered.
const maxAdminCache = 10000

type adminEntry struct {
	admin bool
	until time.Time
}

type adminCache struct {
	mu sync.Mutex
	m  map[string]adminEntry
}

// IsWorkspaceAdmin reports whether a Slack user is a workspace admin or
// owner, per users.info (scope users:read). Answers are cached for ten
// minutes. It implements bot.AdminCheck.
func (c *Client) IsWorkspaceAdmin(ctx context.Context, user string) (bool, error) {
	now := c.now()
	c.admins.mu.Lock()
	e, ok := c.admins.m[user]
	c.admins.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.admin, nil
	}
	u, err := c.api.GetUserInfoContext(ctx, user)
	if err != nil {
		return false, fmt.Errorf("slack: users.info %s: %w (the app needs the users:read scope)", user, err)
	}
	admin := u.IsAdmin || u.IsOwner || u.IsPrimaryOwner
	c.admins.mu.Lock()
	if c.admins.m == nil || len(c.admins.m) >= maxAdminCache {
		c.admins.m = map[string]adminEntry{}
	}
	c.admins.m[user] = adminEntry{admin: admin, until: now.Add(adminTTL)}
	c.admins.mu.Unlock()
	return admin, nil
}
