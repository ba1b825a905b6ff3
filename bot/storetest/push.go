package storetest

import (
	"testing"
	"time"

	"digestbot/bot"
)

func pushStore(t *testing.T, s bot.Store) bot.PushStore {
	t.Helper()
	ps, ok := s.(bot.PushStore)
	if !ok {
		t.Fatalf("%T does not implement bot.PushStore", s)
	}
	return ps
}

func testPush(t *testing.T, fresh opener) {
	t.Run("RecordRefusesReplays", func(t *testing.T) {
		ps := pushStore(t, fresh(t))
		is := newIssue("g1", t0, 2)
		ev := &bot.PushEvent{Key: "sig-1", Source: "ghost", Kind: bot.PushPublished, Feed: feedA, GUID: "g1", Issue: is, ReceivedAt: t0}
		ok, err := ps.RecordPush(ctx, ev)
		if err != nil || !ok || ev.ID == 0 {
			t.Fatalf("RecordPush = %v, %v (id %d), want stored", ok, err, ev.ID)
		}
		again := *ev
		again.ID = 0
		again.Kind = bot.PushWithdrawn
		ok, err = ps.RecordPush(ctx, &again)
		if err != nil || ok {
			t.Fatalf("RecordPush of the same key = %v, %v, want refused as a replay", ok, err)
		}
		if _, err := ps.RecordPush(ctx, &bot.PushEvent{Key: "", Kind: bot.PushWithdrawn, Feed: feedA, GUID: "x"}); err == nil {
			t.Error("RecordPush without a key succeeded")
		}
		if _, err := ps.RecordPush(ctx, &bot.PushEvent{Key: "k", Kind: bot.PushPublished, Feed: feedA, GUID: "x"}); err == nil {
			t.Error("RecordPush of a published event without an issue succeeded")
		}
		evs, err := ps.ClaimPushes(ctx, "r1", t0, time.Minute, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("ClaimPushes = %d events, %v; want the one stored", len(evs), err)
		}
		got := evs[0]
		if got.Kind != bot.PushPublished || got.Key != "sig-1" || got.Attempts != 1 || !got.ReceivedAt.Equal(t0) {
			t.Errorf("claimed %+v", got)
		}
		if got.Issue == nil || got.Issue.Hash() != is.Hash() || got.Issue.GUID != "g1" {
			t.Errorf("the issue did not come back as stored")
		}
	})

	t.Run("ClaimLeaseRetryFinish", func(t *testing.T) {
		ps := pushStore(t, fresh(t))
		for i, k := range []string{"a", "b", "c"} {
			ev := &bot.PushEvent{Key: k, Source: "ghost", Kind: bot.PushWithdrawn, Feed: feedA, GUID: k, ReceivedAt: t0.Add(time.Duration(i) * time.Second)}
			if ok, err := ps.RecordPush(ctx, ev); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		evs, err := ps.ClaimPushes(ctx, "r1", t0, time.Minute, 2)
		if err != nil || len(evs) != 2 || evs[0].Key != "a" || evs[1].Key != "b" {
			t.Fatalf("ClaimPushes = %+v, %v; want a and b in order", evs, err)
		}
		// leased: another replica gets only c
		other, err := ps.ClaimPushes(ctx, "r2", t0, time.Minute, 10)
		if err != nil || len(other) != 1 || other[0].Key != "c" {
			t.Fatalf("second claim = %+v, %v; want only c", other, err)
		}
		if err := ps.FinishPush(ctx, evs[0].ID, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := ps.FinishPush(ctx, evs[1].ID, "store busy", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := ps.FinishPush(ctx, other[0].ID, "bad payload", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := ps.FinishPush(ctx, 99999, "", time.Time{}); err == nil {
			t.Error("FinishPush of an unknown event succeeded")
		}
		if evs, _ := ps.ClaimPushes(ctx, "r1", t0.Add(30*time.Second), time.Minute, 10); len(evs) != 0 {
			t.Errorf("claimed %d events before the retry was due", len(evs))
		}
		evs, err = ps.ClaimPushes(ctx, "r1", t0.Add(time.Minute), time.Minute, 10)
		if err != nil || len(evs) != 1 || evs[0].Key != "b" || evs[0].Attempts != 2 || evs[0].LastError != "store busy" {
			t.Fatalf("retry claim = %+v, %v", evs, err)
		}
		// an expired lease is claimed again
		evs, err = ps.ClaimPushes(ctx, "r2", t0.Add(3*time.Minute), time.Minute, 10)
		if err != nil || len(evs) != 1 || evs[0].Key != "b" || evs[0].Attempts != 3 {
			t.Fatalf("claim after lease expiry = %+v, %v", evs, err)
		}
		counts, err := ps.PushCounts(ctx)
		if err != nil || counts["done"] != 1 || counts["failed"] != 1 || counts["pending"] != 1 {
			t.Errorf("PushCounts = %v, %v", counts, err)
		}
		n, err := ps.PrunePushes(ctx, t0.Add(time.Hour))
		if err != nil || n != 2 {
			t.Errorf("PrunePushes = %d, %v; want the done and the failed one", n, err)
		}
		// a pruned key may be recorded again (its timestamp is long stale by then)
		if ok, err := ps.RecordPush(ctx, &bot.PushEvent{Key: "a", Kind: bot.PushWithdrawn, Feed: feedA, GUID: "a", ReceivedAt: t0}); !ok || err != nil {
			t.Errorf("RecordPush after prune = %v, %v", ok, err)
		}
	})

	t.Run("Withdrawn", func(t *testing.T) {
		ps := pushStore(t, fresh(t))
		if err := ps.MarkWithdrawn(ctx, feedA, "g1", t0); err != nil {
			t.Fatal(err)
		}
		if err := ps.MarkWithdrawn(ctx, feedA, "g1", t0.Add(-time.Hour)); err != nil { // older: keeps t0
			t.Fatal(err)
		}
		if err := ps.MarkWithdrawn(ctx, feedB, "g2", t0); err != nil {
			t.Fatal(err)
		}
		got, err := ps.WithdrawnSince(ctx, feedA, t0.Add(-time.Minute))
		if err != nil || !got["g1"] || len(got) != 1 {
			t.Errorf("WithdrawnSince = %v, %v; want g1 only", got, err)
		}
		if got, _ := ps.WithdrawnSince(ctx, feedA, t0.Add(time.Minute)); len(got) != 0 {
			t.Errorf("WithdrawnSince after = %v, want none", got)
		}
		if err := ps.ClearWithdrawn(ctx, feedA, "g1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := ps.WithdrawnSince(ctx, feedA, time.Time{}); len(got) != 0 {
			t.Errorf("after ClearWithdrawn: %v", got)
		}
		if err := ps.ClearWithdrawn(ctx, feedA, "never"); err != nil {
			t.Errorf("ClearWithdrawn of an unknown issue = %v, want nil", err)
		}
	})
}
