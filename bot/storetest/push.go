package storetest

import (
	"errors"
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

func testWebSub(t *testing.T, fresh opener) {
	s := fresh(t)
	ws, ok := s.(bot.WebSubStore)
	if !ok {
		t.Fatalf("%T does not implement bot.WebSubStore", s)
	}
	sub := bot.HubSubscription{ID: "cb1", Feed: feedB, Hub: "https://hub.example.com/", Topic: feedB, Secret: "s1",
		State: bot.SubSubscribing, UpdatedAt: t0}
	if err := ws.SaveHubSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := ws.SaveHubSubscription(ctx, bot.HubSubscription{ID: "cb0", Feed: feedA, Hub: "h", Topic: feedA, Secret: "s0", State: bot.SubActive}); err != nil {
		t.Fatal(err)
	}
	sub.State, sub.LeaseUntil = bot.SubActive, t0.Add(10*24*time.Hour)
	if err := ws.SaveHubSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	got, err := ws.HubSubscription(ctx, "cb1")
	if err != nil || got.State != bot.SubActive || !got.LeaseUntil.Equal(sub.LeaseUntil) || got.Secret != "s1" || !got.UpdatedAt.Equal(t0) {
		t.Errorf("Subscription = %+v, %v", got, err)
	}
	all, err := ws.HubSubscriptions(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "cb0" {
		t.Errorf("Subscriptions = %+v, %v; want cb0 (feedA) then cb1", all, err)
	}
	if err := ws.DeleteHubSubscription(ctx, "cb1"); err != nil {
		t.Fatal(err)
	}
	if err := ws.DeleteHubSubscription(ctx, "nope"); err != nil {
		t.Errorf("DeleteHubSubscription of an unknown id = %v", err)
	}
	if _, err := ws.HubSubscription(ctx, "cb1"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("deleted subscription: %v, want ErrNotFound", err)
	}
}
