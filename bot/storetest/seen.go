package storetest

import (
	"slices"
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

// testSeenBatch: SeenRequests answers each key as SeenRequest would, a key
// twice in one batch is seen the second time, and the two share one record
// (SeenBatchStore, when the store implements it).
func testSeenBatch(t *testing.T, open opener) {
	s := open(t)
	bs, ok := s.(bot.SeenBatchStore)
	if !ok {
		t.Skip("the store does not implement bot.SeenBatchStore")
	}
	ss := s.(bot.SeenStore)
	until := t0.Add(5 * time.Minute)
	if seen, err := ss.SeenRequest(ctx, "slack:old", until, t0); err != nil || seen {
		t.Fatalf("SeenRequest(slack:old) = %v, %v", seen, err)
	}
	got, err := bs.SeenRequests(ctx, []bot.SeenKey{
		{Key: "slack:a", Until: until},
		{Key: "slack:old", Until: until},
		{Key: "slack:a", Until: until},
		{Key: "discord:a", Until: until},
	}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, true, false}; !slices.Equal(got, want) {
		t.Errorf("SeenRequests = %v, want %v", got, want)
	}
	if seen, err := ss.SeenRequest(ctx, "slack:a", until, t0.Add(2*time.Minute)); err != nil || !seen {
		t.Errorf("SeenRequest(slack:a) after the batch = %v, %v; want seen", seen, err)
	}
	// Expired keys are new again.
	later := until.Add(time.Second)
	got, err = bs.SeenRequests(ctx, []bot.SeenKey{{Key: "slack:a", Until: later.Add(5 * time.Minute)}, {Key: "slack:old", Until: later.Add(5 * time.Minute)}}, later)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, false}; !slices.Equal(got, want) {
		t.Errorf("SeenRequests after expiry = %v, want %v", got, want)
	}
}
