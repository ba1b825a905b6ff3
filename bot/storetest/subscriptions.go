package storetest

import (
	"reflect"
	"testing"
	"time"

	"digestbot/bot"
)

func testSubscriptions(t *testing.T, open opener) {
	subs := func(t *testing.T, s bot.Store) bot.SubscriptionStore {
		t.Helper()
		ss, ok := s.(bot.SubscriptionStore)
		if !ok {
			t.Fatalf("%T does not implement bot.SubscriptionStore", s)
		}
		return ss
	}
	t.Run("AddChangeList", func(t *testing.T) {
		s := open(t)
		ss := subs(t, s)
		a := bot.Subscription{Feed: feedA, Platform: "slack", Target: "C0SUBA", Layout: bot.LayoutThread, AddedBy: "U1 (ana)", AddedAt: t0}
		b := bot.Subscription{Feed: feedA, Platform: "discord", Target: "112233445566778899", Layout: bot.LayoutCombined, AddedBy: "42 (bo)", AddedAt: t0.Add(time.Minute)}
		c := bot.Subscription{Feed: feedB, Platform: "slack", Target: "C0SUBA", Layout: bot.LayoutSeparate, AddedBy: "U1 (ana)", AddedAt: t0.Add(2 * time.Minute)}
		for _, sub := range []bot.Subscription{a, b, c} {
			created, err := ss.Subscribe(ctx, sub)
			if err != nil || !created {
				t.Fatalf("Subscribe(%+v) = %v, %v; want created", sub, created, err)
			}
		}
		// The same channel again: the layout changes, nothing is added.
		a2 := a
		a2.Layout, a2.AddedBy, a2.AddedAt = bot.LayoutSeparate, "U2 (cy)", t0.Add(time.Hour)
		created, err := ss.Subscribe(ctx, a2)
		if err != nil || created {
			t.Fatalf("Subscribe again = %v, %v; want not created", created, err)
		}
		a.Layout = bot.LayoutSeparate // who added it and when stay
		got, err := ss.Subscriptions(ctx, feedA)
		if err != nil {
			t.Fatal(err)
		}
		if want := []bot.Subscription{b, a}; !reflect.DeepEqual(got, want) {
			t.Errorf("Subscriptions(feedA) =\n%+v\nwant\n%+v", got, want)
		}
		all, err := ss.Subscriptions(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := []bot.Subscription{b, a, c}; !reflect.DeepEqual(all, want) {
			t.Errorf("Subscriptions(\"\") =\n%+v\nwant\n%+v", all, want)
		}
		if none, err := ss.Subscriptions(ctx, "https://nobody.example/"); err != nil || len(none) != 0 {
			t.Errorf("Subscriptions(unknown) = %v, %v; want none", none, err)
		}
		for _, bad := range []bot.Subscription{
			{Feed: feedA, Platform: "slack", Target: "C1", Layout: "sideways"},
			{Feed: "", Platform: "slack", Target: "C1", Layout: bot.LayoutThread},
			{Feed: feedA, Platform: "slack", Target: "", Layout: bot.LayoutThread},
		} {
			if _, err := ss.Subscribe(ctx, bad); err == nil {
				t.Errorf("Subscribe(%+v) = nil error, want a refusal", bad)
			}
		}
		if all2, _ := ss.Subscriptions(ctx, ""); len(all2) != 3 {
			t.Errorf("refused subscriptions were stored: %+v", all2)
		}
	})
	t.Run("UnsubscribeStopsTheChannel", func(t *testing.T) {
		s := open(t)
		ss := subs(t, s)
		sub := bot.Subscription{Feed: feedA, Platform: "slack", Target: "C0SUBA", Layout: bot.LayoutThread, AddedAt: t0}
		other := bot.Subscription{Feed: feedA, Platform: "slack", Target: "C0SUBB", Layout: bot.LayoutThread, AddedAt: t0}
		for _, x := range []bot.Subscription{sub, other} {
			if _, err := ss.Subscribe(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		ensure(t, s, feedA)
		is := newIssue("g1", t0, 2)
		mine, theirs := sub.Channel().ID, other.Channel().ID
		save(t, s, is, deliveriesFor(is, mine, theirs, "configured")...)
		ok, err := ss.Unsubscribe(ctx, feedA, "slack", "C0SUBA", "U1 (ana)")
		if err != nil || !ok {
			t.Fatalf("Unsubscribe = %v, %v; want ok", ok, err)
		}
		left, err := ss.Subscriptions(ctx, "")
		if err != nil || len(left) != 1 || left[0].Target != "C0SUBB" {
			t.Errorf("after Unsubscribe: %+v, %v; want only C0SUBB", left, err)
		}
		for ch, want := range map[string]int{mine: 0, theirs: 1, "configured": 1} {
			ts, err := s.Targets(ctx, ch, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != want {
				t.Errorf("channel %s: %d dirty targets after unsubscribing C0SUBA, want %d", ch, len(ts), want)
			}
		}
		if ok, err := ss.Unsubscribe(ctx, feedA, "slack", "C0SUBA", "U1"); err != nil || ok {
			t.Errorf("Unsubscribe again = %v, %v; want false, nil", ok, err)
		}
	})
}
