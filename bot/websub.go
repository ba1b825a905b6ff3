package bot

import (
	"context"
	"time"
)

// HubSubscription is one WebSub subscription: the bot asked Hub to send
// fresh copies of Topic (the feed Feed) to its callback /websub/<ID>,
// signed with Secret.
type HubSubscription struct {
	ID         string // random, the last path element of the callback URL
	Feed       string // the configured feed
	Hub        string
	Topic      string
	Secret     string // HMAC key for X-Hub-Signature; never logged
	State      string // "subscribing", "active", "unsubscribing"
	LeaseUntil time.Time
	UpdatedAt  time.Time
}

// HubSubscription states.
const (
	SubSubscribing   = "subscribing"   // requested, the hub has not verified it yet
	SubActive        = "active"        // verified; LeaseUntil says until when
	SubUnsubscribing = "unsubscribing" // the feed left the configuration
)

// WebSubStore keeps WebSub subscriptions. adapters/sqlite and
// adapters/postgres implement it; bot/storetest checks both.
type WebSubStore interface {
	// SaveHubSubscription inserts or replaces the subscription with s.ID.
	SaveHubSubscription(ctx context.Context, s HubSubscription) error
	// HubSubscription returns one subscription by ID, or ErrNotFound.
	HubSubscription(ctx context.Context, id string) (HubSubscription, error)
	// HubSubscriptions returns every subscription, ordered by Feed then ID.
	HubSubscriptions(ctx context.Context) ([]HubSubscription, error)
	// DeleteHubSubscription removes one; unknown IDs are not an error.
	DeleteHubSubscription(ctx context.Context, id string) error
}
