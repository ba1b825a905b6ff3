package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

const lease = 5 * time.Minute

func mark(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func counts(t *testing.T, s bot.Store) map[bot.DeliveryState]int {
	t.Helper()
	c, err := s.DeliveryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func next(t *testing.T, s bot.Store, channel string) (bot.Target, []bot.Delivery, bool) {
	t.Helper()
	tg, ds, ok, err := s.NextTarget(ctx, channel)
	if err != nil {
		t.Fatalf("NextTarget(%s): %v", channel, err)
	}
	return tg, ds, ok
}

func start(t *testing.T, s bot.Store, d bot.Delivery, reset bool) bot.Delivery {
	t.Helper()
	got, err := s.StartDelivery(ctx, d, reset)
	if err != nil {
		t.Fatalf("StartDelivery(%+v): %v", d, err)
	}
	return got
}

func targetKeys(ts []bot.Target) []string {
	var out []string
	for _, tg := range ts {
		out = append(out, fmt.Sprintf("%d@%s", tg.IssueID, tg.Channel))
	}
	return out
}

func due(t *testing.T, s bot.Store, owner string, now, stale time.Time) string {
	t.Helper()
	cs, err := s.DueChannels(ctx, owner, now, stale)
	if err != nil {
		t.Fatalf("DueChannels: %v", err)
	}
	return fmt.Sprint(cs)
}

func testOutbox(t *testing.T, open opener) {
	t.Run("SaveCreatesTargets", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is, deliveriesFor(is, "c1", "c2")...)
		backfill := newIssue("g0", t0.Add(-time.Hour), 2)
		save(t, s, backfill) // backfill: no channels
		ts, err := s.Targets(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(targetKeys(ts)); got != fmt.Sprintf("[%d@c1 %d@c2]", is.ID, is.ID) {
			t.Errorf("Targets = %v, want g1 in c1 and c2", got)
		}
		if c := counts(t, s); len(c) != 0 {
			t.Errorf("DeliveryCounts = %v, want none before any attempt", c)
		}
		tg, ds, ok := next(t, s, "c1")
		if !ok || tg.IssueID != is.ID || len(ds) != 0 || tg.DoneHash != "" || tg.Withdrawn() || tg.Title != is.Title {
			t.Fatalf("NextTarget = %+v, %v, %v; want g1, no deliveries", tg, ds, ok)
		}
		wantTime(t, "Target.Published", tg.Published, t0)
		if tg.NextAttempt.After(t0) {
			t.Errorf("NextAttempt %v, want due", tg.NextAttempt)
		}
		// The hash of the issue as loaded is the hash the target carries:
		// the outbox records it when done.
		got, err := s.Issue(ctx, is.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash() != tg.Hash || tg.Hash != is.Hash() {
			t.Errorf("hash of the loaded issue %s, target %s, saved %s: want all equal", got.Hash(), tg.Hash, is.Hash())
		}
		if _, _, ok := next(t, s, "nowhere"); ok {
			t.Error("NextTarget of a channel without targets: ok")
		}
	})

	t.Run("OldestIssueFirst", func(t *testing.T) {
		s := open(t)
		newer := newIssue("newer", t0, 0)
		older := newIssue("older", t0.Add(-24*time.Hour), 0)
		twin := newIssue("twin", t0.Add(-24*time.Hour), 0) // same date, saved later
		save(t, s, newer, deliveriesFor(newer, "c1")...)
		save(t, s, older, deliveriesFor(older, "c1")...)
		save(t, s, twin, deliveriesFor(twin, "c1")...)
		order := []*bot.Issue{older, twin, newer}
		for i, want := range order {
			tg, _, ok := next(t, s, "c1")
			if !ok || tg.IssueID != want.ID {
				t.Fatalf("step %d: NextTarget = %d, %v; want %s (%d)", i, tg.IssueID, ok, want.GUID, want.ID)
			}
			mark(t, s.TargetDone(ctx, tg.IssueID, "c1", tg.Hash))
		}
		if _, _, ok := next(t, s, "c1"); ok {
			t.Error("NextTarget after every issue was done: ok")
		}
	})

	t.Run("StartDeliveryAndMarks", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is, deliveriesFor(is, "c1")...)
		lead := bot.Delivery{IssueID: is.ID, Channel: "c1", Key: bot.KeyLead, Part: bot.PartLead, TryHash: "h1"}
		d := start(t, s, lead, false)
		if d.ID == 0 || d.State != bot.StatePending || d.Attempts != 1 || d.Key != bot.KeyLead || d.TryHash != "h1" || d.Ref != "" {
			t.Fatalf("first StartDelivery = %+v, want pending, attempt 1", d)
		}
		d2 := start(t, s, lead, false)
		if d2.ID != d.ID || d2.Attempts != 2 {
			t.Fatalf("second StartDelivery = %+v, want the same delivery, attempt 2", d2)
		}
		mark(t, s.MarkSent(ctx, d.ID, "ref-1", "h1"))
		_, ds, _ := next(t, s, "c1")
		if len(ds) != 1 || ds[0].State != bot.StateSent || ds[0].Ref != "ref-1" || ds[0].SentHash != "h1" || ds[0].Attempts != 0 {
			t.Fatalf("after MarkSent: %+v, want sent, ref-1, hash h1, no attempts", ds)
		}
		// An edit attempt keeps the delivery sent (its message exists).
		lead.TryHash = "h2"
		e := start(t, s, lead, false)
		if e.State != bot.StateSent || e.Attempts != 1 || e.Ref != "ref-1" || e.TryHash != "h2" || e.SentHash != "h1" {
			t.Errorf("edit StartDelivery = %+v, want sent, attempt 1, ref kept, TryHash h2", e)
		}
		// Roundup items in Seq order.
		r1 := start(t, s, bot.Delivery{IssueID: is.ID, Channel: "c1", Key: "r:b", Part: bot.PartRoundup, Item: 1, Seq: 2}, false)
		r0 := start(t, s, bot.Delivery{IssueID: is.ID, Channel: "c1", Key: "r:a", Part: bot.PartRoundup, Item: 0, Seq: 1}, false)
		_, ds, _ = next(t, s, "c1")
		if len(ds) != 3 || ds[0].Key != bot.KeyLead || ds[1].ID != r0.ID || ds[2].ID != r1.ID {
			t.Errorf("deliveries %+v, want lead, r:a, r:b by Seq", ds)
		}
		mark(t, s.MarkFailed(ctx, r0.ID, "too long"))
		mark(t, s.MarkSent(ctx, r1.ID, "ref-3", "h3"))
		// A failed post tried again with new content starts counting afresh.
		again := start(t, s, bot.Delivery{IssueID: is.ID, Channel: "c1", Key: "r:a", Part: bot.PartRoundup, Seq: 1}, true)
		if again.Attempts != 1 || again.State != bot.StatePending {
			t.Errorf("reset StartDelivery of a failed post = %+v, want pending, attempt 1", again)
		}
		// Removal: deleted clears the Ref, kept keeps it.
		mark(t, s.MarkRemoved(ctx, r1.ID, false))
		mark(t, s.MarkRemoved(ctx, d.ID, true))
		_, ds, _ = next(t, s, "c1")
		for _, x := range ds {
			switch x.ID {
			case r1.ID:
				if x.State != bot.StateRemoved || x.Ref != "ref-3" {
					t.Errorf("kept %+v, want removed with its ref", x)
				}
			case d.ID:
				if x.State != bot.StateRemoved || x.Ref != "" {
					t.Errorf("deleted %+v, want removed without ref", x)
				}
			}
		}
		// A deleted post published again is pending.
		back := start(t, s, lead, true)
		if back.State != bot.StatePending || back.Attempts != 1 {
			t.Errorf("StartDelivery of a deleted post = %+v, want pending", back)
		}
		c := counts(t, s)
		if c[bot.StatePending] != 2 || c[bot.StateRemoved] != 1 {
			t.Errorf("DeliveryCounts = %v, want 2 pending, 1 removed", c)
		}
		for name, err := range map[string]error{
			"MarkSent":    s.MarkSent(ctx, 987654, "x", "h"),
			"MarkRetry":   s.MarkRetry(ctx, 987654, "x", t0),
			"MarkFailed":  s.MarkFailed(ctx, 987654, "x"),
			"MarkRemoved": s.MarkRemoved(ctx, 987654, true),
		} {
			wantNotFound(t, name+" of an unknown delivery", err)
		}
		if _, err := s.StartDelivery(ctx, bot.Delivery{IssueID: is.ID, Channel: "c1", Part: bot.PartLead}, false); err == nil {
			t.Error("StartDelivery without a key: no error")
		}
	})

	t.Run("RetryDelaysTheChannel", func(t *testing.T) {
		s := open(t)
		a := newIssue("a", t0, 1)
		save(t, s, a, deliveriesFor(a, "c1", "c2")...)
		d := start(t, s, bot.Delivery{IssueID: a.ID, Channel: "c1", Key: bot.KeyLead, Part: bot.PartLead}, false)
		if got := due(t, s, "r1", t0, t0.Add(-time.Minute)); got != "[c1 c2]" {
			t.Errorf("DueChannels = %s, want [c1 c2]", got)
		}
		mark(t, s.MarkRetry(ctx, d.ID, "http 429", t0.Add(time.Minute)))
		tg, ds, _ := next(t, s, "c1")
		wantTime(t, "NextAttempt", tg.NextAttempt, t0.Add(time.Minute))
		if tg.LastError != "http 429" || len(ds) != 1 || ds[0].LastError != "http 429" || ds[0].Attempts != 1 {
			t.Errorf("after MarkRetry: target %+v, deliveries %+v", tg, ds)
		}
		if got := due(t, s, "r1", t0.Add(59*time.Second), t0); got != "[c2]" {
			t.Errorf("DueChannels while c1 waits = %s, want [c2]", got)
		}
		if got := due(t, s, "r1", t0.Add(time.Minute), t0); got != "[c1 c2]" {
			t.Errorf("DueChannels after the wait = %s, want [c1 c2]", got)
		}
		mark(t, s.TargetDone(ctx, a.ID, "c1", tg.Hash))
		if got := due(t, s, "r1", t0, t0); got != "[c2]" {
			t.Errorf("DueChannels after c1 is done = %s, want [c2]", got)
		}
	})

	t.Run("UpdateMarksDirty", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is, deliveriesFor(is, "c1", "c2")...)
		tg, _, _ := next(t, s, "c1")
		mark(t, s.TargetDone(ctx, is.ID, "c1", tg.Hash))
		mark(t, s.TargetDone(ctx, is.ID, "c2", tg.Hash))
		if _, _, ok := next(t, s, "c1"); ok {
			t.Fatal("NextTarget after TargetDone: ok")
		}
		if res := save(t, s, newIssue("g1", t0, 2), deliveriesFor(is, "c1", "c2", "c3")...); res.Status != bot.SaveUnchanged {
			t.Fatalf("SaveIssue of the same content = %+v, want unchanged", res)
		}
		if _, _, ok := next(t, s, "c1"); ok {
			t.Error("an unchanged save made the target dirty")
		}
		changed := newIssue("g1", t0, 3)
		if res := save(t, s, changed, deliveriesFor(changed, "c1", "c2", "c3")...); res.Status != bot.SaveUpdated {
			t.Fatalf("SaveIssue = %+v, want SaveUpdated", res)
		}
		tg2, _, ok := next(t, s, "c1")
		if !ok || tg2.Hash != changed.Hash() || tg2.DoneHash != tg.Hash {
			t.Errorf("after the update: %+v, %v; want dirty with the new hash and the old DoneHash", tg2, ok)
		}
		if _, _, ok := next(t, s, "c3"); ok {
			t.Error("an update gave the issue to channel c3, which never had it")
		}
		// Done with a stale hash (the issue changed while the channel
		// was being brought in step): still dirty.
		mark(t, s.TargetDone(ctx, is.ID, "c1", tg.Hash))
		if _, _, ok := next(t, s, "c1"); !ok {
			t.Error("TargetDone with an old hash made the target clean")
		}
		mark(t, s.TargetDone(ctx, is.ID, "c1", tg2.Hash))
		if _, _, ok := next(t, s, "c1"); ok {
			t.Error("TargetDone with the current hash left the target dirty")
		}
		wantNotFound(t, "TargetDone of an unknown target", s.TargetDone(ctx, is.ID, "c9", "x"))
	})

	t.Run("Withdraw", func(t *testing.T) {
		s := open(t)
		a := newIssue("a", t0.Add(-time.Hour), 1)
		b := newIssue("b", t0, 1)
		save(t, s, a, deliveriesFor(a, "c1")...)
		save(t, s, b, deliveriesFor(b, "c1")...)
		for _, is := range []*bot.Issue{a, b} {
			mark(t, s.TargetDone(ctx, is.ID, "c1", is.Hash()))
		}
		mark(t, s.WithdrawIssue(ctx, feedA, "b"))
		wantNotFound(t, "WithdrawIssue of an unknown issue", s.WithdrawIssue(ctx, feedA, "nope"))
		tg, _, ok := next(t, s, "c1")
		if !ok || tg.IssueID != b.ID || !tg.Withdrawn() {
			t.Fatalf("NextTarget after the withdrawal = %+v, %v; want b, withdrawn", tg, ok)
		}
		if latest, err := s.LatestIssue(ctx); err != nil || latest.ID != a.ID {
			t.Errorf("LatestIssue = %v, %v; want a (b is withdrawn)", latest, err)
		}
		if n, _ := s.CountIssues(ctx, ""); n != 1 {
			t.Errorf("CountIssues = %d, want 1", n)
		}
		if hits, err := s.Search(ctx, bot.ParseQuery("harbour"), 10); err != nil || len(hits) != 1 || hits[0].IssueID != a.ID {
			t.Errorf("Search = %+v, %v; want a's item only", hits, err)
		}
		if got, err := s.Issue(ctx, b.ID); err != nil || !got.Withdrawn {
			t.Errorf("Issue(b) = %+v, %v; want it, marked withdrawn", got, err)
		}
		mark(t, s.TargetDone(ctx, b.ID, "c1", bot.HashWithdrawn))
		if _, _, ok := next(t, s, "c1"); ok {
			t.Error("withdrawn issue done: still dirty")
		}
		// Published again, unchanged: it comes back.
		if res := save(t, s, newIssue("b", t0, 1), deliveriesFor(b, "c1")...); res.Status != bot.SaveUpdated {
			t.Errorf("saving a withdrawn issue again = %+v, want SaveUpdated", res)
		}
		tg, _, ok = next(t, s, "c1")
		if !ok || tg.Withdrawn() || tg.Hash != b.Hash() {
			t.Errorf("after republishing: %+v, %v; want dirty, not withdrawn", tg, ok)
		}
		if latest, err := s.LatestIssue(ctx); err != nil || latest.ID != b.ID || latest.Withdrawn {
			t.Errorf("LatestIssue after republishing = %v, %v; want b", latest, err)
		}
	})

	t.Run("ChannelLeases", func(t *testing.T) {
		s := open(t)
		claim := func(owner string, now time.Time, stale time.Time) (bot.ChannelLease, bool) {
			t.Helper()
			l, ok, err := s.ClaimChannel(ctx, "c1", owner, now, lease, stale)
			if err != nil {
				t.Fatalf("ClaimChannel(%s): %v", owner, err)
			}
			return l, ok
		}
		old := t0.Add(-time.Hour)
		mark(t, s.Heartbeat(ctx, "r1", "a", t0))
		mark(t, s.Heartbeat(ctx, "r2", "b", t0))
		if l, ok := claim("r1", t0, old); !ok || l.Owner != "r1" {
			t.Fatalf("first claim = %+v, %v", l, ok)
		}
		l, ok := claim("r2", t0.Add(time.Second), old)
		if ok || l.Owner != "r1" {
			t.Fatalf("claim of a held channel = %+v, %v; want refused, naming r1", l, ok)
		}
		wantTime(t, "Until", l.Until, t0.Add(lease))
		if l, ok := claim("r1", t0.Add(time.Minute), old); !ok {
			t.Fatalf("renewal by the owner refused: %+v", l)
		}
		if _, ok := claim("r2", t0.Add(lease+time.Second), old); ok {
			t.Error("claimed before the renewed lease ended")
		}
		// r1's heartbeat goes stale: r2 takes over before the lease ends.
		if _, ok := claim("r2", t0.Add(2*time.Minute), t0.Add(time.Second)); !ok {
			t.Error("lease of a replica with a stale heartbeat not taken over")
		}
		mark(t, s.ReleaseChannel(ctx, "c1", "r1")) // not r1's any more: no effect
		if l, ok := claim("r1", t0.Add(2*time.Minute), old); ok {
			t.Errorf("r1 took the channel back from r2: %+v", l)
		}
		mark(t, s.ReleaseChannel(ctx, "c1", "r2"))
		if _, ok := claim("r1", t0.Add(2*time.Minute), old); !ok {
			t.Error("released channel not claimable")
		}
		// Expired lease.
		if _, ok := claim("r2", t0.Add(2*time.Minute+lease), old); !ok {
			t.Error("expired lease not claimable")
		}
		// A dead replica released: its leases and heartbeat are gone.
		mark(t, s.ReleaseReplica(ctx, "r2"))
		if _, ok := claim("r1", t0.Add(3*time.Minute), old); !ok {
			t.Error("lease of a released replica not claimable")
		}
		if rs, _ := s.Replicas(ctx, time.Time{}); len(rs) != 1 || rs[0].ID != "r1" {
			t.Errorf("Replicas after ReleaseReplica(r2) = %+v, want r1 only", rs)
		}
	})

	t.Run("DueChannelsSkipsLeased", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 0)
		save(t, s, is, deliveriesFor(is, "c1", "c2")...)
		mark(t, s.Heartbeat(ctx, "r2", "b", t0))
		if _, ok, err := s.ClaimChannel(ctx, "c1", "r2", t0, lease, t0.Add(-time.Hour)); err != nil || !ok {
			t.Fatalf("ClaimChannel: %v, %v", ok, err)
		}
		if got := due(t, s, "r1", t0, t0.Add(-time.Hour)); got != "[c2]" {
			t.Errorf("DueChannels(r1) = %s, want [c2] (c1 is r2's)", got)
		}
		if got := due(t, s, "r2", t0, t0.Add(-time.Hour)); got != "[c1 c2]" {
			t.Errorf("DueChannels(r2) = %s, want [c1 c2]", got)
		}
		if got := due(t, s, "r1", t0, t0.Add(time.Second)); got != "[c1 c2]" {
			t.Errorf("DueChannels(r1) with r2 stale = %s, want [c1 c2]", got)
		}
		states, err := s.ChannelStates(ctx, t0, t0.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 2 || states[0].Channel != "c1" || states[0].LeaseOwner != "r2" || states[0].Dirty != 1 ||
			states[0].Oldest.IssueID != is.ID || states[1].LeaseOwner != "" || !states[1].LastSent.IsZero() {
			t.Errorf("ChannelStates = %+v", states)
		}
	})

	t.Run("ConcurrentClaimsOneWinner", func(t *testing.T) {
		s := open(t)
		var (
			mu      sync.Mutex
			winners []string
			wg      sync.WaitGroup
		)
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprintf("r%d", w)
				_, ok, err := s.ClaimChannel(ctx, "c1", owner, t0, lease, t0.Add(-time.Hour))
				if err != nil {
					t.Errorf("ClaimChannel(%s): %v", owner, err)
					return
				}
				if ok {
					mu.Lock()
					winners = append(winners, owner)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Errorf("winners %v, want exactly one", winners)
		}
	})
}
