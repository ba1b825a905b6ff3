package storetest

import (
	"testing"
	"time"

	"digestbot/bot"
)

func testReplicas(t *testing.T, open opener) {
	t.Run("HeartbeatAndSince", func(t *testing.T) {
		s := open(t)
		if rs, err := s.Replicas(ctx, time.Time{}); err != nil || len(rs) != 0 {
			t.Fatalf("Replicas of an empty store = %v, %v", rs, err)
		}
		mark(t, s.Heartbeat(ctx, "r2", "host-b pid 2 v1", t0))
		mark(t, s.Heartbeat(ctx, "r1", "host-a pid 1 v1", t0.Add(-time.Hour)))
		mark(t, s.Heartbeat(ctx, "r2", "host-b pid 2 v2", t0.Add(time.Minute)))
		rs, err := s.Replicas(ctx, t0.Add(-2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || rs[0].ID != "r1" || rs[1].ID != "r2" {
			t.Fatalf("Replicas = %+v, want r1 and r2 by ID", rs)
		}
		r2 := rs[1]
		if r2.Info != "host-b pid 2 v2" {
			t.Errorf("Info = %q, want the latest", r2.Info)
		}
		wantTime(t, "Started", r2.Started, t0)
		wantTime(t, "Heartbeat", r2.Heartbeat, t0.Add(time.Minute))
		rs, _ = s.Replicas(ctx, t0)
		if len(rs) != 1 || rs[0].ID != "r2" {
			t.Errorf("Replicas(since t0) = %+v, want only r2", rs)
		}
	})

	t.Run("LeasesHeld", func(t *testing.T) {
		s := open(t)
		ensure(t, s, feedA, feedB)
		is := newIssue("g1", t0, 1)
		save(t, s, is, deliveriesFor(is, "c1", "c2", "c3")...)
		if _, ok, err := s.ClaimFeed(ctx, "r1", t0, lease); !ok || err != nil {
			t.Fatalf("ClaimFeed = %v, %v", ok, err)
		}
		f2, _, _ := s.ClaimFeed(ctx, "r2", t0, lease)
		for _, c := range []string{"c1", "c2"} {
			if _, ok, err := s.ClaimChannel(ctx, c, "r1", t0, lease, t0.Add(-time.Hour)); !ok || err != nil {
				t.Fatalf("ClaimChannel(%s) = %v, %v", c, ok, err)
			}
		}
		mark(t, s.Heartbeat(ctx, "r1", "a", t0.Add(time.Second)))
		mark(t, s.Heartbeat(ctx, "r2", "b", t0.Add(time.Second)))
		mark(t, s.Heartbeat(ctx, "r3", "c", t0.Add(time.Second)))
		want := map[string][2]int{"r1": {1, 2}, "r2": {1, 0}, "r3": {0, 0}}
		checkLeases(t, s, "after claims", want)

		mark(t, s.ReleaseChannel(ctx, "c1", "r1"))
		mark(t, s.RecordPoll(ctx, f2.URL, bot.PollRecord{At: t0, NextPoll: t0.Add(time.Hour)}))
		checkLeases(t, s, "after ReleaseChannel and RecordPoll", map[string][2]int{"r1": {1, 1}, "r2": {0, 0}, "r3": {0, 0}})

		// r1 lives on but its leases have run out.
		mark(t, s.Heartbeat(ctx, "r1", "a", t0.Add(lease+time.Second)))
		checkLeases(t, s, "after r1's leases expired", map[string][2]int{"r1": {0, 0}, "r2": {0, 0}, "r3": {0, 0}})
	})
}

func checkLeases(t *testing.T, s bot.Store, what string, want map[string][2]int) {
	t.Helper()
	rs, err := s.Replicas(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int{}
	for _, r := range rs {
		got[r.ID] = [2]int{r.Feeds, r.Sending}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: replica %s holds %d feed and %d delivery leases, want %d and %d", what, id, got[id][0], got[id][1], w[0], w[1])
		}
	}
}
