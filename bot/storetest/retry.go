package storetest

import (
	"errors"
	"strings"
	"testing"

	"digestbot/bot"
)

// testRetry: RetryDelivery gives a failed post another chance (pending,
// attempts reset, its target dirty again; a post that had been sent stays
// sent, to be edited), and refuses unknown and unfailed ones.
func testRetry(t *testing.T, open opener) {
	s := open(t)
	is := newIssue("g1", t0, 1)
	save(t, s, is, deliveriesFor(is, "c1")...)
	tg, _, ok := next(t, s, "c1")
	if !ok {
		t.Fatal("no target for c1")
	}
	lead := start(t, s, bot.Delivery{IssueID: is.ID, Channel: "c1", Key: bot.KeyLead, Part: bot.PartLead, TryHash: "h1"}, false)
	mark(t, s.MarkFailed(ctx, lead.ID, "channel_not_found"))
	r0 := start(t, s, bot.Delivery{IssueID: is.ID, Channel: "c1", Key: "r:a", Part: bot.PartRoundup, Seq: 1, TryHash: "h2"}, false)
	if err := s.RetryDelivery(ctx, r0.ID, t0); err == nil || errors.Is(err, bot.ErrNotFound) || !strings.Contains(err.Error(), "not failed") {
		t.Errorf("RetryDelivery of a pending delivery = %v, want an error saying it is not failed", err)
	}
	mark(t, s.MarkSent(ctx, r0.ID, "ref-r0", "h2"))
	mark(t, s.TargetDone(ctx, is.ID, "c1", tg.Hash))
	if _, _, ok := next(t, s, "c1"); ok {
		t.Fatal("target still dirty after TargetDone")
	}
	wantNotFound(t, "RetryDelivery of an unknown delivery", s.RetryDelivery(ctx, 987654, t0))

	mark(t, s.RetryDelivery(ctx, lead.ID, t0))
	_, ds, ok := next(t, s, "c1")
	if !ok {
		t.Fatal("the target is not dirty after RetryDelivery")
	}
	var got *bot.Delivery
	for i := range ds {
		if ds[i].ID == lead.ID {
			got = &ds[i]
		}
	}
	if got == nil || got.State != bot.StatePending || got.Attempts != 0 || got.TryHash != "" {
		t.Errorf("retried delivery = %+v, want pending, 0 attempts, no TryHash", got)
	}
	if c := counts(t, s); c[bot.StateFailed] != 0 || c[bot.StatePending] != 1 || c[bot.StateSent] != 1 {
		t.Errorf("counts after retry = %v", c)
	}
	if again := start(t, s, bot.Delivery{IssueID: is.ID, Channel: "c1", Key: bot.KeyLead, Part: bot.PartLead, TryHash: "h1"}, false); again.Attempts != 1 {
		t.Errorf("attempt after retry = %+v, want attempt 1", again)
	}
}
