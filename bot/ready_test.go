package bot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

// countsStore answers DeliveryCounts with err, and reports whether the
// probe had a deadline of at most 2 s.
type countsStore struct {
	err         error
	hadDeadline bool
}

func (s *countsStore) DeliveryCounts(ctx context.Context) (map[bot.DeliveryState]int, error) {
	dl, ok := ctx.Deadline()
	s.hadDeadline = ok && time.Until(dl) <= 2*time.Second
	return map[bot.DeliveryState]int{}, s.err
}

// The readiness rule: not before start or while stopping, not while the
// store refuses writes (with the reason and what to do), not when the
// store does not answer its probe (the reason for the caller, the
// store's error for the log only), and ready otherwise.
func TestReadiness(t *testing.T) {
	ctx := context.Background()
	started := false
	st := &countsStore{}
	var logs bytes.Buffer
	alerts := &bot.Alerts{}
	r := &bot.Readiness{Started: func() bool { return started }, Store: st, Alerts: alerts,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}

	if got := r.NotReady(ctx); got != "starting or stopping" {
		t.Errorf("before start: %q", got)
	}
	started = true
	if got := r.NotReady(ctx); got != "" {
		t.Errorf("started, store fine: %q, want ready", got)
	}
	if !st.hadDeadline {
		t.Error("the store probe had no deadline of 2 s")
	}

	alerts.StoreFailed(ctx, errors.New("sqlite: save issue: database or disk is full (13)"))
	if got := r.NotReady(ctx); got != "the database refuses writes: "+bot.ReasonNoSpace+": "+bot.HintNoSpace {
		t.Errorf("store refusing writes: %q", got)
	}
	alerts.StoreOK(ctx)

	st.err = errors.New("pq: connection refused to postgres://digest:s3cret@db/digest")
	if got := r.NotReady(ctx); got != "database unavailable" {
		t.Errorf("store down: %q", got)
	}
	if !strings.Contains(logs.String(), "readiness_failed") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("log = %q, want readiness_failed without the password", logs.String())
	}

	st.err = nil
	if got := (&bot.Readiness{Store: st}).NotReady(ctx); got != "" {
		t.Errorf("no Started, no Alerts, no Logger: %q, want ready", got)
	}
}
