package storetest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

const lease = 5 * time.Minute

func claim(t *testing.T, s bot.Store, owner string, now time.Time, limit int) []bot.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(ctx, owner, now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%s, %v): %v", owner, now, err)
	}
	return ds
}

// keys names deliveries "issueGUID-or-id/channel/part/item" for messages.
func keys(ds []bot.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d/%s/%s/%d", d.IssueID, d.Channel, d.Part, d.Item))
	}
	return out
}

func wantClaim(t *testing.T, what string, got []bot.Delivery, want ...string) {
	t.Helper()
	g := keys(got)
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("%s: claimed %v, want %v", what, g, want)
	}
}

// wantClaimSet is wantClaim in any order: the order of deliveries of the
// same issue and Seq in different channels is not specified.
func wantClaimSet(t *testing.T, what string, got []bot.Delivery, want ...string) {
	t.Helper()
	g := keys(got)
	sort.Strings(g)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("%s: claimed %v, want %v in any order", what, keys(got), want)
	}
}

func key(issueID int64, ch string, part bot.Part, item int) string {
	return fmt.Sprintf("%d/%s/%s/%d", issueID, ch, part, item)
}

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

func testOutbox(t *testing.T, open opener) {
	t.Run("SaveInsertsDeliveries", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is, deliveriesFor(is, "slack:C1")...)
		backfill := newIssue("g0", t0.Add(-time.Hour), 2)
		save(t, s, backfill) // backfill: no deliveries
		ds, err := s.Deliveries(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 3 {
			t.Fatalf("Deliveries = %v, want the 3 posts of g1", keys(ds))
		}
		for _, d := range ds {
			if d.IssueID != is.ID || d.State != bot.StatePending || d.Attempts != 0 || d.ID == 0 || d.CreatedAt.IsZero() || d.Ref != "" {
				t.Errorf("new delivery %+v: want IssueID %d, pending, no attempts, an ID and CreatedAt", d, is.ID)
			}
		}
		if c := counts(t, s); c[bot.StatePending] != 3 || c[bot.StateSent] != 0 {
			t.Errorf("DeliveryCounts = %v, want 3 pending", c)
		}
	})

	t.Run("OnePostPerChannelInSeqOrder", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is, deliveriesFor(is, "slack:C1", "discord:D1")...)
		id := is.ID
		got := claim(t, s, "r1", t0, 10)
		wantClaimSet(t, "first claim", got, key(id, "discord:D1", bot.PartLead, 0), key(id, "slack:C1", bot.PartLead, 0))
		for _, d := range got {
			if d.Attempts != 1 || d.ParentRef != "" || d.Seq != 0 {
				t.Errorf("claimed lead %+v: want Attempts 1, no ParentRef, Seq 0", d)
			}
		}
		wantClaim(t, "claim while the leads are out", claim(t, s, "r2", t0, 10))
		slackLead := got[0]
		if slackLead.Channel != "slack:C1" && len(got) > 1 {
			slackLead = got[1]
		}
		mark(t, s.MarkSent(ctx, slackLead.ID, "ts-100"))
		next := claim(t, s, "r1", t0.Add(time.Second), 10)
		wantClaim(t, "after the slack lead is sent", next, key(id, "slack:C1", bot.PartRoundup, 0))
		if len(next) == 1 && (next[0].ParentRef != "ts-100" || next[0].Seq != 1) {
			t.Errorf("roundup delivery ParentRef %q Seq %d, want ts-100 and 1", next[0].ParentRef, next[0].Seq)
		}
		mark(t, s.MarkSent(ctx, next[0].ID, "ts-101"))
		last := claim(t, s, "r1", t0.Add(2*time.Second), 10)
		wantClaim(t, "after roundup 0", last, key(id, "slack:C1", bot.PartRoundup, 1))
		if len(last) == 1 && last[0].ParentRef != "ts-100" {
			t.Errorf("ParentRef = %q, want the lead's ts-100", last[0].ParentRef)
		}
		mark(t, s.MarkSent(ctx, last[0].ID, "ts-102"))
		wantClaim(t, "slack channel done, discord lead still out", claim(t, s, "r1", t0.Add(3*time.Second), 10))
	})

	t.Run("OldestIssueFirstAndLimit", func(t *testing.T) {
		s := open(t)
		newer := newIssue("newer", t0, 0)
		older := newIssue("older", t0.Add(-24*time.Hour), 0)
		twin := newIssue("twin", t0.Add(-24*time.Hour), 0) // same date, saved later
		save(t, s, newer, deliveriesFor(newer, "c1")...)
		save(t, s, twin, deliveriesFor(twin, "c1")...)
		save(t, s, older, deliveriesFor(older, "c1")...)
		first, second := twin, older
		if older.ID < twin.ID {
			first, second = older, twin
		}
		wantClaim(t, "limit 2", claim(t, s, "r1", t0, 2),
			key(first.ID, "c1", bot.PartLead, 0), key(second.ID, "c1", bot.PartLead, 0))
		wantClaim(t, "then", claim(t, s, "r1", t0, 2), key(newer.ID, "c1", bot.PartLead, 0))
	})

	t.Run("LeaseExpires", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 0)
		save(t, s, is, deliveriesFor(is, "c1")...)
		got := claim(t, s, "r1", t0, 1)
		wantClaim(t, "claim", got, key(is.ID, "c1", bot.PartLead, 0))
		wantClaim(t, "before the lease expires", claim(t, s, "r2", t0.Add(lease-time.Second), 1))
		again := claim(t, s, "r2", t0.Add(lease+time.Second), 1)
		wantClaim(t, "after the lease expired", again, key(is.ID, "c1", bot.PartLead, 0))
		if len(again) == 1 && again[0].Attempts != 2 {
			t.Errorf("Attempts on the second claim = %d, want 2", again[0].Attempts)
		}
	})

	t.Run("MarkRetry", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 1)
		save(t, s, is, deliveriesFor(is, "c1")...)
		lead := claim(t, s, "r1", t0, 1)[0]
		mark(t, s.MarkRetry(ctx, lead.ID, "http 502", t0.Add(10*time.Minute)))
		wantClaim(t, "before NextAttempt (the roundup waits too)", claim(t, s, "r1", t0.Add(9*time.Minute), 5))
		got := claim(t, s, "r2", t0.Add(10*time.Minute), 5)
		wantClaim(t, "at NextAttempt", got, key(is.ID, "c1", bot.PartLead, 0))
		if len(got) == 1 {
			d := got[0]
			if d.Attempts != 2 || d.LastError != "http 502" || d.State != bot.StatePending {
				t.Errorf("retried delivery %+v: want Attempts 2, LastError, pending", d)
			}
			wantTime(t, "NextAttempt", d.NextAttempt, t0.Add(10*time.Minute))
		}
		if err := s.MarkRetry(ctx, 987654, "x", t0); err == nil {
			t.Error("MarkRetry of an unknown delivery: got no error")
		}
	})

	t.Run("MarkRetryReleasesLease", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 0)
		save(t, s, is, deliveriesFor(is, "c1")...)
		d, err := s.ClaimDeliveries(ctx, "r1", t0, time.Hour, 1)
		if err != nil || len(d) != 1 {
			t.Fatalf("ClaimDeliveries = %v, %v", keys(d), err)
		}
		mark(t, s.MarkRetry(ctx, d[0].ID, "timeout", t0.Add(time.Minute)))
		wantClaim(t, "after the retry time, inside the old lease", claim(t, s, "r2", t0.Add(2*time.Minute), 1),
			key(is.ID, "c1", bot.PartLead, 0))
	})

	t.Run("MarkFailedSettles", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 1)
		save(t, s, is, deliveriesFor(is, "c1")...)
		lead := claim(t, s, "r1", t0, 1)[0]
		mark(t, s.MarkFailed(ctx, lead.ID, "channel_not_found"))
		got := claim(t, s, "r1", t0, 5)
		wantClaim(t, "after the lead failed", got, key(is.ID, "c1", bot.PartRoundup, 0))
		if len(got) == 1 && got[0].ParentRef != "" {
			t.Errorf("ParentRef with a failed lead = %q, want none", got[0].ParentRef)
		}
		failed, err := s.Deliveries(ctx, 10, bot.StateFailed)
		if err != nil || len(failed) != 1 || failed[0].ID != lead.ID || failed[0].LastError != "channel_not_found" {
			t.Errorf("Deliveries(failed) = %+v, %v; want the lead with its error", failed, err)
		}
		if err := s.MarkFailed(ctx, 987654, "x"); err == nil {
			t.Error("MarkFailed of an unknown delivery: got no error")
		}
		if err := s.MarkSent(ctx, 987654, "x"); err == nil {
			t.Error("MarkSent of an unknown delivery: got no error")
		}
	})

	t.Run("UpdateMarksSentForEdit", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is, deliveriesFor(is, "c1", "c2", "c3")...)
		id := is.ID
		// c1: everything sent. c2: lead sent, roundup 0 failed. c3: nothing sent.
		rounds := []map[string]string{
			{"c1": "sent", "c2": "sent", "c3": "retry"},
			{"c1": "sent", "c2": "failed", "c3": "retry"},
			{"c1": "sent", "c2": "retry", "c3": "retry"},
		}
		for i, act := range rounds {
			ds := claim(t, s, "r1", t0, 10)
			if len(ds) != 3 {
				t.Fatalf("round %d: claimed %v, want one per channel", i, keys(ds))
			}
			for _, d := range ds {
				switch act[d.Channel] {
				case "sent":
					mark(t, s.MarkSent(ctx, d.ID, fmt.Sprintf("%s-ref%d", d.Channel, d.Seq)))
				case "failed":
					mark(t, s.MarkFailed(ctx, d.ID, "too long"))
				default:
					mark(t, s.MarkRetry(ctx, d.ID, "later", t0))
				}
			}
		}
		if c := counts(t, s); c[bot.StateSent] != 4 || c[bot.StateFailed] != 1 || c[bot.StatePending] != 4 {
			t.Fatalf("DeliveryCounts before the update = %v, want 4 sent, 1 failed, 4 pending", c)
		}

		changed := newIssue("g1", t0, 3) // one more roundup item, so new content
		res := save(t, s, changed, deliveriesFor(changed, "c1", "c2", "c3", "c4")...)
		if res.Status != bot.SaveUpdated {
			t.Fatalf("SaveIssue = %+v, want SaveUpdated", res)
		}
		c := counts(t, s)
		// edit: c1 ×3, c2 lead; failed: c2 r0; pending: c2 r1, c3 ×3, new r2 for c1, c2, c3.
		if c[bot.StateEdit] != 4 || c[bot.StateFailed] != 1 || c[bot.StatePending] != 7 || c[bot.StateSent] != 0 {
			t.Errorf("DeliveryCounts after the update = %v, want 4 edit, 1 failed, 7 pending, 0 sent", c)
		}
		all, _ := s.Deliveries(ctx, 100)
		for _, d := range all {
			if d.Channel == "c4" {
				t.Errorf("update added %s for channel c4, which never had the issue", key(id, d.Channel, d.Part, d.Item))
			}
			if d.State == bot.StateEdit && d.Ref == "" {
				t.Errorf("edit delivery %s lost its Ref", key(id, d.Channel, d.Part, d.Item))
			}
		}

		got := claim(t, s, "r2", t0.Add(time.Minute), 10)
		wantClaimSet(t, "after the update", got,
			key(id, "c1", bot.PartLead, 0), key(id, "c2", bot.PartLead, 0), key(id, "c3", bot.PartLead, 0))
		for _, d := range got {
			if d.Channel != "c3" && (d.State != bot.StateEdit || d.Attempts != 1 || d.Ref == "") {
				t.Errorf("claimed edit %+v: want StateEdit, Attempts 1, Ref kept", d)
			}
		}
		for _, d := range got {
			mark(t, s.MarkSent(ctx, d.ID, d.Channel+"-ref0"))
		}
		got = claim(t, s, "r2", t0.Add(2*time.Minute), 10)
		wantClaimSet(t, "second round", got,
			key(id, "c1", bot.PartRoundup, 0), key(id, "c2", bot.PartRoundup, 1), key(id, "c3", bot.PartRoundup, 0))
		for _, d := range got {
			if d.ParentRef != d.Channel+"-ref0" {
				t.Errorf("%s ParentRef = %q, want %s-ref0", key(id, d.Channel, d.Part, d.Item), d.ParentRef, d.Channel)
			}
		}
	})

	t.Run("UnchangedWritesNoDeliveries", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 1)
		save(t, s, is, deliveriesFor(is, "c1")...)
		again := newIssue("g1", t0, 1)
		if res := save(t, s, again, deliveriesFor(again, "c1", "c2")...); res.Status != bot.SaveUnchanged {
			t.Fatalf("SaveIssue = %+v, want SaveUnchanged", res)
		}
		if ds, _ := s.Deliveries(ctx, 100); len(ds) != 2 {
			t.Errorf("Deliveries after an unchanged save = %v, want the 2 first ones", keys(ds))
		}
	})

	t.Run("MarkSentAfterConcurrentUpdate", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 0)
		save(t, s, is, deliveriesFor(is, "c1")...)
		d := claim(t, s, "r1", t0, 1)[0]
		changed := newIssue("g1", t0, 0)
		changed.Title = "Corrected while sending"
		save(t, s, changed)
		mark(t, s.MarkSent(ctx, d.ID, "ref-1"))
		got := claim(t, s, "r1", t0.Add(time.Second), 1)
		if len(got) != 1 || got[0].State != bot.StateEdit || got[0].Ref != "ref-1" {
			t.Errorf("after an update during the send: claimed %+v; want the delivery again as an edit of ref-1", got)
		}
	})

	t.Run("DeliveriesNewestFirstByState", func(t *testing.T) {
		s := open(t)
		a := newIssue("a", t0, 1)
		b := newIssue("b", t0.Add(-time.Hour), 1) // saved later, published earlier
		save(t, s, a, deliveriesFor(a, "c1")...)
		save(t, s, b, deliveriesFor(b, "c1")...)
		all, err := s.Deliveries(ctx, 100)
		if err != nil || len(all) != 4 {
			t.Fatalf("Deliveries = %v, %v; want 4", keys(all), err)
		}
		if all[0].IssueID != b.ID || all[1].IssueID != b.ID || all[3].IssueID != a.ID {
			t.Errorf("Deliveries = %v, want the last saved issue's first", keys(all))
		}
		if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].ID > all[j].ID }) {
			t.Errorf("Deliveries IDs not newest first: %v", keys(all))
		}
		if two, _ := s.Deliveries(ctx, 2); len(two) != 2 || two[0].ID != all[0].ID {
			t.Errorf("Deliveries(limit 2) = %v, want the 2 newest", keys(two))
		}
		lead := claim(t, s, "r1", t0, 1)[0]
		mark(t, s.MarkSent(ctx, lead.ID, "ref-a"))
		sent, _ := s.Deliveries(ctx, 10, bot.StateSent)
		if len(sent) != 1 || sent[0].ID != lead.ID || sent[0].Ref != "ref-a" || sent[0].State != bot.StateSent {
			t.Errorf("Deliveries(sent) = %+v, want the sent lead with its Ref", sent)
		}
		some, _ := s.Deliveries(ctx, 10, bot.StateSent, bot.StatePending)
		if len(some) != 4 {
			t.Errorf("Deliveries(sent, pending) = %v, want 4", keys(some))
		}
		if none, _ := s.Deliveries(ctx, 10, bot.StateEdit); len(none) != 0 {
			t.Errorf("Deliveries(edit) = %v, want none", keys(none))
		}
	})

	t.Run("ConcurrentClaimsNeverOverlap", func(t *testing.T) {
		s := open(t)
		var channels []string
		for i := range 12 {
			channels = append(channels, fmt.Sprintf("c%02d", i))
		}
		for i := range 4 {
			is := newIssue(fmt.Sprintf("g%d", i), t0.Add(time.Duration(i)*time.Hour), 0)
			save(t, s, is, deliveriesFor(is, channels...)...)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprintf("r%d", w)
				for range 20 {
					ds, err := s.ClaimDeliveries(ctx, owner, t0, lease, 3)
					if err != nil {
						t.Errorf("ClaimDeliveries(%s): %v", owner, err)
						return
					}
					mu.Lock()
					for _, d := range ds {
						if prev, dup := seen[d.ID]; dup {
							t.Errorf("delivery %d claimed by %s and %s", d.ID, prev, owner)
						}
						seen[d.ID] = owner
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		// One lead per (issue, channel) is claimable: 4 issues × 12 channels.
		if len(seen) != 48 {
			t.Errorf("claimed %d deliveries in all, want 48", len(seen))
		}
	})
}
