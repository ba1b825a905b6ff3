package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
	"digestbot/feeds"
)

// Backfill: feeds.Fetcher.History pages through a Ghost-style history and
// Poller.Backfill archives each page as a poll would (the configured
// name), queuing nothing.
func TestBackfillPagesAndArchives(t *testing.T) {
	day := func(d int) time.Time { return t0.AddDate(0, 0, -d) }
	pages := map[string]string{
		"/rss/":   rss(issueSpec{id: "d", title: "Four", date: day(0)}, issueSpec{id: "c", title: "Three", date: day(7), items: 2}),
		"/rss/2/": rss(issueSpec{id: "b", title: "Two", date: day(14)}, issueSpec{id: "a", title: "One", date: day(21)}),
	}
	for _, tt := range []struct {
		name   string
		page3  string // what /rss/3/ serves: "" for 404
		issues int
	}{
		{"past the last page: 404", "", 4},
		{"a server that ignores the page number", pages["/rss/2/"], 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked = append(asked, r.URL.Path)
				body, ok := pages[r.URL.Path]
				if r.URL.Path == "/rss/3/" && tt.page3 != "" {
					body, ok = tt.page3, true
				}
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/rss+xml")
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			feed := srv.URL + "/rss/"
			ch := bot.Channel{ID: "c1", Platform: "fake", Target: "c1", Layout: bot.LayoutThread}
			p := &bot.Poller{Store: st, Feeds: []bot.FeedPlan{{URL: feed, Name: "Team Digest", Channels: []bot.Channel{ch}}}}
			if err := p.Register(context.Background()); err != nil {
				t.Fatal(err)
			}
			// A follow that every backfilled issue matches: still no direct message.
			if _, err := st.AddFollow(context.Background(), bot.Follow{Platform: "fake", User: "U0FOLLOW", Query: bot.ParseQuery("lead paragraph").String(), Created: t0}); err != nil {
				t.Fatal(err)
			}
			f := feeds.NewFetcher(feeds.Options{Egress: feeds.Egress{AllowPrivateHosts: []string{"127.0.0.1"}}})
			var archived int
			err = f.History(context.Background(), feed, 10, func(page int, res *bot.FetchResult) error {
				r, err := p.Backfill(context.Background(), feed, res)
				archived += r.Inserted
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if archived != tt.issues || fmt.Sprint(asked) != "[/rss/ /rss/2/ /rss/3/]" {
				t.Errorf("archived %d issues asking %v; want %d, asking up to /rss/3/", archived, asked, tt.issues)
			}
			latest, err := st.LatestIssue(context.Background())
			if err != nil || latest.Newsletter != "Team Digest" || latest.GUID != "issue-d" {
				t.Errorf("latest = %+v, %v; want issue-d named by feeds[].name", latest, err)
			}
			if counts, err := st.DeliveryCounts(context.Background()); err != nil || len(counts) != 0 {
				t.Errorf("deliveries %v, %v: a backfill posts nothing", counts, err)
			}
			if ts, err := st.Targets(context.Background(), "", 100); err != nil || len(ts) != 0 {
				t.Errorf("targets %+v, %v: a backfill queues nothing, not even a follower's direct message", ts, err)
			}
		})
	}
}
