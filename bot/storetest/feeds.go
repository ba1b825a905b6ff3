package storetest

import (
	"testing"
	"time"

	"digestbot/bot"
)

func testFeeds(t *testing.T, open opener) {
	t.Run("EnsureFeedNewIsDue", func(t *testing.T) {
		s := open(t)
		ensure(t, s, feedA)
		f := feed(t, s, feedA)
		if f.URL != feedA {
			t.Errorf("URL = %q, want %q", f.URL, feedA)
		}
		if f.NextPoll.After(t0) {
			t.Errorf("NextPoll of a new feed = %v, want due at once", f.NextPoll)
		}
		if !f.LastPoll.IsZero() || !f.LastSuccess.IsZero() || f.ConsecutiveFailures != 0 || f.LastError != "" || f.LeaseOwner != "" {
			t.Errorf("new feed = %+v, want no poll, no failure, no lease", f)
		}
	})

	t.Run("EnsureFeedKeepsState", func(t *testing.T) {
		s := open(t)
		ensure(t, s, feedA)
		rec := bot.PollRecord{Title: "Digest", ETag: `"e1"`, At: t0, NextPoll: t0.Add(time.Hour)}
		if err := s.RecordPoll(ctx, feedA, rec); err != nil {
			t.Fatal(err)
		}
		ensure(t, s, feedA)
		f := feed(t, s, feedA)
		wantTime(t, "NextPoll after a second EnsureFeed", f.NextPoll, t0.Add(time.Hour))
		if f.Title != "Digest" || f.ETag != `"e1"` {
			t.Errorf("feed after a second EnsureFeed = %+v, want its state kept", f)
		}
		fs, err := s.Feeds(ctx)
		if err != nil || len(fs) != 1 {
			t.Errorf("Feeds = %d feeds, %v; want 1", len(fs), err)
		}
	})

	t.Run("FeedNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Feed(ctx, "https://nowhere.example/")
		wantNotFound(t, "Feed(unknown)", err)
	})

	t.Run("FeedsOrderedByURL", func(t *testing.T) {
		s := open(t)
		fs, err := s.Feeds(ctx)
		if err != nil || len(fs) != 0 {
			t.Fatalf("Feeds of an empty store = %v, %v; want none", fs, err)
		}
		ensure(t, s, "https://c.example/", "https://a.example/", "https://b.example/")
		fs, err = s.Feeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.URL)
		}
		want := []string{"https://a.example/", "https://b.example/", "https://c.example/"}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("Feeds = %v, want %v", got, want)
		}
	})

	t.Run("ClaimFeedMostOverdueFirst", func(t *testing.T) {
		s := open(t)
		if _, ok, err := s.ClaimFeed(ctx, "r1", t0, time.Minute); ok || err != nil {
			t.Fatalf("ClaimFeed with no feeds = %v, %v; want none", ok, err)
		}
		due := map[string]time.Duration{
			"https://late.example/":    -time.Hour,
			"https://later.example/":   -2 * time.Hour,
			"https://not-due.example/": time.Hour,
		}
		for u, d := range due {
			ensure(t, s, u)
			if err := s.RecordPoll(ctx, u, bot.PollRecord{At: t0.Add(-3 * time.Hour), NextPoll: t0.Add(d)}); err != nil {
				t.Fatal(err)
			}
		}
		lease := 5 * time.Minute
		for _, want := range []string{"https://later.example/", "https://late.example/"} {
			f, ok, err := s.ClaimFeed(ctx, "r1", t0, lease)
			if err != nil || !ok {
				t.Fatalf("ClaimFeed = %v, %v; want %s", ok, err, want)
			}
			if f.URL != want {
				t.Errorf("ClaimFeed = %s, want the most overdue %s", f.URL, want)
			}
			if f.LeaseOwner != "r1" {
				t.Errorf("claimed LeaseOwner = %q, want r1", f.LeaseOwner)
			}
			wantTime(t, "claimed LeaseUntil", f.LeaseUntil, t0.Add(lease))
			if got := feed(t, s, want); got.LeaseOwner != "r1" {
				t.Errorf("Feed(%s).LeaseOwner after claim = %q, want r1", want, got.LeaseOwner)
			}
		}
		if f, ok, err := s.ClaimFeed(ctx, "r2", t0.Add(time.Minute), lease); ok || err != nil {
			t.Errorf("ClaimFeed with all due feeds leased = %s, %v, %v; want none", f.URL, ok, err)
		}
		// Leases expire: another replica takes the most overdue feed over.
		f, ok, err := s.ClaimFeed(ctx, "r2", t0.Add(lease+time.Second), lease)
		if err != nil || !ok || f.URL != "https://later.example/" || f.LeaseOwner != "r2" {
			t.Errorf("ClaimFeed after the lease expired = %+v, %v, %v; want later.example leased to r2", f, ok, err)
		}
	})

	t.Run("ClaimFeedEachNewFeedOnce", func(t *testing.T) {
		s := open(t)
		ensure(t, s, "https://a.example/", "https://b.example/", "https://c.example/")
		seen := map[string]bool{}
		for range 3 {
			f, ok, err := s.ClaimFeed(ctx, "r1", t0, time.Minute)
			if err != nil || !ok {
				t.Fatalf("ClaimFeed = %v, %v; want a new feed", ok, err)
			}
			if seen[f.URL] {
				t.Errorf("ClaimFeed returned %s twice", f.URL)
			}
			seen[f.URL] = true
		}
		if _, ok, _ := s.ClaimFeed(ctx, "r1", t0, time.Minute); ok {
			t.Error("ClaimFeed returned a fourth feed of three")
		}
	})

	t.Run("NextFeedDue", func(t *testing.T) {
		s := open(t)
		if _, ok, err := s.NextFeedDue(ctx); ok || err != nil {
			t.Fatalf("NextFeedDue with no feeds = %v, %v; want ok false", ok, err)
		}
		ensure(t, s, "https://a.example/")
		if due, ok, err := s.NextFeedDue(ctx); !ok || err != nil || due.After(t0) {
			t.Errorf("NextFeedDue with a new feed = %v, %v, %v; want due at once", due, ok, err)
		}
		ensure(t, s, "https://b.example/")
		for u, d := range map[string]time.Duration{"https://a.example/": time.Hour, "https://b.example/": 2 * time.Hour} {
			if err := s.RecordPoll(ctx, u, bot.PollRecord{At: t0, NextPoll: t0.Add(d)}); err != nil {
				t.Fatal(err)
			}
		}
		due, ok, err := s.NextFeedDue(ctx)
		if !ok || err != nil {
			t.Fatalf("NextFeedDue = %v, %v", ok, err)
		}
		wantTime(t, "NextFeedDue", due, t0.Add(time.Hour))
		// A feed being polled is due again when its lease runs out.
		if _, ok, err := s.ClaimFeed(ctx, "r1", t0.Add(time.Hour), 10*time.Minute); !ok || err != nil {
			t.Fatalf("ClaimFeed = %v, %v", ok, err)
		}
		due, _, _ = s.NextFeedDue(ctx)
		wantTime(t, "NextFeedDue with the earliest feed leased", due, t0.Add(time.Hour+10*time.Minute))
	})

	t.Run("RecordPoll", func(t *testing.T) {
		s := open(t)
		ensure(t, s, feedA)
		if _, ok, err := s.ClaimFeed(ctx, "r1", t0, time.Minute); !ok || err != nil {
			t.Fatalf("ClaimFeed = %v, %v", ok, err)
		}
		ok1 := bot.PollRecord{Title: "Digest Newsletter", ETag: `W/"abc"`, LastModified: "Mon, 10 Mar 2025 08:00:00 GMT",
			At: t0, NextPoll: t0.Add(30 * time.Minute)}
		if err := s.RecordPoll(ctx, feedA, ok1); err != nil {
			t.Fatal(err)
		}
		f := feed(t, s, feedA)
		if f.Title != ok1.Title || f.ETag != ok1.ETag || f.LastModified != ok1.LastModified || f.ConsecutiveFailures != 0 || f.LastError != "" {
			t.Errorf("after a successful poll: %+v", f)
		}
		wantTime(t, "LastPoll", f.LastPoll, t0)
		wantTime(t, "LastSuccess", f.LastSuccess, t0)
		wantTime(t, "NextPoll", f.NextPoll, t0.Add(30*time.Minute))
		if f.LeaseOwner != "" {
			t.Errorf("LeaseOwner after RecordPoll = %q, want the lease released", f.LeaseOwner)
		}

		// Two failures count up and keep title, validators and LastSuccess.
		for i := 1; i <= 2; i++ {
			at := t0.Add(time.Duration(i) * time.Hour)
			fail := bot.PollRecord{At: at, Err: "http 503", NextPoll: at.Add(time.Duration(i) * time.Hour)}
			if err := s.RecordPoll(ctx, feedA, fail); err != nil {
				t.Fatal(err)
			}
			f = feed(t, s, feedA)
			if f.ConsecutiveFailures != i || f.LastError != "http 503" {
				t.Errorf("after %d failures: ConsecutiveFailures %d, LastError %q", i, f.ConsecutiveFailures, f.LastError)
			}
			if f.Title != ok1.Title || f.ETag != ok1.ETag || f.LastModified != ok1.LastModified {
				t.Errorf("after a failure: title/validators %q %q %q, want the old ones kept", f.Title, f.ETag, f.LastModified)
			}
			wantTime(t, "LastPoll after a failure", f.LastPoll, at)
			wantTime(t, "LastSuccess after a failure", f.LastSuccess, t0)
			wantTime(t, "NextPoll after a failure", f.NextPoll, fail.NextPoll)
		}

		// A success (a 304: no title) resets the count and keeps the title.
		at := t0.Add(5 * time.Hour)
		if err := s.RecordPoll(ctx, feedA, bot.PollRecord{ETag: `W/"def"`, At: at, NextPoll: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		f = feed(t, s, feedA)
		if f.ConsecutiveFailures != 0 || f.LastError != "" || f.Title != ok1.Title || f.ETag != `W/"def"` {
			t.Errorf("after a success: %+v; want no failures, old title, new ETag", f)
		}
		wantTime(t, "LastSuccess", f.LastSuccess, at)

		if err := s.RecordPoll(ctx, "https://nowhere.example/", ok1); err == nil {
			t.Error("RecordPoll of an unknown feed: got no error")
		}
	})

	t.Run("RecordPollReleasesLease", func(t *testing.T) {
		s := open(t)
		ensure(t, s, feedA)
		if _, ok, _ := s.ClaimFeed(ctx, "r1", t0, time.Hour); !ok {
			t.Fatal("ClaimFeed: nothing claimed")
		}
		if err := s.RecordPoll(ctx, feedA, bot.PollRecord{At: t0, Err: "timeout", NextPoll: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		// Due again after a minute although the hour's lease would still run.
		f, ok, err := s.ClaimFeed(ctx, "r2", t0.Add(2*time.Minute), time.Hour)
		if !ok || err != nil || f.LeaseOwner != "r2" {
			t.Errorf("ClaimFeed after RecordPoll = %+v, %v, %v; want it leased to r2", f, ok, err)
		}
	})
}
