package storetest

import (
	"reflect"
	"testing"
	"time"

	"digestbot/bot"
)

// testPeople checks follows, catch-up marks and IssuesSince.
func testPeople(t *testing.T, open opener) {
	people := func(t *testing.T) (bot.Store, bot.PeopleStore) {
		s := open(t)
		ps, ok := s.(bot.PeopleStore)
		if !ok {
			t.Fatalf("%T does not implement bot.PeopleStore", s)
		}
		return s, ps
	}
	t.Run("Follows", func(t *testing.T) {
		_, ps := people(t)
		add := func(f bot.Follow, want bool) {
			t.Helper()
			added, err := ps.AddFollow(ctx, f)
			if err != nil || added != want {
				t.Errorf("AddFollow(%+v) = %v, %v; want %v", f, added, err, want)
			}
		}
		add(bot.Follow{Platform: "slack", User: "U1", Query: "cambodia", Created: t0}, true)
		add(bot.Follow{Platform: "slack", User: "U1", Query: `"forced labour" -fishing`, Created: t0.Add(time.Minute)}, true)
		add(bot.Follow{Platform: "slack", User: "U1", Query: "cambodia", Created: t0.Add(time.Hour)}, false)
		add(bot.Follow{Platform: "discord", User: "U1", Query: "cambodia", Created: t0}, true) // another platform's U1
		add(bot.Follow{Platform: "slack", User: "U2", Query: "asylum", Created: t0}, true)

		got, err := ps.Follows(ctx, "slack", "U1")
		if err != nil {
			t.Fatal(err)
		}
		want := []bot.Follow{
			{Platform: "slack", User: "U1", Query: "cambodia", Created: t0},
			{Platform: "slack", User: "U1", Query: `"forced labour" -fishing`, Created: t0.Add(time.Minute)},
		}
		if !sameFollows(got, want) {
			t.Errorf("Follows(slack, U1) = %+v, want %+v", got, want)
		}
		all, err := ps.AllFollows(ctx)
		if err != nil || len(all) != 4 {
			t.Errorf("AllFollows = %d follows, %v; want 4", len(all), err)
		}
		removed, err := ps.RemoveFollow(ctx, "slack", "U1", "cambodia")
		if err != nil || !removed {
			t.Errorf("RemoveFollow = %v, %v; want true", removed, err)
		}
		removed, err = ps.RemoveFollow(ctx, "slack", "U1", "cambodia")
		if err != nil || removed {
			t.Errorf("RemoveFollow again = %v, %v; want false", removed, err)
		}
		got, _ = ps.Follows(ctx, "discord", "U1")
		if len(got) != 1 {
			t.Errorf("RemoveFollow of slack's U1 touched discord's: %+v", got)
		}
		got, _ = ps.Follows(ctx, "slack", "nobody")
		if len(got) != 0 {
			t.Errorf("Follows of an unknown user = %+v", got)
		}
	})
	t.Run("Catchup", func(t *testing.T) {
		_, ps := people(t)
		last, err := ps.LastCatchup(ctx, "slack", "U1")
		if err != nil || !last.IsZero() {
			t.Errorf("LastCatchup of a new user = %v, %v; want zero", last, err)
		}
		for _, at := range []time.Time{t0, t0.Add(48 * time.Hour)} {
			if err := ps.SetLastCatchup(ctx, "slack", "U1", at); err != nil {
				t.Fatal(err)
			}
			last, err = ps.LastCatchup(ctx, "slack", "U1")
			if err != nil {
				t.Fatal(err)
			}
			wantTime(t, "LastCatchup", last, at)
		}
		last, _ = ps.LastCatchup(ctx, "discord", "U1")
		if !last.IsZero() {
			t.Errorf("another platform's user shares the catch-up mark: %v", last)
		}
	})
	t.Run("IssuesSince", func(t *testing.T) {
		s, ps := people(t)
		a := newIssue("a", t0.Add(-10*24*time.Hour), 2)
		b := newIssue("b", t0.Add(-3*24*time.Hour), 1)
		c := newIssue("c", t0.Add(-time.Hour), 3)
		for _, is := range []*bot.Issue{b, a, c} {
			save(t, s, is)
		}
		got, err := ps.IssuesSince(ctx, t0.Add(-7*24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].GUID != "c" || got[1].GUID != "b" {
			t.Fatalf("IssuesSince(7 days) = %v, want c, b", guids(got))
		}
		sameIssue(t, "IssuesSince", got[0], c)
		got, _ = ps.IssuesSince(ctx, t0.Add(-30*24*time.Hour), 1)
		if len(got) != 1 || got[0].GUID != "c" {
			t.Errorf("IssuesSince(limit 1) = %v, want c", guids(got))
		}
		got, _ = ps.IssuesSince(ctx, c.Published, 10)
		if len(got) != 0 {
			t.Errorf("IssuesSince(the newest's date) = %v, want none (strictly after)", guids(got))
		}
		// An undated issue counts from when it was archived: now.
		u := newIssue("undated", time.Time{}, 0)
		save(t, s, u)
		got, _ = ps.IssuesSince(ctx, time.Now().Add(-time.Hour), 10)
		if len(got) != 1 || got[0].GUID != "undated" {
			t.Errorf("IssuesSince(an hour ago) = %v, want the undated issue just archived", guids(got))
		}
	})
}

func sameFollows(got, want []bot.Follow) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Created.Equal(w.Created) {
			return false
		}
		g.Created, w.Created = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

func guids(is []*bot.Issue) []string {
	var out []string
	for _, x := range is {
		out = append(out, x.GUID)
	}
	return out
}
