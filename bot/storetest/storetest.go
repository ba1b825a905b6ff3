// Package storetest is the conformance suite for bot.Store: every store
// (adapters/sqlite, adapters/postgres) runs Run from its own tests, and
// shares Corpus for its search benchmarks. Standard library only.
//
// Besides what bot.Store documents, the suite pins down these choices, so
// that the stores behave alike:
//
//   - Times come back in UTC and equal (time.Equal) to what was stored, at
//     least to the microsecond; zero times stay zero.
//   - A new feed's NextPoll is not after any present time.
//   - RecordPoll of a failed poll keeps the title and the validators (ETag,
//     Last-Modified); a successful one stores the validators as given.
//     RecordPoll, MarkSent, MarkRetry, MarkFailed, MarkRemoved and
//     TargetDone fail with ErrNotFound for an unknown feed, delivery or
//     target.
//   - SaveIssue sets is.ID whatever its outcome. A SaveUnchanged writes
//     nothing, not even new targets. Deliveries lists newest created first.
//   - Issue(id).Hash() equals the Hash saved (Target.Hash): the outbox
//     records it when a channel is in step.
//   - NextTarget orders issues by Published, then ID; a channel's
//     deliveries come in Seq order.
//   - Replicas counts, for each replica, the leases it owns that run past
//     its last heartbeat. Heartbeat keeps the first heartbeat as Started.
//   - Search ANDs terms and phrases, stems English words (porter-like:
//     "trafficked" finds "trafficking"), ignores diacritics ("cafe" finds
//     "café"), returns Text as the story's plain text, URL as the story's
//     URL or else the issue's link, and a plain-text Snippet that contains
//     a matching word.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"digestbot/bot"
)

// Run runs the conformance suite. open must return a new, empty store each
// time it is called (a fresh file or schema); Run closes it.
func Run(t *testing.T, open func(t *testing.T) bot.Store) {
	fresh := func(t *testing.T) bot.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	t.Run("Feeds", func(t *testing.T) { testFeeds(t, fresh) })
	t.Run("Issues", func(t *testing.T) { testIssues(t, fresh) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, fresh) })
	t.Run("Replicas", func(t *testing.T) { testReplicas(t, fresh) })
	t.Run("Search", func(t *testing.T) { testSearch(t, fresh) })
	t.Run("Push", func(t *testing.T) { testPush(t, fresh) })
	t.Run("Retry", func(t *testing.T) { testRetry(t, fresh) })
	t.Run("Seen", func(t *testing.T) { testSeen(t, fresh) })
	t.Run("SeenBatch", func(t *testing.T) { testSeenBatch(t, fresh) })
	t.Run("People", func(t *testing.T) { testPeople(t, fresh) })
	t.Run("Subscriptions", func(t *testing.T) { testSubscriptions(t, fresh) })
	t.Run("WebSub", func(t *testing.T) { testWebSub(t, fresh) })
	t.Run("Shares", func(t *testing.T) { testShares(t, fresh) })
}

type opener = func(t *testing.T) bot.Store

// t0 is the suite's "now"; every test passes explicit times.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

var ctx = context.Background()

const (
	feedA = "https://digest.example.org/rss/"
	feedB = "https://other.example.net/feed.xml"
)

// newIssue returns an issue of feedA with invented text: a lead of three
// paragraphs (one with a link, a heading, a bullet) and n roundup items.
func newIssue(guid string, published time.Time, n int) *bot.Issue {
	is := &bot.Issue{
		Feed:       feedA,
		Newsletter: "Digest Newsletter",
		GUID:       guid,
		Title:      "Issue " + guid + ": recruiters under scrutiny",
		Link:       "https://digest.example.org/" + guid + "/",
		Published:  published,
		Standfirst: "Regulators look at recruitment fees, and a port inspection finds unpaid crews.",
		Image:      "https://digest.example.org/img/" + guid + ".jpg",
		Lead: bot.Story{
			Paragraphs: []bot.Paragraph{
				{Spans: []bot.Span{
					{Text: "A coalition of labour inspectors published "},
					{Text: "a review", URL: "https://review.example.com/fees", Italic: true},
					{Text: " of recruitment fees charged to seasonal pickers.", Bold: false},
				}},
				{Spans: []bot.Span{{Text: "What the review found", Bold: true}}, Heading: true},
				{Spans: []bot.Span{{Text: "Fees averaged four months of wages."}}, Bullet: true},
			},
			URL:   "https://review.example.com/fees",
			Links: []string{"https://review.example.com/fees"},
		},
		Split: n > 0,
	}
	for i := range n {
		url := fmt.Sprintf("https://news.example.com/%s/%d", guid, i)
		is.Roundup = append(is.Roundup, bot.Story{
			Paragraphs: []bot.Paragraph{{Spans: []bot.Span{
				{Text: fmt.Sprintf("Roundup item %d: a harbour audit in the north. ", i)},
				{Text: "Source", URL: url},
			}}},
			URL:   url,
			Links: []string{url},
		})
	}
	return is
}

// deliveriesFor returns the deliveries of is for each channel, as the
// outbox makes them: bot.PostsFor's posts in order, Seq from 0.
func deliveriesFor(is *bot.Issue, channels ...string) []bot.Delivery {
	var out []bot.Delivery
	for _, ch := range channels {
		for seq, p := range bot.PostsFor(is, bot.LayoutSeparate) {
			out = append(out, bot.Delivery{Channel: ch, Part: p.Part, Item: p.Item, Seq: seq})
		}
	}
	return out
}

func save(t *testing.T, s bot.Store, is *bot.Issue, ds ...bot.Delivery) bot.SaveResult {
	t.Helper()
	res, err := s.SaveIssue(ctx, is, ds)
	if err != nil {
		t.Fatalf("SaveIssue(%s): %v", is.GUID, err)
	}
	return res
}

func ensure(t *testing.T, s bot.Store, urls ...string) {
	t.Helper()
	for _, u := range urls {
		if err := s.EnsureFeed(ctx, u); err != nil {
			t.Fatalf("EnsureFeed(%s): %v", u, err)
		}
	}
}

func feed(t *testing.T, s bot.Store, url string) bot.FeedState {
	t.Helper()
	f, err := s.Feed(ctx, url)
	if err != nil {
		t.Fatalf("Feed(%s): %v", url, err)
	}
	return f
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("%s: got error %v, want bot.ErrNotFound", what, err)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s = %v: want it in UTC", what, got)
	}
}
