package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// share answers a press of a "Share in channel" button: the story goes
// into the channel where it was pressed, through the outbox, once however
// often it is pressed. Typed, "/digest share" is an unknown command. Every
// answer is private: only the presser sees it. Anyone may share.
func (s *Service) share(ctx context.Context, w Responder, c Command) {
	if !c.Button {
		s.help(ctx, w, c)
		return
	}
	refuse := func(text string) {
		_ = w.Respond(ctx, Reply{Text: text, Error: true, Private: true})
	}
	ref, err := ParseStoryRef(c.Args)
	if err != nil {
		refuse("That Share button names no story I know. Run the search or command again and press the button in its new answer.")
		return
	}
	ss, ok := s.Store.(ShareStore)
	if !ok {
		refuse("This bot's store keeps no shares, so stories cannot be shared into channels.")
		return
	}
	if c.Channel == "" || c.User == "" {
		refuse("I cannot tell which channel that button was pressed in. Press Share on an answer shown in a channel.")
		return
	}
	if c.CannotPost {
		// The bot must not become a way around the channel's permissions.
		refuse("You can't post in this channel, so I can't share into it for you.")
		return
	}
	if s.CanPost != nil && !s.CanPost(c.Platform) {
		refuse(fmt.Sprintf("I cannot post to %s channels by their id: sharing needs the bot token (see the README's %s section).", c.Platform, c.Platform))
		return
	}
	is, err := s.Store.Issue(ctx, ref.IssueID)
	if errors.Is(err, ErrNotFound) || (err == nil && is.Withdrawn) {
		refuse("That issue is no longer in the archive (it was withdrawn), so it cannot be shared. /digest latest shows the newest issue.")
		return
	}
	if err != nil {
		s.fail(ctx, w, c, "sharing the story", err)
		return
	}
	item, ok := ref.resolve(is)
	if !ok && ref.Check != "" {
		// The item was edited or removed since the answer was shown: never
		// share whichever story now sits at its index.
		s.log().Debug("story_share_stale", slog.String("platform", c.Platform), slog.String("user", c.User),
			slog.Int64("issue", is.ID), slog.String("ref", ref.String()))
		refuse(fmt.Sprintf("That story changed or left the issue “%s” since the result was shown, so I did not share it. Run the search or command again and press Share in its new answer (/digest issue %s shows the issue as it is now).",
			cut(is.Title, 100), issueArg(is)))
		return
	}
	if !ok {
		refuse(fmt.Sprintf("That story is no longer in the issue “%s”: it changed after the button was made. /digest issue %s shows the issue as it is now.",
			cut(is.Title, 100), issueArg(is)))
		return
	}
	title := cut(StoryTitle(is, ref.Part, item), 100)
	ch := ShareChannel(c.Platform, c.Channel)
	sh, added, err := ss.AddShare(ctx, NewShare(ch.ID, is, ref.Part, item, Person{ID: c.User, Name: c.UserName}, s.now()))
	if errors.Is(err, ErrNotFound) {
		refuse("That issue is no longer in the archive, so it cannot be shared.")
		return
	}
	if err != nil {
		s.fail(ctx, w, c, "sharing the story", err)
		return
	}
	rearmed := false
	if !added {
		// Shared before, but never posted (given up: the bot was not in the
		// channel, or not allowed to post there)? The press tries again,
		// as `digestbot retry` would.
		rearmed, err = s.retryShare(ctx, ch, sh)
		if err != nil {
			s.fail(ctx, w, c, "sharing the story again", err)
			return
		}
	}
	if s.Shared != nil && (added || rearmed) {
		s.Shared()
	}
	if rearmed {
		s.log().Info("story_share_retried", slog.String("platform", c.Platform), slog.String("user", c.User),
			slog.String("channel", c.Channel), slog.Int64("issue", is.ID), slog.String("story", sh.Key))
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("Trying again to share “%s” in this channel: my first attempt to post it here failed, most likely because I am not allowed to post in this channel. If it does not appear, %s, then press Share again.",
			title, shareAccessHint(c.Platform)), Private: true})
		return
	}
	if !added {
		s.log().Debug("story_share_repeated", slog.String("platform", c.Platform), slog.String("user", c.User),
			slog.String("channel", c.Channel), slog.Int64("issue", is.ID), slog.String("story", sh.Key))
		by := sh.SharedBy.Name
		switch {
		case sh.SharedBy.ID == c.User:
			by = "you"
		case by == "":
			by = "someone"
		}
		text := fmt.Sprintf("“%s” was already shared here by %s", title, by)
		if !sh.Created.IsZero() {
			text += " on " + sh.Created.UTC().Format("2 Jan 2006")
		}
		_ = w.Respond(ctx, Reply{Text: text + ".", Private: true})
		return
	}
	s.log().Info("story_shared", slog.String("platform", c.Platform), slog.String("user", c.User),
		slog.String("user_name", c.UserName), slog.String("channel", c.Channel), slog.Int64("issue", is.ID),
		slog.String("story", sh.Key))
	_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("Shared “%s” in this channel.", title), Private: true})
}

// issueArg is what /digest issue takes to show is: its date.
func issueArg(is *Issue) string {
	if is.Published.IsZero() {
		return "<date>"
	}
	return is.Published.UTC().Format("2006-01-02")
}

// retryShare makes the given-up delivery of share sh into ch pending again
// (RetryDelivery: attempts reset, the target dirty, as `digestbot retry`
// does) when the story was never posted there; rearmed is false when its
// delivery is not given up, its message exists (a failed edit), or the
// retry could not be recorded (logged: another press just made it).
func (s *Service) retryShare(ctx context.Context, ch Channel, sh Share) (rearmed bool, err error) {
	ss := s.Store.(ShareStore) // the share was read from it
	d, ok, err := ss.ShareDelivery(ctx, ch.ID, sh.IssueID, sh.Key)
	if err != nil {
		return false, fmt.Errorf("bot: delivery of a share: %w", err)
	}
	if !ok || d.State != StateFailed || d.Ref != "" {
		return false, nil
	}
	if err := s.Store.RetryDelivery(ctx, d.ID, s.now()); err != nil {
		// Most likely another press re-armed it a moment ago: no
		// longer failed. The presser hears "already shared".
		s.log().Warn("story_share_retry_failed", slog.Int64("delivery", d.ID), slog.Any("error", err))
		return false, nil
	}
	return true, nil
}

// shareAccessHint says what lets the bot post in a channel of platform.
func shareAccessHint(platform string) string {
	switch platform {
	case "slack":
		return "invite me to this channel first (/invite and my name)"
	case "discord":
		return "ask an admin to let me view and send messages in this channel"
	}
	return "make sure I can post in this channel"
}
