package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// dmFake records messages by channel for a fake Slack or Discord that can
// open direct-message channels.
type dmFake struct {
	mu    sync.Mutex
	msgs  map[string][]string // channel → texts (Slack) or embed titles and descriptions (Discord)
	opens map[string]int      // user → direct-message channels opened
	srv   *httptest.Server
}

func (f *dmFake) record(ch, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs[ch] = append(f.msgs[ch], text)
}

func (f *dmFake) texts(ch string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs[ch]...)
}

func newSlackDMFake(t *testing.T) *dmFake {
	f := &dmFake{msgs: map[string][]string{}, opens: map[string]int{}}
	var n atomic.Int64
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "conversations.open"):
			user := r.FormValue("users")
			f.mu.Lock()
			f.opens[user]++
			f.mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, user)
		case strings.HasSuffix(r.URL.Path, "chat.postMessage"):
			ch := r.FormValue("channel")
			f.record(ch, r.FormValue("blocks"))
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, ch, n.Add(1))
		default:
			io.WriteString(w, `{"ok":true,"messages":[]}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func newDiscordDMFake(t *testing.T) *dmFake {
	f := &dmFake{msgs: map[string][]string{}, opens: map[string]int{}}
	var n atomic.Int64
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "4")
		w.Header().Set("X-RateLimit-Reset-After", "1")
		w.Header().Set("X-RateLimit-Bucket", "b")
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v10/"), "/")
		switch {
		case r.Method == http.MethodPost && strings.Join(parts, "/") == "users/@me/channels":
			var body struct {
				Recipient string `json:"recipient_id"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			f.mu.Lock()
			f.opens[body.Recipient]++
			f.mu.Unlock()
			fmt.Fprintf(w, `{"id":"7%s","type":1}`, body.Recipient[1:])
		case len(parts) < 2 || parts[0] != "channels":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"404: Not Found","code":0}`)
		case r.Method == http.MethodGet && len(parts) == 2:
			fmt.Fprintf(w, `{"id":%q,"type":0}`, parts[1])
		case r.Method == http.MethodGet:
			io.WriteString(w, `[]`)
		case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
			b, _ := io.ReadAll(r.Body)
			f.record(parts[1], string(b))
			fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), parts[1])
		default:
			fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), parts[1])
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
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
			var f *dmFake
			var postsCh, follower, other, dm string
			switch platform {
			case "slack":
				f = newSlackDMFake(t)
				postsCh, follower, other, dm = "C0POSTS000", "U0FOLLOW1", "U0OTHER01", "DU0FOLLOW1"
			case "discord":
				f = newDiscordDMFake(t)
				postsCh, follower, other, dm = "100000000000000002", "200000000000000001", "200000000000000002", "700000000000000001"
			}
			b.chat(platform, f.srv.URL)
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
			f.mu.Lock()
			opensOther := f.opens[other]
			f.mu.Unlock()
			if opensOther != 0 {
				t.Errorf("the user following glacier had a DM channel opened")
			}
			for ch, msgs := range f.msgs {
				if ch != postsCh && ch != dm && len(msgs) > 0 {
					t.Errorf("unexpected messages in %s: %q", ch, msgs)
				}
			}
		})
	}
}
