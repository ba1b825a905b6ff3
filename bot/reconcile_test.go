package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

// item is one roundup item of a custom feed: its source link and text.
type item struct{ src, text string }

// issueFeed builds a one-issue feed with the given roundup items.
func issueFeed(id, title string, date time.Time, items ...item) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Test Digest</title><link>https://digest.example.org/</link>`)
	fmt.Fprintf(&b, `<item><title>%s</title><link>https://digest.example.org/%s/</link><guid isPermaLink="false">issue-%s</guid><pubDate>%s</pubDate><description>Summary.</description><content:encoded><![CDATA[`,
		title, id, id, date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, `<p>Lead paragraph about %s, with enough words to be a paragraph.</p><p>Second paragraph of the lead.</p>`, title)
	if len(items) > 0 {
		b.WriteString(`<p>Here's a roundup of other noteworthy news and initiatives:</p>`)
		for _, it := range items {
			fmt.Fprintf(&b, `<p><a href="https://%s.example.com/story">Source %s</a> %s</p>`, it.src, it.src, it.text)
		}
	}
	b.WriteString(`]]></content:encoded></item></channel></rss>`)
	return b.String()
}

func items(srcs ...string) []item {
	var out []item
	for _, s := range srcs {
		out = append(out, item{s, "reports on the harbour audit of " + s + "."})
	}
	return out
}

// repoll makes the next poll fetch body and deliver what changed.
func (h *harness) repoll(body string) bot.SendStats {
	h.t.Helper()
	h.feed.set(body, 0)
	h.clock.Add(6 * time.Minute)
	h.poll()
	return h.send()
}

func separate(id string) bot.Channel {
	return bot.Channel{ID: id, Platform: "fake", Target: id, Layout: bot.LayoutSeparate}
}

func TestReconcileEditsOnlyTheChangedItem(t *testing.T) {
	its := items("a", "b", "c", "d", "e", "f")
	h := newHarness(t, issueFeed("1", "First", t0, its...), thread("t"))
	h.poll()
	if s := h.send(); s.Sent != 7 {
		t.Fatalf("first delivery %+v, want 7 posts", s)
	}
	its[3].text = "reports on the harbour audit of d, corrected."
	s := h.repoll(issueFeed("1", "First", t0, its...))
	if s.Edited != 1 || s.Sent != 0 || s.Deleted != 0 || len(h.plat.edits) != 1 || h.plat.edits[0] != "msg-5" {
		t.Errorf("one corrected item: %+v, edits %v; want one edit of msg-5", s, h.plat.edits)
	}
}

func TestReconcileShrinkDeletesGrowAppends(t *testing.T) {
	h := newHarness(t, issueFeed("1", "First", t0, items("a", "b", "c")...), thread("t"), separate("s"))
	h.poll()
	if s := h.send(); s.Sent != 8 {
		t.Fatalf("first delivery %+v, want 8 posts", s)
	}
	// Corrected from three roundup items to one: the two others' messages
	// go, nothing fails, nothing else is touched.
	s := h.repoll(issueFeed("1", "First", t0, items("b")...))
	if s.Deleted != 4 || s.Edited != 0 || s.Sent != 0 || s.Failed != 0 || s.Retried != 0 {
		t.Errorf("shrink: %+v, want 4 deletes (2 per channel) and nothing else", s)
	}
	if c, _ := h.store.DeliveryCounts(context.Background()); c[bot.StateFailed] != 0 || c[bot.StateRemoved] != 4 {
		t.Errorf("counts after shrinking %v, want 4 removed, none failed", c)
	}
	// Grown by a new item: one new post per channel, in the thread.
	before := len(h.plat.posts)
	leadRef := ""
	for i, m := range h.plat.posts {
		if m.Channel.ID == "t" && m.Post.Part == bot.PartLead {
			leadRef = fmt.Sprintf("msg-%d", i+1)
		}
	}
	s = h.repoll(issueFeed("1", "First", t0, items("b", "new")...))
	if s.Sent != 2 || s.Edited != 0 || s.Deleted != 0 {
		t.Errorf("grow: %+v, want 2 new posts", s)
	}
	for _, m := range h.plat.posts[before:] {
		if m.Post.Part != bot.PartRoundup || !strings.Contains(m.Post.Stories()[0].Text(), "Source new") {
			t.Errorf("appended %s %q, want the new item", m.Post.Part, m.Post.Stories()[0].Text())
		}
		if m.Channel.ID == "t" && m.ParentRef != leadRef {
			t.Errorf("new item in the thread layout has ParentRef %q, want the lead's %s", m.ParentRef, leadRef)
		}
	}
	h.plat.assertNoDuplicates(t)
}

func TestReconcileKeepPolicy(t *testing.T) {
	keep := bot.Channel{ID: "k", Platform: "fake", Target: "k", Layout: bot.LayoutSeparate, OnRemove: bot.OnRemoveKeep}
	h := newHarness(t, issueFeed("1", "First", t0, items("a", "b")...), keep)
	h.poll()
	h.send()
	s := h.repoll(issueFeed("1", "First", t0, items("a")...))
	if s.Deleted != 0 || len(h.plat.deletes) != 0 || s.Failed != 0 {
		t.Errorf("on_remove keep: %+v, deletes %v; want none", s, h.plat.deletes)
	}
	// The item comes back unchanged: its kept message shows it already.
	s = h.repoll(issueFeed("1", "First", t0, items("a", "b")...))
	if s.Sent+s.Edited+s.Deleted != 0 {
		t.Errorf("kept item back: %+v, want nothing to do", s)
	}
}

