package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// actionKind is what the reconciler does about one post.
type actionKind int

const (
	actPublish actionKind = iota // post a new message (Retry: look for an earlier attempt first)
	actEdit                      // replace the message's content
	actDelete                    // delete the message: its post left the issue
	actKeep                      // the post left the issue; on_remove keep leaves the message
	actForget                    // the post left the issue and has no message to delete
	actAdopt                     // a kept message shows the post again, unchanged: it is sent again
)

func (k actionKind) String() string {
	return [...]string{"publish", "edit", "delete", "keep", "forget", "adopt"}[k]
}

// action is one step of bringing a channel in step with an issue.
type action struct {
	kind  actionKind
	post  Post      // the post (for removals: rebuilt from the delivery)
	seq   int       // its place in the channel's order of the issue
	hash  string    // PostHash of the post now
	row   *Delivery // the existing delivery, nil for a new post
	retry bool      // an earlier attempt may have reached the platform
	reset bool      // a fresh start: the delivery's attempts count from 1
}

// planActions compares the posts an issue should have in a channel with
// the deliveries it has, and returns what to do: removals first (the
// roundup before the lead), then the posts in order.
func planActions(is *Issue, want []Post, ch Channel, rows []Delivery) []action {
	byKey := make(map[string]*Delivery, len(rows))
	for i := range rows {
		byKey[rows[i].Key] = &rows[i]
	}
	wanted := make(map[string]bool, len(want))
	for _, p := range want {
		wanted[p.Key] = true
	}
	// A pre-0003 attempt at an item that had no link of its own (0003 keyed
	// it "legacy:roundup:N") is the attempt at the post of the item now at
	// N, when that post has no delivery yet: the post is published looking
	// for the old key first, and only then is the old row forgotten.
	// Such an attempt given up leaves the post given up: it waits for
	// `digestbot retry`, as any failed post does.
	adopted := map[string]*Delivery{} // post key → legacy row
	adoptedRow := map[*Delivery]bool{}
	for i := range rows {
		d := &rows[i]
		if !(legacyInFlight(d) || legacyGivenUp(d)) || !strings.HasPrefix(d.Key, "legacy:") {
			continue
		}
		for _, p := range want {
			if p.Part == PartRoundup && p.Item == d.Item && byKey[p.Key] == nil && adopted[p.Key] == nil {
				adopted[p.Key], adoptedRow[d] = d, true
			}
		}
	}
	var acts []action
	for i := len(rows) - 1; i >= 0; i-- {
		d := &rows[i]
		if wanted[d.Key] || d.State == StateRemoved || adoptedRow[d] {
			continue
		}
		a := action{post: Post{Issue: is, Part: d.Part, Item: d.Item, Key: d.Key}, seq: d.Seq, row: d}
		switch {
		case d.Ref == "":
			a.kind = actForget // never confirmed: nothing we can point at
		case ch.OnRemove == OnRemoveKeep:
			a.kind = actKeep
		default:
			a.kind = actDelete
		}
		acts = append(acts, a)
	}
	for seq, p := range want {
		h := PostHash(p, ch)
		d := byKey[p.Key]
		a := action{post: p, seq: seq, hash: h, row: d}
		switch {
		case d == nil && adopted[p.Key] != nil:
			l := adopted[p.Key]
			if legacyGivenUp(l) {
				continue // given up before the upgrade's key: waits for retry
			}
			a.kind, a.retry, a.row = actPublish, true, l
			acts = append(acts, a, action{kind: actForget, post: Post{Issue: is, Part: l.Part, Item: l.Item, Key: l.Key}, seq: l.Seq, row: l})
			continue
		case d == nil:
			a.kind = actPublish
		case d.State == StatePending:
			a.kind, a.retry = actPublish, true
		case d.State == StateFailed:
			if d.TryHash == h || legacyGivenUp(d) {
				continue // given up on this very content (or on a pre-0003 attempt)
			}
			a.reset = true
			if d.Ref != "" {
				a.kind = actEdit
			} else {
				a.kind, a.retry = actPublish, true
			}
		case d.State == StateRemoved:
			switch {
			case d.Ref == "":
				a.kind, a.reset = actPublish, true
			case d.SentHash == h:
				a.kind = actAdopt
			default:
				a.kind, a.reset = actEdit, true
			}
		default: // sent, or legacy edit
			if d.State == StateSent && (d.SentHash == h || d.SentHash == "*") {
				continue
			}
			a.kind = actEdit
		}
		acts = append(acts, a)
	}
	return acts
}

