package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
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

// slackAlertsFake is a Slack Web API stand-in: chat.postMessage to C0DEAD0000
// answers channel_not_found; every message is recorded by channel.
type slackAlertsFake struct {
	mu   sync.Mutex
	msgs map[string][]string // channel → texts
	srv  *httptest.Server
}

func newSlackAlertsFake(t *testing.T) *slackAlertsFake {
	f := &slackAlertsFake{msgs: map[string][]string{}}
	var n atomic.Int64
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasSuffix(r.URL.Path, "chat.postMessage") {
			io.WriteString(w, `{"ok":true,"messages":[]}`)
			return
		}
		ch := r.FormValue("channel")
		if ch == "C0DEAD0000" {
			io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
			return
		}
		f.mu.Lock()
		f.msgs[ch] = append(f.msgs[ch], r.FormValue("text"))
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, ch, n.Add(1))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *slackAlertsFake) texts(ch string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs[ch]...)
}

// discordAlertsFake is a Discord REST stand-in with rate-limit headers:
// channel 100000000000000666 is unknown; messages are recorded by channel.
type discordAlertsFake struct {
	mu   sync.Mutex
	msgs map[string][]string
	srv  *httptest.Server
}

func newDiscordAlertsFake(t *testing.T) *discordAlertsFake {
	f := &discordAlertsFake{msgs: map[string][]string{}}
	var n atomic.Int64
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "4")
		w.Header().Set("X-RateLimit-Reset-After", "1")
		w.Header().Set("X-RateLimit-Bucket", "b")
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v10/"), "/")
		if len(parts) < 2 || parts[0] != "channels" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"404: Not Found","code":0}`)
			return
		}
		ch := parts[1]
		if ch == "100000000000000666" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Unknown Channel","code":10003}`)
			return
		}
		switch {
		case r.Method == http.MethodGet && len(parts) == 2:
			fmt.Fprintf(w, `{"id":%q,"type":0}`, ch)
		case r.Method == http.MethodGet:
			io.WriteString(w, `[]`)
		case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
			var body struct {
				Content string `json:"content"`
				Embeds  []struct {
					Title string `json:"title"`
				} `json:"embeds"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			text := body.Content
			if text == "" && len(body.Embeds) > 0 {
				text = "embed: " + body.Embeds[0].Title
			}
			f.mu.Lock()
			f.msgs[ch] = append(f.msgs[ch], text)
			f.mu.Unlock()
			fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), ch)
		default:
			fmt.Fprintf(w, `{"id":"%d","channel_id":%q}`, 900000000000000000+n.Add(1), ch)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *discordAlertsFake) texts(ch string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs[ch]...)
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
			var texts func(string) []string
			var alertsCh, postsCh, deadCh string
			switch platform {
			case "slack":
				f := newSlackAlertsFake(t)
				texts = f.texts
				alertsCh, postsCh, deadCh = "C0ALERTS00", "C0POSTS000", "C0DEAD0000"
				b.chat(platform, f.srv.URL)
			case "discord":
				f := newDiscordAlertsFake(t)
				texts = f.texts
				alertsCh, postsCh, deadCh = "100000000000000001", "100000000000000002", "100000000000000666"
				b.chat(platform, f.srv.URL)
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
