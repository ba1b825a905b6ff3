package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// flakyFeed serves the sample feed, or 500 while down is set.
func flakyFeed(t *testing.T) (*httptest.Server, *atomic.Bool) {
	feedXML, err := os.ReadFile(sampleFeed)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "upstream exploded", http.StatusInternalServerError)
			return
		}
		w.Write(feedXML)
	}))
	t.Cleanup(srv.Close)
	return srv, &down
}

// TestAlertsInChat runs the binary's commands against fake Slack and
// Discord: a feed failing 3 polls in a row makes one alert in each alerts
// channel, 50 failures still one, recovery one more; a post given up makes
// an alert naming `digestbot retry ID`, which sends it again.
func TestAlertsInChat(t *testing.T) {
	for _, platform := range []string{"slack", "discord"} {
		t.Run(platform, func(t *testing.T) {
			feed, down := flakyFeed(t)
			b := newTestBot(t, feed.URL+"/rss/?token=S3CR3T")
			texts := b.fakeChat(platform).plainTexts
			var alertsCh, postsCh, deadCh string
			switch platform {
			case "slack":
				alertsCh, postsCh, deadCh = "C0ALERTS00", "C0POSTS000", slackDeadChannel
			case "discord":
				alertsCh, postsCh, deadCh = "100000000000000001", "100000000000000002", discordDeadChannel
			}
			b.vars["DIGESTBOT_ALERTS_CHANNEL"] = platform + ":" + alertsCh
			b.writeConfig(fmt.Sprintf("channels:\n  - {name: posts, platform: %s, id: %q, layout: combined}\n  - {name: dead, platform: %s, id: %q, layout: combined}\n",
				platform, postsCh, platform, deadCh))
			runOnce := func() string { // failing runs exit 1: what they say is checked
				t.Helper()
				_, _, stderr := b.cmd("run", "--once")
				return stderr
			}

			down.Store(true)
			runOnce()
			runOnce()
			if got := texts(alertsCh); len(got) != 0 {
				t.Fatalf("alerts after 2 failures: %q", got)
			}
			stderr := runOnce()
			got := texts(alertsCh)
			if len(got) != 1 || !strings.Contains(got[0], "failed 3 polls in a row") || !strings.Contains(got[0], "500") || !strings.Contains(got[0], "Next try") {
				t.Fatalf("after 3 failures: %q, want one alert with the error and the next try\n%s", got, stderr)
			}
			// The next 47 polls in one process, as `run` would make them.
			a := b.app()
			for range 47 {
				a.runOnce(context.Background())
			}
			a.close()
			if got := texts(alertsCh); len(got) != 1 {
				t.Fatalf("after 50 failures: %d alerts, want 1: %q", len(got), got)
			}

			// Recovery: one message; the posts go out, except to the dead
			// channel, which is given up with an alert naming digestbot retry.
			down.Store(false)
			stderr = runOnce()
			got = texts(alertsCh)
			if len(got) != 3 {
				t.Fatalf("after recovery: %d alerts, want 3 (feed works again, post given up): %q\n%s", len(got), got, stderr)
			}
			var works, givenUp string
			for _, s := range got[1:] {
				switch {
				case strings.Contains(s, "works again"):
					works = s
				case strings.Contains(s, "given up"):
					givenUp = s
				}
			}
			if works == "" || givenUp == "" || !strings.Contains(givenUp, "digestbot retry") {
				t.Fatalf("alerts %q: want 'works again' and a given-up post naming digestbot retry", got[1:])
			}
			if len(texts(postsCh)) == 0 {
				t.Errorf("nothing posted to the live channel")
			}
			for _, s := range got {
				if strings.Contains(s, "S3CR3T") {
					t.Errorf("alert shows the feed's token: %q", s)
				}
			}
			// The command the alert names is accepted.
			i := strings.Index(givenUp, "digestbot retry ")
			id := strings.Fields(strings.Trim(givenUp[i+len("digestbot retry "):], "`\\"))[0]
			id = strings.TrimRight(id, "`\\.")
			code, out, stderr := b.cmd("retry", id)
			if code != 0 || !strings.Contains(out, "will be sent again") {
				t.Fatalf("digestbot retry %s: exit %d %s %s", id, code, out, stderr)
			}
			code, _, stderr = b.cmd("retry", id)
			if code != 1 || !strings.Contains(stderr, "not failed") {
				t.Errorf("second retry of %s: exit %d %s", id, code, stderr)
			}
		})
	}
}