func TestReconcileBackAndForth(t *testing.T) {
	its := items("a", "b")
	h := newHarness(t, issueFeed("1", "First", t0, its...), thread("t"))
	h.poll()
	h.send()
	changed := append([]item(nil), its...)
	changed[0].text = "a different text"
	// Changed and changed back before the outbox ran: nothing to do.
	h.feed.set(issueFeed("1", "First", t0, changed...), 0)
	h.clock.Add(6 * time.Minute)
	h.poll()
	if s := h.repoll(issueFeed("1", "First", t0, its...)); s.Sent+s.Edited+s.Deleted != 0 {
		t.Errorf("changed back before delivery: %+v, want no call", s)
	}
	// Changed across deliveries: one edit each way, no more.
	if s := h.repoll(issueFeed("1", "First", t0, changed...)); s.Edited != 1 {
		t.Errorf("changed: %+v, want 1 edit", s)
	}
	if s := h.repoll(issueFeed("1", "First", t0, its...)); s.Edited != 1 {
		t.Errorf("changed back: %+v, want 1 edit", s)
	}
	if s := h.repoll(issueFeed("1", "First", t0, its...) + " "); s.Sent+s.Edited+s.Deleted != 0 {
		t.Errorf("same again: %+v, want nothing", s)
	}
}

func TestWithdrawIssueRemovesItsMessages(t *testing.T) {
	keep := bot.Channel{ID: "k", Platform: "fake", Target: "k", Layout: bot.LayoutThread, OnRemove: bot.OnRemoveKeep}
	h := newHarness(t, issueFeed("1", "First", t0, items("a", "b")...), thread("t"), keep)
	h.poll()
	h.send()
	ctx := context.Background()
	if err := h.store.WithdrawIssue(ctx, h.poller.Feeds[0].URL, "issue-1"); err != nil {
		t.Fatal(err)
	}
	s := h.send()
	if s.Deleted != 3 || s.Failed != 0 {
		t.Errorf("withdrawn: %+v, want the 3 messages of channel t deleted, channel k's kept", s)
	}
	// Roundup replies go before their lead.
	leadRef := ""
	for i, m := range h.plat.posts {
		if m.Channel.ID == "t" && m.Post.Part == bot.PartLead {
			leadRef = fmt.Sprintf("msg-%d", i+1)
		}
	}
	if n := len(h.plat.deletes); n != 3 || h.plat.deletes[2] != leadRef {
		t.Errorf("deletes %v, want the lead %s last", h.plat.deletes, leadRef)
	}
	if _, err := h.store.LatestIssue(ctx); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("LatestIssue after the withdrawal: %v, want ErrNotFound", err)
	}
}

// limitedPlatform answers 429 for one channel's first n sends.
type limitedPlatform struct {
	*platform
	channel string
	n       int
}

func (l *limitedPlatform) Publish(ctx context.Context, m bot.Message) (string, error) {
	if m.Channel.ID == l.channel && l.n > 0 {
		l.n--
		return "", &bot.RateLimitError{What: "fake", After: 30 * time.Second}
	}
	return l.platform.Publish(ctx, m)
}

// TestOrderAcrossLayouts: several issues pending in two channels, one of
// them rate-limited: each channel gets its posts grouped by issue, in
// issue order, whatever the other channel does.
func TestOrderAcrossLayouts(t *testing.T) {
	for _, layout := range []bot.Layout{bot.LayoutSeparate, bot.LayoutThread, bot.LayoutCombined} {
		for _, pending := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/%d", layout, pending), func(t *testing.T) {
				var specs []issueSpec
				for i := pending; i >= 1; i-- {
					specs = append(specs, issueSpec{id: fmt.Sprint(i), title: fmt.Sprint("Issue ", i), date: t0.Add(time.Duration(i) * time.Hour), items: 3})
				}
				a := bot.Channel{ID: "a", Platform: "fake", Target: "a", Layout: layout}
				b := bot.Channel{ID: "b", Platform: "fake", Target: "b", Layout: layout}
				h := newHarness(t, rss(specs...), a, b)
				h.poller.Feeds[0].DeliverNewest = pending
				lp := &limitedPlatform{platform: h.plat, channel: "b", n: 2}
				h.outbox.Publishers["fake"] = lp
				h.poll()
				for range 6 {
					h.send()
					h.clock.Add(time.Minute)
				}
				perIssue := 4
				if layout == bot.LayoutCombined {
					perIssue = 2
				}
				for _, ch := range []string{"a", "b"} {
					var got []string
					for _, m := range h.plat.posts {
						if m.Channel.ID == ch {
							got = append(got, m.Post.Issue.GUID)
						}
					}
					var want []string
					for i := 1; i <= pending; i++ {
						for range perIssue {
							want = append(want, fmt.Sprint("issue-", i))
						}
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("channel %s got %v, want %v", ch, got, want)
					}
				}
				h.plat.assertNoDuplicates(t)
			})
		}
	}
}
