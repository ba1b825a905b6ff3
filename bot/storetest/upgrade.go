package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"digestbot/bot"
	"digestbot/bot/migrate"
)

// MigrationsUpTo returns the migrations of fsys (a store's) numbered up
// to v: to build a database as an older digestbot left it.
func MigrationsUpTo(t *testing.T, fsys fs.FS, v int) fs.FS {
	ms, err := migrate.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, m := range ms {
		if m.Version <= v {
			out[m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	return out
}

// Legacy0002Row is one delivery as a digestbot of the 0002 era (before
// the reconciler, migration 0003) wrote it: by part and position.
type Legacy0002Row struct {
	Channel   string
	Part      bot.Part
	Item, Seq int
	State     string // pending, sent, edit or failed
	Ref       string // the message, when sent
	Attempts  int
	IssueHash string // what 0002 kept in claim_hash: the issue's hash when claimed
}

// Story0002 is one row of stories as a 0002-era digestbot stored it (of
// issue 1): the lead as part "lead" item 0, roundup items by position, the
// story's JSON in Rich.
type Story0002 struct {
	Part            string
	Item            int
	Text, Rich, URL string
}

// Writer0002 writes the rows of a 0002-era database with a store's own
// SQL, in the transaction that ran migrations 0001 and 0002.
type Writer0002 struct {
	Issue    func(is *bot.Issue) error // as issue 1, with issues.hash = is.Hash()
	Story    func(st Story0002) error
	Delivery func(r Legacy0002Row) error
}

// Write0002 writes, through w, is as issue 1, its stories as 0002 stored
// them, and rows: what a store's build for UpgradeInFlight and
// UpgradeGivenUp holds.
func Write0002(is *bot.Issue, rows []Legacy0002Row, w Writer0002) error {
	if err := w.Issue(is); err != nil {
		return err
	}
	for i, st := range append([]bot.Story{is.Lead}, is.Roundup...) {
		row := Story0002{Part: "roundup", Item: i - 1, Text: st.Text(), URL: st.URL}
		if i == 0 {
			row.Part, row.Item = "lead", 0
		}
		rich, err := json.Marshal(st)
		if err != nil {
			return err
		}
		row.Rich = string(rich)
		if err := w.Story(row); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := w.Delivery(r); err != nil {
			return err
		}
	}
	return nil
}

// Key0002 is the idempotency key a 0002-era digestbot gave a post: feed,
// GUID, channel, part and position.
func Key0002(is *bot.Issue, channel string, part bot.Part, item int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d", is.Feed, is.GUID, channel, part, item)
	return "dg" + hex.EncodeToString(h.Sum(nil))[:22]
}

// upgradePlatform is a chat platform for the upgrade case: messages by
// idempotency key, found again by a retry (as Slack's metadata and
// Discord's marker are).
type upgradePlatform struct {
	msgs  map[string]string // key → ref
	posts []string          // "channel post-key" of every message made
	lose  map[string]bool   // keys whose next post is made but its answer lost
	other int               // edits and deletes: none expected
}

func (p *upgradePlatform) make(key string) string {
	ref := fmt.Sprintf("m%d", len(p.msgs)+1)
	p.msgs[key] = ref
	return ref
}

func (p *upgradePlatform) Publish(_ context.Context, m bot.Message) (string, error) {
	if ref, ok := p.msgs[m.Key]; ok && m.Retry {
		return ref, nil
	}
	ref := p.make(m.Key)
	p.posts = append(p.posts, m.Channel.ID+" "+m.Post.Key)
	if p.lose[m.Key] {
		delete(p.lose, m.Key)
		return "", errors.New("connection reset")
	}
	return ref, nil
}

func (p *upgradePlatform) Edit(context.Context, bot.Message, string) error {
	p.other++
	return nil
}

func (p *upgradePlatform) Delete(context.Context, bot.Message, string) error {
	p.other++
	return nil
}

// upgradeIssue is the issue of the upgrade cases: a lead and four roundup
// items, the last without a link of its own.
func upgradeIssue() *bot.Issue {
	story := func(text, link string) bot.Story {
		return bot.Story{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: text, URL: link}}}}, URL: link, Links: []string{link}}
	}
	return &bot.Issue{Feed: "https://digest.example.org/rss/", GUID: "g-41", Newsletter: "Digest", Title: "Issue 41",
		Link: "https://digest.example.org/41/", Published: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Split: true,
		Lead: story("The lead story of issue 41.", "https://digest.example.org/41/"),
		Roundup: []bot.Story{
			story("Item one.", "https://one.example.com/a"),
			story("Item two.", "https://two.example.com/b"),
			story("Item three.", "https://three.example.com/c"),
			{Paragraphs: []bot.Paragraph{{Spans: []bot.Span{{Text: "Item four, without a link."}}}}},
		}}
}