// reconcile brings one channel in step with one issue. It returns when
// done (zero time), or when the channel has to wait (until then).
func (o *Outbox) reconcile(ctx, sendCtx context.Context, ch Channel, t Target, rows []Delivery, st *SendStats, lost *atomic.Bool) (time.Time, error) {
	log := o.log().With(slog.String("channel", ch.ID), slog.Int64("issue", t.IssueID))
	withdrawn := t.Withdrawn()
	is, err := o.Store.Issue(ctx, t.IssueID)
	switch {
	case errors.Is(err, ErrNotFound):
		is, withdrawn = &Issue{ID: t.IssueID}, true
	case err != nil:
		return time.Time{}, fmt.Errorf("bot: load issue %d for channel %s: %w", t.IssueID, ch.ID, err)
	}
	withdrawn = withdrawn || is.Withdrawn
	doneHash := HashWithdrawn
	if !withdrawn {
		doneHash = is.Hash()
	}
	pub, ok := o.Publishers[ch.Platform]
	if !ok {
		err := fmt.Errorf("no %s publisher is configured for channel %q: configure the %s credentials", ch.Platform, ch.ID, ch.Platform)
		log.Error("channel_unserved", slog.Any("error", err))
		return o.now().Add(retryCap), nil
	}
	parent := ""
	for _, d := range rows {
		if d.Key == KeyLead && d.State != StateRemoved {
			parent = d.Ref
		}
	}
	rctx := context.WithoutCancel(ctx) // records outlive shutdown: the platform may have the post
	_, sharing := ParseShareChannel(ch.ID)
	want, shared, err := o.wantedPosts(ctx, is, withdrawn, ch)
	if err != nil {
		return time.Time{}, err
	}
	for _, a := range planActions(is, want, ch, rows) {
		if ctx.Err() != nil || lost.Load() {
			return time.Time{}, nil
		}
		alog := log.With(slog.String("post", a.post.Key), slog.String("action", a.kind.String()))
		switch a.kind {
		case actKeep, actForget:
			if err := o.Store.MarkRemoved(rctx, a.row.ID, a.kind == actForget); err != nil {
				return time.Time{}, fmt.Errorf("bot: record removal of delivery %d: %w", a.row.ID, err)
			}
			alog.Info("post_removed", slog.Bool("message_kept", a.kind == actKeep))
			continue
		case actAdopt:
			if err := o.Store.MarkSent(rctx, a.row.ID, a.row.Ref, a.hash); err != nil {
				return time.Time{}, fmt.Errorf("bot: record delivery %d as sent: %w", a.row.ID, err)
			}
			continue
		}
		d := Delivery{IssueID: t.IssueID, Channel: ch.ID, Key: a.post.Key, Part: a.post.Part, Item: a.post.Item, Seq: a.seq, TryHash: a.hash}
		if a.row != nil {
			d.TryHash = a.row.TryHash
			if a.kind != actDelete {
				d.TryHash = a.hash
			}
		}
		key := deliveryKey(is, ch.ID, a.post.Key)
		if a.kind == actPublish && legacyInFlight(a.row) {
			// Keep the marks of a pre-0003 attempt until the post is sent,
			// so that every retry looks for the key it went out with.
			d.TryHash, d.Item = "", a.row.Item
			key = legacyDeliveryKey(is, ch.ID, a.row.Part, a.row.Item)
			alog = alog.With(slog.Bool("legacy_key", true))
		}
		d, err := o.Store.StartDelivery(rctx, d, a.reset)
		if err != nil {
			return time.Time{}, fmt.Errorf("bot: record attempt at %s in %s: %w", a.post.Key, ch.ID, err)
		}
		alog = alog.With(slog.Int64("delivery", d.ID), slog.Int("attempt", d.Attempts))
		msg := Message{Key: key, Channel: ch, Post: a.post, ParentRef: parent,
			Retry: a.kind == actPublish && (a.retry || d.Attempts > 1)}
		if a.post.Part == PartLead || sharing {
			msg.ParentRef = "" // a shared story stands alone, in no thread
		}
		var ref string
		var result string
		switch a.kind {
		case actPublish:
			ref, err = pub.Publish(sendCtx, msg)
			result = "sent"
		case actEdit:
			ref = d.Ref
			err = pub.Edit(sendCtx, msg, ref)
			result = "edited"
		case actDelete:
			err = pub.Delete(sendCtx, msg, d.Ref)
			result = "deleted"
		}
		if err == nil {
			if a.kind == actDelete {
				err = o.Store.MarkRemoved(rctx, d.ID, true)
			} else {
				err = o.Store.MarkSent(rctx, d.ID, ref, a.hash)
			}
			if err != nil {
				return time.Time{}, fmt.Errorf("bot: record delivery %d as %s (ref %s): %w", d.ID, result, ref, err)
			}
			if a.post.Part == PartLead && a.kind == actPublish {
				parent = ref
			}
			switch a.kind {
			case actPublish:
				st.Sent++
			case actEdit:
				st.Edited++
			case actDelete:
				st.Deleted++
			}
			o.observer().Delivered(ch.Platform, result)
			o.Alerts.StoreOK(ctx)
			o.Alerts.PostSent(ctx, ch)
			alog.Info("post_"+result, slog.String("ref", ref))
			continue
		}
		if errors.Is(err, ErrPermanent) || d.Attempts >= o.maxAttempts() {
			if serr := o.Store.MarkFailed(rctx, d.ID, RedactText(err.Error())); serr != nil {
				return time.Time{}, fmt.Errorf("bot: record failure of delivery %d: %w", d.ID, serr)
			}
			st.Failed++
			o.observer().Delivered(ch.Platform, "failed")
			alog.Error("post_failed", slog.String("error", RedactText(err.Error())),
				slog.String("hint", fmt.Sprintf("fix the cause named in the error, then `digestbot retry %d`; `digestbot status` lists every failed post", d.ID)))
			o.Alerts.PostGivenUp(ctx, d, ch, err)
			continue
		}
		wait := Backoff(retryBase, d.Attempts, retryCap)
		wait += o.jitter(wait / 5)
		if ra, ok := RetryAfter(err); ok && ra > wait {
			wait = ra
		}
		next := o.now().Add(wait)
		if serr := o.Store.MarkRetry(rctx, d.ID, RedactText(err.Error()), next); serr != nil {
			return time.Time{}, fmt.Errorf("bot: record retry of delivery %d: %w", d.ID, serr)
		}
		st.Retried++
		o.observer().Delivered(ch.Platform, "retry")
		alog.Warn("post_retry", slog.Any("error", err), slog.Time("next_attempt", next))
		return next, nil
	}
	if err := o.Store.TargetDone(rctx, t.IssueID, ch.ID, doneHash); err != nil {
		return time.Time{}, fmt.Errorf("bot: record channel %s in step with issue %d: %w", ch.ID, t.IssueID, err)
	}
	if shared != nil {
		if err := o.sharedSince(rctx, ch, t.IssueID, shared); err != nil {
			return time.Time{}, err
		}
	}
	return time.Time{}, nil
}

// wantedPosts returns the posts an issue should have in a channel: none
// when withdrawn; in a user's direct messages (follows), the stories that
// match the user's follows now, each its own message; in a share channel,
// the shared stories that are still in the issue, oldest share first (and
// the shares read, non-nil); else PostsFor.
func (o *Outbox) wantedPosts(ctx context.Context, is *Issue, withdrawn bool, ch Channel) ([]Post, []Share, error) {
	if withdrawn {
		return nil, nil, nil
	}
	if _, ok := ParseShareChannel(ch.ID); ok {
		return o.sharedPosts(ctx, is, ch)
	}
	if !ch.DM {
		return PostsFor(is, ch.Layout), nil, nil
	}
	ps, ok := o.Store.(PeopleStore)
	if !ok {
		return nil, nil, nil
	}
	fs, err := ps.Follows(ctx, ch.Platform, ch.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: follows of %s for issue %d: %w", ch.ID, is.ID, err)
	}
	return FollowPosts(is, NewFollowMatcher(fs).MatchIssue(is)), nil, nil
}
