package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

// testShares checks bot.ShareStore: one share per (channel, issue, story),
// its target made not in step in the same call, and the shares listed
// oldest first.
func testShares(t *testing.T, open opener) {
	shares := func(t *testing.T) (bot.Store, bot.ShareStore) {
		s := open(t)
		ss, ok := s.(bot.ShareStore)
		if !ok {
			t.Fatalf("%T does not implement bot.ShareStore", s)
		}
		return s, ss
	}
	chA := bot.ShareChannel("slack", "C1").ID
	chB := bot.ShareChannel("discord", "42").ID
	add := func(t *testing.T, ss bot.ShareStore, sh bot.Share, wantAdded bool) bot.Share {
		t.Helper()
		got, added, err := ss.AddShare(ctx, sh)
		if err != nil {
			t.Fatalf("AddShare(%+v): %v", sh, err)
		}
		if added != wantAdded {
			t.Errorf("AddShare(%s %s by %s): added %v, want %v", sh.Channel, sh.Key, sh.SharedBy.Name, added, wantAdded)
		}
		return got
	}
	sameShare := func(t *testing.T, what string, got, want bot.Share) {
		t.Helper()
		if got.Channel != want.Channel || got.IssueID != want.IssueID || got.Key != want.Key || got.SharedBy != want.SharedBy ||
			got.Check != want.Check || got.Item != want.Item || got.TextCheck != want.TextCheck {
			t.Errorf("%s = %+v, want %+v", what, got, want)
		}
		wantTime(t, what+".Created", got.Created, want.Created)
	}

	t.Run("OncePerChannelAndStory", func(t *testing.T) {
		s, ss := shares(t)
		is := newIssue("g1", t0, 3)
		save(t, s, is, deliveriesFor(is, "c1")...)
		item1 := bot.PostKey(is, bot.PartRoundup, 1)
		ann := bot.Person{ID: "U1", Name: "Ann"}
		bob := bot.Person{ID: "U2", Name: "Bob"}
		// What finds the item again (0009): kept and returned as given.
		first := bot.Share{Channel: chA, IssueID: is.ID, Key: item1, SharedBy: ann, Created: t0.Add(time.Minute),
			Check: "1f0a9c2e", Item: 1, TextCheck: "0badcafe"}
		sameShare(t, "AddShare", add(t, ss, first, true), first)
		// Bob presses the same button later: Ann's share stands.
		again := add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: item1, SharedBy: bob, Created: t0.Add(time.Hour)}, false)
		sameShare(t, "AddShare again", again, first)
		// The same story into another channel, another story into the same.
		other := bot.Share{Channel: chB, IssueID: is.ID, Key: item1, SharedBy: bob, Created: t0.Add(2 * time.Minute), Check: "1f0a9c2e", Item: 1}
		add(t, ss, other, true)
		lead := bot.Share{Channel: chA, IssueID: is.ID, Key: bot.KeyLead, SharedBy: bob, Created: t0.Add(3 * time.Minute)}
		add(t, ss, lead, true)

		got, err := ss.Shares(ctx, chA, is.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("Shares(%s) = %+v, want 2", chA, got)
		}
		sameShare(t, "Shares[0]", got[0], first)
		sameShare(t, "Shares[1]", got[1], lead)
		got, _ = ss.Shares(ctx, chB, is.ID)
		if len(got) != 1 {
			t.Fatalf("Shares(%s) = %+v, want 1", chB, got)
		}
		sameShare(t, "Shares of the other channel", got[0], other)
		if got, _ := ss.Shares(ctx, chA, is.ID+1000); len(got) != 0 {
			t.Errorf("Shares of an unknown issue = %+v", got)
		}
	})

	t.Run("ShareDelivery", func(t *testing.T) {
		s, ss := shares(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is)
		item0 := bot.PostKey(is, bot.PartRoundup, 0)
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: item0, SharedBy: bot.Person{ID: "U1", Name: "Ann"}, Created: t0}, true)
		if _, ok, err := ss.ShareDelivery(ctx, chA, is.ID, item0); err != nil || ok {
			t.Fatalf("ShareDelivery before any attempt = ok %v, %v; want none", ok, err)
		}
		d, err := s.StartDelivery(ctx, bot.Delivery{IssueID: is.ID, Channel: chA, Key: item0, Part: bot.PartRoundup, Item: 0, TryHash: "h"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkFailed(ctx, d.ID, "not_in_channel"); err != nil {
			t.Fatal(err)
		}
		got, ok, err := ss.ShareDelivery(ctx, chA, is.ID, item0)
		if err != nil || !ok || got.ID != d.ID || got.State != bot.StateFailed {
			t.Errorf("ShareDelivery = %+v, ok %v, %v; want delivery %d, failed", got, ok, err, d.ID)
		}
		if _, ok, _ := ss.ShareDelivery(ctx, chB, is.ID, item0); ok {
			t.Error("ShareDelivery found the post in another channel")
		}
	})

	t.Run("MakesTargetNotInStep", func(t *testing.T) {
		s, ss := shares(t)
		older := newIssue("older", t0.Add(-24*time.Hour), 2)
		is := newIssue("g1", t0, 2)
		save(t, s, older)
		save(t, s, is, deliveriesFor(is, "c1")...)
		if _, _, ok := next(t, s, chA); ok {
			t.Fatal("a share channel has a target before any share")
		}
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.KeyLead, SharedBy: bot.Person{ID: "U1"}, Created: t0}, true)
		if got := due(t, s, "r1", t0, t0.Add(-time.Minute)); got != fmt.Sprintf("[c1 %s]", chA) {
			t.Errorf("DueChannels after a share = %s, want c1 and %s", got, chA)
		}
		tg, ds, ok := next(t, s, chA)
		if !ok || tg.IssueID != is.ID || len(ds) != 0 || tg.Hash != is.Hash() || tg.NextAttempt.After(t0) {
			t.Fatalf("NextTarget(%s) = %+v, %v, %v; want g1, due, no deliveries", chA, tg, ds, ok)
		}
		// The channel's own target is untouched by the share.
		if tg, _, _ := next(t, s, "c1"); tg.Channel != "c1" {
			t.Errorf("NextTarget(c1) = %+v", tg)
		}
		mark(t, s.TargetDone(ctx, is.ID, chA, tg.Hash))
		if _, _, ok := next(t, s, chA); ok {
			t.Fatal("share target still dirty after TargetDone")
		}
		// Another story of the same issue, and the same story again: each
		// makes the target not in step once more.
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.PostKey(is, bot.PartRoundup, 0), SharedBy: bot.Person{ID: "U2"}, Created: t0}, true)
		tg, _, ok = next(t, s, chA)
		if !ok || tg.IssueID != is.ID {
			t.Fatalf("NextTarget after a second share = %+v, %v", tg, ok)
		}
		mark(t, s.TargetDone(ctx, is.ID, chA, tg.Hash))
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.KeyLead, SharedBy: bot.Person{ID: "U3"}, Created: t0}, false)
		if _, _, ok := next(t, s, chA); !ok {
			t.Error("a repeated share left the target in step: want it looked at again")
		}
		mark(t, s.TargetDone(ctx, is.ID, chA, tg.Hash))
		// A share of an older issue: NextTarget takes it first, as any.
		add(t, ss, bot.Share{Channel: chA, IssueID: older.ID, Key: bot.KeyLead, SharedBy: bot.Person{ID: "U1"}, Created: t0}, true)
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.PostKey(is, bot.PartRoundup, 1), SharedBy: bot.Person{ID: "U1"}, Created: t0}, true)
		if tg, _, _ := next(t, s, chA); tg.IssueID != older.ID {
			t.Errorf("NextTarget = issue %d, want the older issue %d first", tg.IssueID, older.ID)
		}
	})

	t.Run("WaitingTargetKeepsItsWait", func(t *testing.T) {
		s, ss := shares(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is)
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.KeyLead, SharedBy: bot.Person{ID: "U1"}, Created: t0}, true)
		d := start(t, s, bot.Delivery{IssueID: is.ID, Channel: chA, Key: bot.KeyLead, Part: bot.PartLead, TryHash: "h"}, false)
		later := t0.Add(time.Minute)
		mark(t, s.MarkRetry(ctx, d.ID, "429", later))
		add(t, ss, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.PostKey(is, bot.PartRoundup, 0), SharedBy: bot.Person{ID: "U1"}, Created: t0}, true)
		tg, _, ok := next(t, s, chA)
		if !ok {
			t.Fatal("no target")
		}
		wantTime(t, "NextAttempt of a waiting target shared into again", tg.NextAttempt, later)
	})

	t.Run("Refused", func(t *testing.T) {
		s, ss := shares(t)
		is := newIssue("g1", t0, 1)
		save(t, s, is)
		_, _, err := ss.AddShare(ctx, bot.Share{Channel: chA, IssueID: is.ID + 1000, Key: bot.KeyLead, SharedBy: bot.Person{ID: "U1"}, Created: t0})
		wantNotFound(t, "AddShare of an unknown issue", err)
		for _, bad := range []bot.Share{
			{Channel: "slack:C1", IssueID: is.ID, Key: bot.KeyLead},
			{Channel: chA, Key: bot.KeyLead},
			{Channel: chA, IssueID: is.ID},
		} {
			if _, _, err := ss.AddShare(ctx, bad); err == nil || errors.Is(err, bot.ErrNotFound) {
				t.Errorf("AddShare(%+v) = %v, want a validation error", bad, err)
			}
		}
		if ts, _ := s.Targets(ctx, "", 10); len(ts) != 0 {
			t.Errorf("refused shares left targets: %v", targetKeys(ts))
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s, ss := shares(t)
		is := newIssue("g1", t0, 1)
		save(t, s, is)
		var wg sync.WaitGroup
		addedN := make(chan bool, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, added, err := ss.AddShare(ctx, bot.Share{Channel: chA, IssueID: is.ID, Key: bot.KeyLead,
					SharedBy: bot.Person{ID: fmt.Sprintf("U%d", i)}, Created: t0})
				if err != nil {
					t.Errorf("AddShare: %v", err)
				}
				addedN <- added
			}()
		}
		wg.Wait()
		close(addedN)
		n := 0
		for a := range addedN {
			if a {
				n++
			}
		}
		if n != 1 {
			t.Errorf("8 presses at once: %d added, want 1", n)
		}
		if got, _ := ss.Shares(ctx, chA, is.ID); len(got) != 1 {
			t.Errorf("Shares = %+v, want 1", got)
		}
	})
}
