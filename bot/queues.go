package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ChannelQueue is one channel's queue, as `digestbot status` shows it.
type ChannelQueue struct {
	Channel    string
	Issues     int       // issues the channel is not in step with
	Pending    int       // posts to publish, edit or delete (the issue in progress exactly, later ones estimated)
	InProgress Target    // the oldest of those issues; zero when none
	LastSent   time.Time // when a post was last sent or edited
	Waiting    string    // why it waits, "" when it does not
}

// Queues describes the queue of every configured channel (and of channels
// that still have work but are no longer configured).
func Queues(ctx context.Context, st Store, channels []Channel, now time.Time, staleAfter time.Duration) ([]ChannelQueue, error) {
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	states, err := st.ChannelStates(ctx, now, now.Add(-staleAfter))
	if err != nil {
		return nil, err
	}
	byID := map[string]ChannelState{}
	for _, s := range states {
		byID[s.Channel] = s
	}
	chans := append([]Channel(nil), channels...)
	known := map[string]bool{}
	for _, c := range channels {
		known[c.ID] = true
	}
	for _, s := range states {
		if !known[s.Channel] && s.Dirty > 0 {
			chans = append(chans, Channel{ID: s.Channel, Platform: "(not configured)"})
		}
	}
	var out []ChannelQueue
	for _, ch := range chans {
		s := byID[ch.ID]
		q := ChannelQueue{Channel: ch.ID, Issues: s.Dirty, LastSent: s.LastSent, InProgress: s.Oldest}
		if s.Dirty > 0 {
			if t, rows, ok, err := st.NextTarget(ctx, ch.ID); err == nil && ok {
				q.InProgress = t
				if is, err := st.Issue(ctx, t.IssueID); err == nil {
					if want, _, err := (&Outbox{Store: st}).wantedPosts(ctx, is, t.Withdrawn() || is.Withdrawn, ch); err == nil {
						q.Pending += len(planActions(is, want, ch, rows))
					}
				}
			}
			ts, err := st.Targets(ctx, ch.ID, 50)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				if t.IssueID == q.InProgress.IssueID {
					continue
				}
				is, err := st.Issue(ctx, t.IssueID)
				switch {
				case err != nil:
				case t.DoneHash == "" && !t.Withdrawn():
					q.Pending += len(PostsFor(is, ch.Layout))
				default:
					q.Pending++ // at least one edit or removal
				}
			}
		}
		switch {
		case s.LeaseOwner != "" && s.LeaseStale:
			q.Waiting = fmt.Sprintf("lease held by replica %s, whose heartbeat is stale: another replica takes over", s.LeaseOwner)
		case s.Dirty > 0 && q.InProgress.NextAttempt.After(now):
			why := "retrying"
			if strings.Contains(strings.ToLower(q.InProgress.LastError), "rate limit") {
				why = "rate-limited"
			}
			q.Waiting = fmt.Sprintf("%s until %s: %s", why, q.InProgress.NextAttempt.UTC().Format(time.RFC3339), q.InProgress.LastError)
		case s.LeaseOwner != "":
			q.Waiting = fmt.Sprintf("being sent by replica %s (lease until %s)", s.LeaseOwner, s.LeaseUntil.UTC().Format(time.TimeOnly))
		}
		out = append(out, q)
	}
	return out, nil
}
