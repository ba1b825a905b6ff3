package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"digestbot/adapters/ghost"
	"digestbot/adapters/websub"
	"digestbot/bot"
	"digestbot/feeds"
)

// buildPush wires push on publish: the Pusher that processes recorded
// events and the Ghost webhook route. Stores without bot.PushStore get
// neither.
func (a *app) buildPush(fetcher *feeds.Fetcher, pubs map[string]bot.Publisher, chans []bot.Channel) {
	ps, ok := a.store.(bot.PushStore)
	if !ok {
		return
	}
	a.pushWake = make(chan struct{}, 1)
	pushes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "digestbot_push_requests_total",
		Help: "Ghost webhook and WebSub content requests by source (ghost, websub) and result: accepted, ignored, unauthorized, replay, too_large, bad_request, bad_signature, unusable, store_error.",
	}, []string{"source", "result"})
	a.registry.MustRegister(pushes)
	a.poller.Pushes = ps
	a.pusher = &bot.Pusher{
		Store: a.store, Pushes: ps, Poller: a.poller, Owner: a.poller.Owner, Logger: a.log,
		Queued: func() { a.notify(); a.service.ArchiveChanged() },
	}
	if w, ok := a.store.(interface {
		WithdrawIssue(ctx context.Context, feed, guid string) error
	}); ok {
		a.pusher.Withdraw = w.WithdrawIssue
	}
	if name := a.cfg.EditorsChannel; name != "" {
		for _, ch := range chans {
			if ch.ID == name && pubs[ch.Platform] != nil {
				pp := &bot.PreviewPoster{Channel: ch, Publisher: pubs[ch.Platform]}
				a.pusher.Preview = pp.Post
			}
		}
	}

	a.routes = map[string]http.Handler{}
	if ws, ok := a.store.(bot.WebSubStore); ok && a.cfg.PublicURL != "" {
		var urls []string
		for _, p := range a.poller.Feeds {
			urls = append(urls, p.URL)
		}
		a.websub = &websub.Manager{
			Store: ws, Feeds: urls, PublicURL: a.cfg.PublicURL,
			Discover: func(ctx context.Context, feed string) (websub.Hub, error) {
				h, err := fetcher.DiscoverHub(ctx, feed)
				return websub.Hub{Hub: h.Hub, Topic: h.Topic}, err
			},
			Request: fetcher.HubRequest, Parse: fetcher.ParseFeed,
			Record: a.pusher.Accept, Notify: a.pushNotify,
			Logger:  a.log.With(slog.String("component", "websub")),
			Observe: func(r string) { pushes.WithLabelValues("websub", r).Inc() },
		}
		a.routes[websub.Path] = a.websub // GET (verification of intent) and POST (content)
	}

	var sites []ghost.Site
	for _, p := range a.poller.Feeds {
		if s := a.cfg.GhostCredentials(p.URL).WebhookSecret; s != "" {
			sites = append(sites, ghost.Site{Feed: p.URL, Secret: s.Value()})
		}
	}
	if len(sites) == 0 {
		return
	}
	a.routes["POST "+ghost.Path] = &ghost.Handler{
		Sites:  sites,
		Legacy: a.cfg.Ghost.LegacySignatures,
		Build: func(feed string, p ghost.Post) (*bot.Issue, error) {
			is, err := fetcher.GhostIssue(feed, feeds.GhostPost(p))
			return &is, err
		},
		Record:  a.pusher.Accept,
		Notify:  a.pushNotify,
		Logger:  a.log.With(slog.String("component", "ghost")),
		Observe: func(r string) { pushes.WithLabelValues("ghost", r).Inc() },
	}
}

// pushNotify wakes the push processing without blocking.
func (a *app) pushNotify() {
	select {
	case a.pushWake <- struct{}{}:
	default:
	}
}
