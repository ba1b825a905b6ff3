package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"digestbot/bot"
)

// sameIssue compares everything a reader sees, plus ID, Feed and Newsletter.
func sameIssue(t *testing.T, what string, got, want *bot.Issue) {
	t.Helper()
	if got.ID != want.ID || got.Feed != want.Feed || got.Newsletter != want.Newsletter || got.GUID != want.GUID {
		t.Errorf("%s: ID/Feed/Newsletter/GUID = %d %q %q %q, want %d %q %q %q", what,
			got.ID, got.Feed, got.Newsletter, got.GUID, want.ID, want.Feed, want.Newsletter, want.GUID)
	}
	wantTime(t, what+": Published", got.Published, want.Published)
	g, w := normalize(got), normalize(want)
	if g.Hash() != w.Hash() {
		g, _ := json.Marshal(g)
		w, _ := json.Marshal(w)
		t.Errorf("%s: content differs:\n got %s\nwant %s", what, g, w)
	}
	if len(got.Roundup) != len(want.Roundup) {
		t.Errorf("%s: %d roundup items, want %d", what, len(got.Roundup), len(want.Roundup))
	}
}

func testIssues(t *testing.T, open opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		// Published in another zone comes back in UTC, same instant.
		is := newIssue("g1", time.Date(2025, 3, 10, 10, 30, 15, 0, time.FixedZone("CET", 3600)), 3)
		res := save(t, s, is)
		if res.Status != bot.SaveInserted || res.ID <= 0 || is.ID != res.ID {
			t.Fatalf("SaveIssue = %+v, is.ID %d; want SaveInserted with the new ID set", res, is.ID)
		}
		got, err := s.Issue(ctx, res.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameIssue(t, "Issue", got, is)
		if got.Lead.Paragraphs[1].Heading != true || got.Lead.Paragraphs[2].Bullet != true ||
			got.Lead.Paragraphs[0].Spans[1].URL == "" || !got.Lead.Paragraphs[0].Spans[1].Italic {
			t.Errorf("Issue lost paragraph or span formatting: %+v", got.Lead.Paragraphs)
		}
	})

	t.Run("RefusesIncompleteSave", func(t *testing.T) {
		s := open(t)
		ensure(t, s, feedA)
		noGUID := newIssue("", t0, 1)
		badPart := newIssue("g2", t0, 1)
		ds := deliveriesFor(badPart, "C1")
		ds[len(ds)-1].Part = "sidebar"
		for _, tc := range []struct {
			is *bot.Issue
			ds []bot.Delivery
		}{
			{noGUID, nil},
			{badPart, ds},
			{newIssue("g3", t0, 0), []bot.Delivery{{Part: bot.PartLead}}}, // no channel
		} {
			if _, err := s.SaveIssue(ctx, tc.is, tc.ds); err == nil {
				t.Errorf("SaveIssue(%q) with %+v: no error", tc.is.GUID, tc.ds)
			}
		}
		if n, err := s.CountIssues(ctx, ""); err != nil || n != 0 {
			t.Errorf("after refused saves: %d issues (err %v), want 0: nothing may be half-saved", n, err)
		}
	})

	t.Run("RoundTripNoRoundupNoDate", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", time.Time{}, 0)
		is.Standfirst, is.Image = "", ""
		save(t, s, is)
		got, err := s.Issue(ctx, is.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameIssue(t, "Issue", got, is)
		if !got.Published.IsZero() || got.Split || len(got.Roundup) != 0 {
			t.Errorf("Issue = Published %v, Split %v, %d roundup; want zero, false, 0", got.Published, got.Split, len(got.Roundup))
		}
	})

	t.Run("SaveUnchangedAndUpdated", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		first := save(t, s, is)

		again := newIssue("g1", t0, 2)
		res := save(t, s, again)
		if res.Status != bot.SaveUnchanged || res.ID != first.ID || again.ID != first.ID {
			t.Errorf("SaveIssue of the same issue = %+v, is.ID %d; want SaveUnchanged, ID %d", res, again.ID, first.ID)
		}

		changed := newIssue("g1", t0, 3)
		changed.Title = "Corrected headline"
		changed.Lead.Paragraphs[2].Spans[0].Text = "Fees averaged five months of wages."
		res = save(t, s, changed)
		if res.Status != bot.SaveUpdated || res.ID != first.ID || changed.ID != first.ID {
			t.Errorf("SaveIssue of a changed issue = %+v; want SaveUpdated, ID %d", res, first.ID)
		}
		got, err := s.Issue(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameIssue(t, "updated issue", got, changed)

		shrunk := newIssue("g1", t0, 1)
		save(t, s, shrunk)
		got, _ = s.Issue(ctx, first.ID)
		sameIssue(t, "issue with fewer roundup items", got, shrunk)
		if n, _ := s.CountIssues(ctx, ""); n != 1 {
			t.Errorf("CountIssues after updates = %d, want 1", n)
		}
	})

	t.Run("SameGUIDOtherFeed", func(t *testing.T) {
		s := open(t)
		a := newIssue("g1", t0, 1)
		b := newIssue("g1", t0, 1)
		b.Feed = feedB
		save(t, s, a)
		res := save(t, s, b)
		if res.Status != bot.SaveInserted || res.ID == a.ID {
			t.Errorf("same GUID in another feed: %+v; want a new issue", res)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Issue(ctx, 12345)
		wantNotFound(t, "Issue(unknown)", err)
		_, err = s.LatestIssue(ctx)
		wantNotFound(t, "LatestIssue of an empty archive", err)
		_, err = s.IssueByNumber(ctx, 1)
		wantNotFound(t, "IssueByNumber(1) of an empty archive", err)
		_, err = s.IssueOn(ctx, t0)
		wantNotFound(t, "IssueOn of an empty archive", err)
		if n, err := s.CountIssues(ctx, ""); n != 0 || err != nil {
			t.Errorf("CountIssues of an empty archive = %d, %v", n, err)
		}
	})

	t.Run("LatestByNumberOn", func(t *testing.T) {
		s := open(t)
		day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		// Saved out of publication order on purpose.
		mid := newIssue("mid", day.Add(23*time.Hour+59*time.Minute+59*time.Second), 1)
		late := newIssue("late", day.Add(24*time.Hour), 1)
		early := newIssue("early", day.Add(-48*time.Hour), 1)
		morning := newIssue("morning", day.Add(8*time.Hour), 1)
		other := newIssue("other", day.Add(-24*time.Hour), 1)
		other.Feed = feedB
		for _, is := range []*bot.Issue{mid, late, early, morning, other} {
			save(t, s, is)
		}
		latest, err := s.LatestIssue(ctx)
		if err != nil || latest.GUID != "late" {
			t.Errorf("LatestIssue = %v, %v; want late", guidOf(latest), err)
		}
		for n, want := range map[int]string{1: "early", 2: "other", 3: "morning", 4: "mid", 5: "late"} {
			got, err := s.IssueByNumber(ctx, n)
			if err != nil || got.GUID != want {
				t.Errorf("IssueByNumber(%d) = %v, %v; want %s", n, guidOf(got), err, want)
			}
		}
		for _, n := range []int{0, -1, 6} {
			_, err := s.IssueByNumber(ctx, n)
			wantNotFound(t, "IssueByNumber out of range", err)
		}
		for _, c := range []struct {
			day  time.Time
			want string
		}{
			{day, "mid"},
			{day.Add(15 * time.Hour), "mid"},
			{day.Add(24 * time.Hour), "late"},
			{day.Add(-48 * time.Hour), "early"},
		} {
			got, err := s.IssueOn(ctx, c.day)
			if err != nil || got.GUID != c.want {
				t.Errorf("IssueOn(%v) = %v, %v; want %s", c.day, guidOf(got), err, c.want)
			}
		}
		_, err = s.IssueOn(ctx, day.Add(-72*time.Hour))
		wantNotFound(t, "IssueOn a day without issues", err)
		for f, want := range map[string]int{"": 5, feedA: 4, feedB: 1, "https://nowhere.example/": 0} {
			if n, err := s.CountIssues(ctx, f); n != want || err != nil {
				t.Errorf("CountIssues(%q) = %d, %v; want %d", f, n, err, want)
			}
		}
	})

	t.Run("IssueFullContent", func(t *testing.T) {
		s := open(t)
		is := newIssue("g1", t0, 2)
		save(t, s, is)
		for name, get := range map[string]func() (*bot.Issue, error){
			"LatestIssue":      func() (*bot.Issue, error) { return s.LatestIssue(ctx) },
			"IssueByNumber(1)": func() (*bot.Issue, error) { return s.IssueByNumber(ctx, 1) },
			"IssueOn":          func() (*bot.Issue, error) { return s.IssueOn(ctx, t0) },
		} {
			got, err := get()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			sameIssue(t, name, got, is)
		}
	})
}

// normalize returns a copy of is with empty slices made nil, so that a
// store may return either.
func normalize(is *bot.Issue) *bot.Issue {
	c := *is
	story := func(st bot.Story) bot.Story {
		var ps []bot.Paragraph
		for _, p := range st.Paragraphs {
			var spans []bot.Span
			spans = append(spans, p.Spans...)
			p.Spans = spans
			ps = append(ps, p)
		}
		st.Paragraphs = ps
		var links []string
		st.Links = append(links, st.Links...)
		return st
	}
	c.Lead = story(is.Lead)
	c.Roundup = nil
	for _, st := range is.Roundup {
		c.Roundup = append(c.Roundup, story(st))
	}
	return &c
}

func guidOf(is *bot.Issue) string {
	if is == nil {
		return "<nil>"
	}
	return is.GUID
}
