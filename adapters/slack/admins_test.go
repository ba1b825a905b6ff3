package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

func TestIsWorkspaceAdmin(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/users.info" {
			http.NotFound(w, r)
			return
		}
		r.ParseForm()
		user := r.Form.Get("user")
		mu.Lock()
		calls[user]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch user {
		case "UADMIN":
			fmt.Fprint(w, `{"ok":true,"user":{"id":"UADMIN","name":"ana","is_admin":true}}`)
		case "UOWNER":
			fmt.Fprint(w, `{"ok":true,"user":{"id":"UOWNER","name":"ola","is_owner":true,"is_primary_owner":true}}`)
		case "UREADER":
			fmt.Fprint(w, `{"ok":true,"user":{"id":"UREADER","name":"rui"}}`)
		default:
			fmt.Fprint(w, `{"ok":false,"error":"missing_scope","needed":"users:read"}`)
		}
	}))
	t.Cleanup(srv.Close)
	clk := &fakeClock{now: time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)}
	c, err := New(Options{Token: testToken, APIURL: srv.URL + "/", Now: clk.Now, Sleep: clk.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for user, want := range map[string]bool{"UADMIN": true, "UOWNER": true, "UREADER": false} {
		for range 3 {
			got, err := c.IsWorkspaceAdmin(ctx, user)
			if err != nil || got != want {
				t.Errorf("IsWorkspaceAdmin(%s) = %v, %v; want %v", user, got, err, want)
			}
		}
		if calls[user] != 1 {
			t.Errorf("%s: users.info called %d times, want 1 (cached)", user, calls[user])
		}
	}
	// The cache expires.
	clk.now = clk.now.Add(adminTTL + time.Second)
	if _, err := c.IsWorkspaceAdmin(ctx, "UREADER"); err != nil || calls["UREADER"] != 2 {
		t.Errorf("after the TTL: err %v, %d calls, want 2", err, calls["UREADER"])
	}
	// A refusal from Slack is an error that names the scope, and no admin.
	if ok, err := c.IsWorkspaceAdmin(ctx, "UNOSCOPE"); ok || err == nil {
		t.Errorf("missing scope: %v, %v; want false and an error", ok, err)
	} else if want := "users:read"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// TestSignedSubscribeAdminFlag: /digest subscribe arrives through a signed
// POST /slack/commands and reaches the handler with Admin set from
// users.info (a fake Slack) or slack.admins, and unset for anyone else.
func TestSignedSubscribeAdminFlag(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		user := r.Form.Get("user")
		mu.Lock()
		asked[r.URL.Path+" "+user]++
		mu.Unlock()
		switch {
		case r.URL.Path != "/users.info":
			http.NotFound(w, r)
		case user == "UADMIN":
			writeAPI(w, map[string]any{"ok": true, "user": map[string]any{"id": user, "name": "ana", "is_admin": true}})
		default:
			writeAPI(w, map[string]any{"ok": true, "user": map[string]any{"id": user, "name": "rui"}})
		}
	}))
	t.Cleanup(api.Close)
	c, err := New(Options{Token: testToken, APIURL: api.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan bot.Command, 1)
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.WithAdmins(replyHandler(got), []string{"ULISTED"}, c.IsWorkspaceAdmin, nil),
		Now:           func() time.Time { return testNow },
		InlineWait:    time.Minute,
	})
	for _, tc := range []struct {
		user, text string
		admin      bool
	}{
		{"UADMIN", "subscribe https://news.example.org/rss thread", true},
		{"UREADER", "subscribe https://news.example.org/rss", false},
		{"ULISTED", "unsubscribe https://news.example.org/rss", true},
		{"UREADER", "search pier", false},
	} {
		form, _ := url.ParseQuery(commandBody(tc.text, "https://hooks.slack.com/commands/T1/1/abc"))
		form.Set("user_id", tc.user)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedRequest(testSecret, testNow, form.Encode()))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %q: status %d", tc.user, tc.text, rec.Code)
		}
		cmd := <-got
		name, args, _ := strings.Cut(tc.text, " ")
		if cmd.Name != name || cmd.Args != args || cmd.User != tc.user || cmd.Admin != tc.admin || cmd.Platform != "slack" {
			t.Errorf("%s %q reached the handler as %+v, want admin %v", tc.user, tc.text, cmd, tc.admin)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if asked["/users.info ULISTED"] != 0 || asked["/users.info UREADER"] != 1 {
		t.Errorf("users.info asked %v: want once for UREADER (cached; not for search), never for a listed admin", asked)
	}
}