// Upgrade0002 runs the upgrade cases from a 0002-era database
// (UpgradeInFlight, UpgradeGivenUp) on the store that build opens.
func Upgrade0002(t *testing.T, build func(t *testing.T, is *bot.Issue, rows []Legacy0002Row) bot.Store) {
	t.Run("InFlightRoundupFoundByOldKey", func(t *testing.T) { UpgradeInFlight(t, build) })
	t.Run("GivenUpWaitsForRetry", func(t *testing.T) { UpgradeGivenUp(t, build) })
}

// UpgradeInFlight checks the upgrade of a 0002-era database holding
// roundup posts attempted and not confirmed. Their messages, if any, carry
// the key of the item's position (0003 made keys follow the item's link):
// the retries after the upgrade must look for that key, and keep looking
// for it when the first retry's answer is lost too.
//
// build writes a 0002-era database (migrations 0001 and 0002 only) holding
// is as issue 1 (its stories as 0002 stored them, issues.hash = is.Hash())
// and rows, then opens it with the store (which migrates it) and returns
// the store, closed when the test ends.
func UpgradeInFlight(t *testing.T, build func(t *testing.T, is *bot.Issue, rows []Legacy0002Row) bot.Store) {
	ctx := context.Background()
	is := upgradeIssue()

	// In channels "team" and "other": the lead and item 0 sent, items 1
	// and 3 attempted and never confirmed, item 2 queued. In "team" the
	// attempts reached the platform (the process died before recording
	// them); in "other" they did not. Item 3 has no link: 0003 keys its
	// row by position ("legacy:roundup:3").
	platform := &upgradePlatform{msgs: map[string]string{}, lose: map[string]bool{}}
	var rows []Legacy0002Row
	for _, ch := range []string{"team", "other"} {
		row := func(part bot.Part, item, seq int, state string, attempts int) {
			r := Legacy0002Row{Channel: ch, Part: part, Item: item, Seq: seq, State: state, Attempts: attempts, IssueHash: is.Hash()}
			if state == "sent" {
				r.Ref = platform.make(Key0002(is, ch, part, item))
			}
			rows = append(rows, r)
		}
		row(bot.PartLead, 0, 0, "sent", 0)
		row(bot.PartRoundup, 0, 1, "sent", 0)
		row(bot.PartRoundup, 1, 2, "pending", 1)
		row(bot.PartRoundup, 2, 3, "pending", 0)
		row(bot.PartRoundup, 3, 4, "pending", 2)
	}
	platform.make(Key0002(is, "team", bot.PartRoundup, 1))
	platform.make(Key0002(is, "team", bot.PartRoundup, 3))
	s := build(t, is, rows)

	// Deliver. In "other", the first retries of items 1 and 3 are made but
	// their answers lost: the next retries must find them.
	platform.lose[Key0002(is, "other", bot.PartRoundup, 1)] = true
	platform.lose[Key0002(is, "other", bot.PartRoundup, 3)] = true
	clock := time.Now()
	o := &bot.Outbox{Store: s, Publishers: map[string]bot.Publisher{"fake": platform}, Owner: "r1",
		Channels: []bot.Channel{{ID: "team", Platform: "fake", Target: "T", Layout: bot.LayoutSeparate},
			{ID: "other", Platform: "fake", Target: "O", Layout: bot.LayoutSeparate}},
		Now: func() time.Time { return clock }, Jitter: func(time.Duration) time.Duration { return 0 }}
	for range 3 { // a lost answer in "other" waits for its retry
		if _, err := o.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour) // past the retry's backoff
	}

	// Items 1 and 3 once per channel: found in "team", posted once in
	// "other"; item 2 posted in both; nothing edited or deleted.
	item3 := bot.PostKey(is, bot.PartRoundup, 3)
	want := []string{"team r:https://three.example.com/c", "other r:https://two.example.com/b", "other r:https://three.example.com/c", "other " + item3}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(platform.posts))
	if !slices.Equal(got, want) {
		t.Errorf("posts after the upgrade = %q, want %q (items 1 and 3 of team were already on the platform)", got, want)
	}
	if platform.other != 0 {
		t.Errorf("%d edits or deletes, want none", platform.other)
	}
	ds, err := s.Deliveries(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		want := bot.StateSent
		if d.Key == "legacy:roundup:3" {
			want = bot.StateRemoved // its post's own delivery took over
		}
		if d.State != want {
			t.Errorf("delivery %s %s is %s (%s), want %s", d.Channel, d.Key, d.State, d.LastError, want)
		}
		for item, key := range map[int]string{1: "r:https://two.example.com/b", 3: item3} {
			if d.Channel == "team" && d.Key == key && d.Ref != platform.msgs[Key0002(is, "team", bot.PartRoundup, item)] {
				t.Errorf("team's item %d has ref %q, want the message the 0002-era attempt made", item, d.Ref)
			}
		}
	}
	ts, err := s.Targets(ctx, "", 10)
	if err != nil || len(ts) != 0 {
		t.Errorf("targets left dirty: %v, %v", ts, err)
	}
}

