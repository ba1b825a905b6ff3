package bot

import (
	"context"
	"log/slog"
)

// AdminCheck asks a platform whether a user is one of its admins (Slack:
// a workspace admin or owner, from users.info).
type AdminCheck func(ctx context.Context, user string) (bool, error)

// WithAdmins returns h with Command.Admin also set for the users listed by
// id (slack.admins, discord.admins) and, for AdminOnly commands, for those
// check says are admins (nil: no check). What the adapter already set
// stays. The quick path of h is kept. A failed check counts as "not an
// admin" and is logged.
func WithAdmins(h Handler, ids []string, check AdminCheck, log *slog.Logger) Handler {
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wrapped := HandlerFunc(func(ctx context.Context, w Responder, c Command) {
		if !c.Admin && c.User != "" && set[c.User] {
			c.Admin = true
		}
		if !c.Admin && check != nil && c.User != "" && AdminOnly(c.Name) {
			ok, err := check(ctx, c.User)
			if err != nil {
				log.Warn("admin_check_failed", slog.String("user", c.Caller()), slog.String("command", c.Name), slog.Any("error", err))
			}
			c.Admin = ok && err == nil
		}
		h.ServeCommand(ctx, w, c)
	})
	if q, ok := h.(Quick); ok {
		return WithQuick(wrapped, q.ServeQuick)
	}
	return wrapped
}
