package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"digestbot/bot"
)

// TestRunOncePollsSubscribedFeeds: `run --once` polls a feed known only
// from a chat subscription, not only the configured ones, and posts its
// newest issue in the subscribed channel (deliver_newest 1), once.
func TestRunOncePollsSubscribedFeeds(t *testing.T) {
	configured, _ := followFeed(t)
	subscribed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		item := func(guid, title, date string) string {
			return fmt.Sprintf(`<item><title>%s</title><link>https://tide.example.org/%s/</link><guid isPermaLink="false">%s</guid>
<pubDate>%s</pubDate><description>A standfirst.</description><content:encoded><![CDATA[<p>The lead story of %s is about the tides.</p>]]></content:encoded></item>`,
				title, guid, guid, date, title)
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Tide Letter</title><link>https://tide.example.org/</link><description>d</description>%s%s</channel></rss>`,
			item("tide-two", "Tide two", "Mon, 10 Nov 2025 09:00:00 GMT"), item("tide-one", "Tide one", "Mon, 03 Nov 2025 09:00:00 GMT"))
	}))
	t.Cleanup(subscribed.Close)

	const postsCh, subCh = "C0POSTS000", "C0SUBSCR01"
	b := newTestBot(t, configured.URL+"/rss/")
	f := b.fakeChat("slack")
	b.vars["DIGESTBOT_ALLOW_PRIVATE_HOSTS"] = "127.0.0.1" // the subscribed feed is a fake on the loopback
	b.writeConfig(fmt.Sprintf("channels:\n  - {name: posts, platform: slack, id: %q, layout: separate}\n", postsCh))

	// The subscription as /digest subscribe stores it.
	a := b.app()
	ctx := context.Background()
	feed := subscribed.URL + "/feed/"
	sub := bot.Subscription{Feed: feed, Platform: "slack", Target: subCh, Layout: bot.LayoutSeparate, AddedBy: "U0ADMIN (ana)"}
	if _, err := a.store.(bot.SubscriptionStore).Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := a.store.EnsureFeed(ctx, feed); err != nil {
		t.Fatal(err)
	}
	a.close()

	b.runOnce()
	b.runOnce() // nothing twice
	got := f.texts(subCh)
	if len(got) != 1 || !strings.Contains(got[0], "Tide two") {
		t.Fatalf("posts in the subscribed channel = %q, want one, the newest issue (Tide two)", got)
	}
	if len(f.texts(postsCh)) == 0 {
		t.Error("the configured feed's issue was not posted")
	}
}