// UpgradeGivenUp checks that roundup posts a 0002-era digestbot gave up
// (failed, so without a content hash after 0003) stay given up after the
// upgrade, however often their target is made dirty again, until
// `digestbot retry` (RetryDelivery) sends them once. build is as for
// UpgradeInFlight.
func UpgradeGivenUp(t *testing.T, build func(t *testing.T, is *bot.Issue, rows []Legacy0002Row) bot.Store) {
	ctx := context.Background()
	is := upgradeIssue()
	platform := &upgradePlatform{msgs: map[string]string{}, lose: map[string]bool{}}
	var rows []Legacy0002Row
	row := func(part bot.Part, item, seq int, state string, attempts int) {
		r := Legacy0002Row{Channel: "team", Part: part, Item: item, Seq: seq, State: state, Attempts: attempts, IssueHash: is.Hash()}
		if state == "sent" {
			r.Ref = platform.make(Key0002(is, "team", part, item))
		}
		rows = append(rows, r)
	}
	row(bot.PartLead, 0, 0, "sent", 0)
	row(bot.PartRoundup, 0, 1, "sent", 0)
	row(bot.PartRoundup, 1, 2, "failed", 5) // item two, given up
	row(bot.PartRoundup, 2, 3, "sent", 0)
	row(bot.PartRoundup, 3, 4, "failed", 5) // item four (no link: "legacy:roundup:3"), given up
	s := build(t, is, rows)

	clock := time.Now()
	o := &bot.Outbox{Store: s, Publishers: map[string]bot.Publisher{"fake": platform}, Owner: "r1",
		Channels: []bot.Channel{{ID: "team", Platform: "fake", Target: "T", Layout: bot.LayoutSeparate}},
		Now:      func() time.Time { return clock }, Jitter: func(time.Duration) time.Duration { return 0 }}
	send := func() {
		t.Helper()
		for range 2 {
			if _, err := o.SendDue(ctx); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(time.Hour)
		}
	}
	send()
	// The lead is corrected twice: the target is dirty again each time.
	for _, text := range []string{"The lead story of issue 41, corrected.", "The lead story of issue 41, corrected again."} {
		is.Lead.Paragraphs[0].Spans[0].Text = text
		if _, err := s.SaveIssue(ctx, is, nil); err != nil {
			t.Fatal(err)
		}
		send()
	}
	if len(platform.posts) != 0 {
		t.Fatalf("posts after the upgrade and two edits = %q, want none: a given-up post waits for digestbot retry", platform.posts)
	}
	var failed []bot.Delivery
	ds, err := s.Deliveries(ctx, 100, bot.StateFailed)
	if err != nil {
		t.Fatal(err)
	}
	failed = append(failed, ds...)
	if len(failed) != 2 {
		t.Fatalf("failed deliveries %+v, want items two and four still failed", failed)
	}

	// digestbot retry of item two: posted once.
	for _, d := range failed {
		if d.Item == 1 {
			if err := s.RetryDelivery(ctx, d.ID, clock); err != nil {
				t.Fatal(err)
			}
		}
	}
	send()
	if want := []string{"team r:https://two.example.com/b"}; !slices.Equal(platform.posts, want) {
		t.Errorf("posts after retrying item two = %q, want %q", platform.posts, want)
	}
}
