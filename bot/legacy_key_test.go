package bot

import "testing"

// TestLegacyDeliveryKey: the key of a post before post keys (0003) is the
// one 0002-era digestbot sent with, and the one leads still use.
func TestLegacyDeliveryKey(t *testing.T) {
	is := &Issue{Feed: "https://digest.example.org/rss/", GUID: "g-41"}
	if got, want := legacyDeliveryKey(is, "team", PartLead, 0), deliveryKey(is, "team", KeyLead); got != want {
		t.Errorf("legacy lead key %s, deliveryKey %s: want them equal (a lead in flight across the upgrade)", got, want)
	}
	// Computed with DeliveryKey of bot/publish.go at 07008cb^ (before 0003).
	if got, want := legacyDeliveryKey(is, "team", PartRoundup, 1), "dged7fea6a4ff739de091d3b"; got != want {
		t.Errorf("legacy roundup key = %s, want %s", got, want)
	}
	in := func(d Delivery) bool { return legacyInFlight(&d) }
	old := Delivery{Part: PartRoundup, Item: 1, State: StatePending, Attempts: 1}
	if !in(old) {
		t.Error("a roundup delivery attempted, unconfirmed and without a hash is from before 0003")
	}
	for name, d := range map[string]Delivery{
		"hashed (attempted since)": {Part: PartRoundup, State: StatePending, Attempts: 1, TryHash: "h"},
		"sent":                     {Part: PartRoundup, State: StateSent, Attempts: 1, Ref: "m1"},
		"never attempted":          {Part: PartRoundup, State: StatePending},
		"lead":                     {Part: PartLead, State: StatePending, Attempts: 1},
		"given up":                 {Part: PartRoundup, State: StateFailed, Attempts: 5},
	} {
		if in(d) {
			t.Errorf("%s: taken for a pre-0003 attempt", name)
		}
	}
}
