package bot

import (
	"context"
	"log/slog"
	"time"
)

// readyProbe bounds the store query of a readiness check.
const readyProbe = 2 * time.Second

// Readiness is the rule of GET /readyz: the bot is ready when it has
// started and is not stopping, the store does not refuse writes (an open
// store incident, see Alerts.StoreFailed), and the store answers a small
// query within 2 s.
type Readiness struct {
	// Started reports that every component runs; nil: always.
	Started func() bool
	// Store is probed with DeliveryCounts.
	Store interface {
		DeliveryCounts(ctx context.Context) (map[DeliveryState]int, error)
	}
	Alerts *Alerts      // nil: no store incident is known
	Logger *slog.Logger // nil: discard
}

// NotReady returns why the bot is not ready, "" when it is. The reason is
// fit to show to whoever asks (a load balancer, an operator): the store's
// own error goes to the log only.
func (r *Readiness) NotReady(ctx context.Context) string {
	if r.Started != nil && !r.Started() {
		return "starting or stopping"
	}
	if re := r.Alerts.StoreError(); re != nil {
		return "the database refuses writes: " + re.Reason + ": " + re.Hint
	}
	ctx, cancel := context.WithTimeout(ctx, readyProbe)
	defer cancel()
	if _, err := r.Store.DeliveryCounts(ctx); err != nil {
		if r.Logger != nil {
			r.Logger.Warn("readiness_failed", slog.String("error", RedactText(err.Error())))
		}
		return "database unavailable"
	}
	return ""
}
