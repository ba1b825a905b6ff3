package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Upgrades from before migration 0003 (the reconciler): deliveries whose
// idempotency key still follows the item's position.

// legacyInFlight reports whether d is a roundup post attempted before
// migration 0003 and never confirmed. Its idempotency key then followed
// the item's position (legacyDeliveryKey), not its identity (PostKey), so
// a message that attempt made carries the old key and only a lookup of
// the old key finds it. 0003 keeps such a row's attempts and item index
// and clears its content hash (TryHash), which every later attempt sets:
// attempted, unconfirmed and without a hash means from before 0003. The
// reconciler keeps the hash empty and the index until the post is sent.
// (`digestbot retry` of such a post sets its attempts to 0 and so loses
// the mark: its retry looks for the new key.)
//
// A given-up (failed) one is not in flight: see legacyGivenUp.
func legacyInFlight(d *Delivery) bool {
	return legacyAttempt(d) && d.State == StatePending
}

// legacyGivenUp reports whether d is a roundup post attempted before 0003
// (or after it, under its pre-0003 key) and given up. Its TryHash is empty,
// so no content can match it: it stays given up, whatever the target's
// reconciliation, until `digestbot retry` makes it pending again.
func legacyGivenUp(d *Delivery) bool {
	return legacyAttempt(d) && d.State == StateFailed
}

func legacyAttempt(d *Delivery) bool {
	return d != nil && d.Part == PartRoundup && d.Ref == "" && d.TryHash == "" && d.Attempts > 0
}

// legacyDeliveryKey is the idempotency key of a post before post keys
// (migration 0003): by part and position. deliveryKey still gives it for
// a lead or a combined roundup (item 0).
func legacyDeliveryKey(is *Issue, channel string, part Part, item int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d", is.Feed, is.GUID, channel, part, item)
	return "dg" + hex.EncodeToString(h.Sum(nil))[:22]
}
