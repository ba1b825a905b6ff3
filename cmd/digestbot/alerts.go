package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"digestbot/bot"
	"digestbot/config"
)

// buildAlerts wires alerts_channel to its platform's publisher, which must
// implement bot.Notifier. Without alerts_channel alerts are only logged and
// counted (and still drive /readyz).
func buildAlerts(cfg *config.Config, log *slog.Logger, pubs map[string]bot.Publisher, m *metrics) (*bot.Alerts, error) {
	a := &bot.Alerts{Logger: log, FailAfter: cfg.AlertsFailAfter, Observe: m.Incident}
	t, ok := cfg.AlertsTarget()
	if !ok {
		return a, nil
	}
	a.Channel = t
	n, ok := pubs[t.Platform].(bot.Notifier)
	if !ok {
		return nil, fmt.Errorf("alerts_channel (DIGESTBOT_ALERTS_CHANNEL) %q: %s is not configured to post: set its token", cfg.AlertsChannel, t.Platform)
	}
	a.Notifier = n
	return a, nil
}

// cmdRetry makes failed posts pending again, for the running bot (or the
// next `run --once`) to send.
func cmdRetry(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "retry", "ID...")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	var ids []int64
	for _, a := range fs.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not a delivery id: give the numbers `digestbot status` lists under DELIVERY, or an alert names", a)
		}
		ids = append(ids, id)
	}
	return withStore(ctx, e, *cfgPath, false, func(_ *config.Config, st bot.Store) error {
		var errs []error
		for _, id := range ids {
			err := st.RetryDelivery(ctx, id, time.Now())
			switch {
			case errors.Is(err, bot.ErrNotFound):
				errs = append(errs, fmt.Errorf("delivery %d: no such post: `digestbot status` lists the failed ones", id))
			case err != nil:
				errs = append(errs, err)
			default:
				fmt.Fprintf(e.stdout, "delivery %d will be sent again by the running bot (or the next `digestbot run --once`)\n", id)
			}
		}
		return errors.Join(errs...)
	})
}
