package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
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
