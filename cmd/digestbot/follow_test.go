package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"digestbot/bot"
)

// followFeed serves an invented digest: issue one, then (once more is
// set) issue two as well, whose roundup has a story about a volcano and
// one about a harbour.
func followFeed(t *testing.T) (*httptest.Server, *atomic.Bool) {
	item := func(guid, title, date string, roundup ...string) string {
		var b strings.Builder
		b.WriteString("<p>The lead story of " + title + " tells of inspectors and their reports.</p>")
		b.WriteString("<p>Here&#x2019;s a roundup of other noteworthy news and initiatives:</p>")
		for i, r := range roundup {
			fmt.Fprintf(&b, `<p><a href="https://source%d.example/%s">%s</a></p>`, i, guid, r)
		}
		return fmt.Sprintf(`<item><title>%s</title><link>https://digest.example.org/%s/</link><guid isPermaLink="false">%s</guid>
<pubDate>%s</pubDate><description>A standfirst.</description><content:encoded><![CDATA[%s]]></content:encoded></item>`,
			title, guid, guid, date, b.String())
	}
	one := item("issue-one", "Issue one", "Mon, 03 Nov 2025 09:00:00 GMT",
		"A volcano observatory in the south opened its doors to visitors this week.",
		"Fishing crews in the north report late wages again this season.")
	two := item("issue-two", "Issue two", "Mon, 10 Nov 2025 09:00:00 GMT",
		"Scientists say the volcano near the coast shows new signs of activity and unrest.",
		"A harbour authority publishes its annual report on crew welfare and pay.")
	var more atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items := one
		if more.Load() {
			items = two + one
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Follow Digest</title><link>https://digest.example.org/</link><description>d</description>%s</channel></rss>`, items)
	}))
	t.Cleanup(srv.Close)
	return srv, &more
}

// TestFollowSendsDirectMessages: a user who follows "volcano" gets one
// direct message, for the matching roundup item of the next issue (not for
// the issue already archived, not for the other item), even with two
// follows matching it; a user following "glacier" gets nothing.
func TestFollowSendsDirectMessages(t *testing.T) {
	for _, platform := range []string{"slack", "discord"} {
		t.Run(platform, func(t *testing.T) {
			feed, more := followFeed(t)
			b := newTestBot(t, feed.URL+"/rss/")
			f := b.fakeChat(platform)
			var postsCh, follower, other, dm string
			switch platform {
			case "slack":
				postsCh, follower, other, dm = "C0POSTS000", "U0FOLLOW1", "U0OTHER01", "DU0FOLLOW1"
			case "discord":
				postsCh, follower, other, dm = "100000000000000002", "200000000000000001", "200000000000000002", "700000000000000001"
			}
			b.writeConfig(fmt.Sprintf("channels:\n  - {name: posts, platform: %s, id: %q, layout: separate}\n", platform, postsCh))
			b.runOnce() // archives and posts issue one
			if len(f.texts(postsCh)) == 0 {
				t.Fatal("issue one was not posted")
			}

			// Follows typed in chat, through the command router.
			a := b.app()
			for _, fw := range [][2]string{{follower, "volcano"}, {follower, `"volcano near"`}, {other, "glacier"}} {
				r := a.command(bot.Command{Name: "follow", Args: fw[1], Platform: platform, User: fw[0]})
				if !strings.Contains(r.Text, "You now follow") {
					t.Fatalf("follow %s: %q", fw[1], r.Text)
				}
			}
			a.close()

			b.runOnce() // nothing new: no DM for issue one's volcano item
			if got := f.texts(dm); len(got) != 0 {
				t.Fatalf("DMs before a new issue: %q", got)
			}
			more.Store(true)
			b.runOnce()
			b.runOnce() // a second run sends nothing twice
			got := f.texts(dm)
			if len(got) != 1 || !strings.Contains(got[0], "volcano near the coast") || strings.Contains(got[0], "harbour authority") {
				t.Fatalf("DMs to the follower = %q, want one, the volcano item of issue two", got)
			}
			if f.opened(other) != 0 {
				t.Errorf("the user following glacier had a DM channel opened")
			}
			for ch := range f.postedIn() {
				if ch != postsCh && ch != dm {
					t.Errorf("unexpected messages in %s: %q", ch, f.texts(ch))
				}
			}
		})
	}
}
