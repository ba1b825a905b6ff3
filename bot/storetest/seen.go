package storetest

import (
	"testing"
	"time"

	"digestbot/bot"
)

// testSeen: a request key is new once, seen until it expires, and new
// again after (SeenStore, when the store implements it).
func testSeen(t *testing.T, open opener) {
	s := open(t)
	ss, ok := s.(bot.SeenStore)
	if !ok {
		t.Skip("the store does not implement bot.SeenStore")
	}
	until := t0.Add(5 * time.Minute)
	for i, c := range []struct {
		key  string
		now  time.Time
		want bool
	}{
		{"slack:aa", t0, false},
		{"slack:aa", t0.Add(time.Minute), true},
		{"discord:aa", t0.Add(time.Minute), false},
		{"slack:aa", until.Add(time.Second), false}, // expired: forgotten
	} {
		seen, err := ss.SeenRequest(ctx, c.key, until, c.now)
		if err != nil {
			t.Fatal(err)
		}
		if seen != c.want {
			t.Errorf("#%d SeenRequest(%s) = %v, want %v", i, c.key, seen, c.want)
		}
		if c.now.After(until) {
			until = c.now.Add(5 * time.Minute)
		}
	}
}
