package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"digestbot/adapters/websub"
	"digestbot/bot"
	"digestbot/config"
)

// platform is what one chat platform adds to the bot: a publisher for its
// channels, HTTP routes for its commands, connections to keep open, and
// what to close once the HTTP server has stopped (commands still being
// answered).
type platform struct {
	name      string
	publisher bot.Publisher
	routes    map[string]http.Handler
	runners   []func(ctx context.Context) error
	closers   []func(ctx context.Context) error
}

// app is the running bot, built from the configuration.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	store    bot.Store
	poller   *bot.Poller
	outbox   *bot.Outbox
	service  *bot.Service
	metrics  *metrics
	registry *prometheus.Registry
	plats    []platform
	wake     chan struct{}
	// push on publish (push.go): nil when the store cannot keep events
	pusher   *bot.Pusher
	pushWake chan struct{}
	routes   map[string]http.Handler // patterns ("POST /ghost/webhook") beside the platforms' routes
	websub   *websub.Manager         // nil without public_url
	alerts   *bot.Alerts
	pollWake chan struct{} // a feed was subscribed from chat: poll it now
}

func buildApp(ctx context.Context, cfg *config.Config, e env, log *slog.Logger) (*app, error) {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	feedPlans, chans := cfg.Resolve()
	owner := replicaID(cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &app{
		cfg: cfg, log: log, store: st, registry: reg, metrics: newMetrics(reg),
		wake: make(chan struct{}, 1), pollWake: make(chan struct{}, 1),
	}
	fetcher := newFetcher(cfg, feedPlans, log)
	a.service = &bot.Service{Store: st, Feeds: feedPlans, Logger: log,
		Finder:     fetcher,
		Subscribed: func() { wakeUp(a.pollWake) },
		Shared:     a.notify, // a story shared with a button: post it now
		CanPost:    cfg.CanPostByID,
	}
	a.service.Mux().Observe(a.metrics.Commanded)

	a.plats, err = buildPlatforms(platformDeps{cfg: cfg, log: log, service: a.service}, e, chans)
	if err != nil {
		st.Close()
		return nil, err
	}
	pubs := map[string]bot.Publisher{}
	for _, p := range a.plats {
		if p.publisher != nil {
			pubs[p.name] = p.publisher
		}
	}
	a.alerts, err = buildAlerts(cfg, log, pubs, a.metrics)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.poller = &bot.Poller{
		Alerts: a.alerts,
		Store:  st, Source: fetcher, Feeds: feedPlans, Owner: owner,
		Logger: log, Observer: a.metrics,
		Queued:               func() { a.notify(); a.service.ArchiveChanged() },
		SubscriptionDefaults: bot.FeedPlan{Interval: cfg.Interval.D(), DeliverNewest: cfg.DeliverNewest, RespectTTL: cfg.RespectTTL},
	}
	a.outbox = &bot.Outbox{
		Store: st, Publishers: pubs, Channels: chans, Owner: owner, MaxAttempts: cfg.Outbox.MaxAttempts,
		Logger: log, Observer: a.metrics, Alerts: a.alerts,
	}
	a.buildPush(fetcher, pubs, chans)
	return a, nil
}

// notify wakes the outbox without blocking.
func (a *app) notify() { wakeUp(a.wake) }

// wakeUp wakes a loop waiting on ch without blocking.
func wakeUp(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// platformDeps is what every platform builder is given: a new chat
// platform adds one builder taking it.
type platformDeps struct {
	cfg     *config.Config
	log     *slog.Logger
	service *bot.Service // its Mux answers commands; it also completes search queries
}

// platformBuilders build the chat platforms; each returns nil when its
// platform is not configured.
var platformBuilders = []func(platformDeps) (*platform, error){buildSlack, buildDiscord}

// buildPlatforms builds the configured chat platforms, and the console
// when a channel prints to standard output.
func buildPlatforms(d platformDeps, e env, chans []bot.Channel) ([]platform, error) {
	used := map[string]bool{}
	for _, ch := range chans {
		used[ch.Platform] = true
	}
	var out []platform
	if used[config.PlatformConsole] {
		out = append(out, platform{name: config.PlatformConsole, publisher: consolePublisher(e)})
	}
	for _, build := range platformBuilders {
		p, err := build(d)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

func cmdRun(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "run", "[--once]")
	once := fs.Bool("once", false, "poll every feed once, deliver everything pending, and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	for _, w := range cfg.Warnings {
		log.Warn("config_deprecated_key", slog.String("warning", w))
	}
	a, err := buildApp(ctx, cfg, e, log)
	if err != nil {
		return err
	}
	defer a.store.Close()
	defer flushLog(log)
	if *once {
		return a.runOnce(ctx)
	}
	return a.serve(ctx)
}

// start registers the feeds, releases the leases of this host's dead
// replicas and records the first heartbeat, before any lease: a replica
// killed at once is still known, so a restart can release what it held.
func (a *app) start(ctx context.Context) error {
	if err := a.poller.Register(ctx); err != nil {
		return err
	}
	a.releaseDeadReplicas(ctx)
	if err := a.store.Heartbeat(ctx, a.poller.Owner, replicaInfo(), time.Now()); err != nil {
		a.log.Warn("heartbeat_failed", slog.Any("error", err))
	}
	return nil
}

// runOnce polls every feed once, due or not, and delivers what is pending.
func (a *app) runOnce(ctx context.Context) error {
	if err := a.start(ctx); err != nil {
		return err
	}
	var failed []error
	if a.pusher != nil {
		if _, err := a.pusher.ProcessDue(ctx); err != nil {
			failed = append(failed, err)
		}
	}
	polled, err := a.poller.PollAll(ctx)
	if err != nil {
		return err
	}
	failed = append(failed, polled...)
	stats, err := a.outbox.SendDue(ctx)
	if err != nil {
		return err
	}
	a.log.Info("run_once_done", slog.Int("sent", stats.Sent), slog.Int("edited", stats.Edited),
		slog.Int("retry", stats.Retried), slog.Int("failed", stats.Failed))
	if stats.Retried+stats.Failed > 0 {
		failed = append(failed, fmt.Errorf("%d posts will be retried and %d failed: see `digestbot status`", stats.Retried, stats.Failed))
	}
	return errors.Join(failed...)
}

// serve runs until ctx is cancelled: HTTP server, poller, outbox,
// heartbeat and the platforms' connections.
func (a *app) serve(ctx context.Context) error {
	if err := a.start(ctx); err != nil {
		return err
	}
	var ready atomic.Bool
	srv, ln, err := a.httpServer(&ready)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	start := func(name string, f func(ctx context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("component_stopped", slog.String("component", name), slog.Any("error", err))
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	if srv != nil {
		start("http", func(ctx context.Context) error {
			a.log.Info("http_listening", slog.String("addr", ln.Addr().String()))
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	hb := &bot.Heartbeat{Store: a.store, Owner: a.poller.Owner, Info: replicaInfo(), Logger: a.log, Alerts: a.alerts}
	start("heartbeat", hb.Run)
	start("poller", func(ctx context.Context) error { return a.poller.Run(ctx, a.pollWake) })
	start("outbox", func(ctx context.Context) error { return a.outbox.Run(ctx, a.wake, bot.DefaultPoll) })
	if a.pusher != nil {
		start("push", func(ctx context.Context) error { return a.pusher.Run(ctx, a.pushWake, 5*time.Second) })
	}
	if a.websub != nil {
		start("websub", func(ctx context.Context) error { return a.websub.Run(ctx, time.Hour) })
	}
	for _, p := range a.plats {
		for i, r := range p.runners {
			start(fmt.Sprintf("%s-%d", p.name, i), r)
		}
	}
	ready.Store(true)
	a.log.Info("digestbot_started", slog.String("version", version), slog.Int("feeds", len(a.poller.Feeds)),
		slog.Int("channels", len(a.outbox.Channels)), slog.String("replica", a.poller.Owner))

	<-ctx.Done()
	ready.Store(false)
	a.log.Info("digestbot_stopping", slog.Any("reason", context.Cause(ctx)))
	if srv != nil {
		// The server stops taking requests, then the commands it started
		// get the rest of the grace to finish their answers.
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), bot.ShutdownGrace)
		_ = srv.Shutdown(sctx)
		for _, p := range a.plats {
			for _, c := range p.closers {
				if err := c(sctx); err != nil {
					a.log.Warn("commands_cut_off", slog.String("platform", p.name), slog.Any("error", err))
				}
			}
		}
		scancel()
	}
	wg.Wait()
	a.log.Info("digestbot_stopped")
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// replicaInfo describes this process in the replicas table.
func replicaInfo() string {
	info := fmt.Sprintf("digestbot %s", version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		info += " " + bi.GoVersion
	}
	return info
}

// httpServer builds the server for /healthz, /readyz, /metrics and the
// platforms' routes; nil when http_addr is off.
func (a *app) httpServer(ready *atomic.Bool) (*http.Server, net.Listener, error) {
	addr := a.cfg.HTTPAddr
	if addr == "" || addr == "off" {
		return nil, nil, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	rd := &bot.Readiness{Started: ready.Load, Store: a.store, Alerts: a.alerts, Logger: a.log}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if why := rd.NotReady(r.Context()); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	for _, p := range a.plats {
		for path, h := range p.routes {
			mux.Handle("POST "+path, h)
		}
	}
	for pattern, h := range a.routes {
		mux.Handle(pattern, h)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("http_addr %s: %w (set DIGESTBOT_HTTP_ADDR to a free address, or off)", addr, err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	return srv, ln, nil
}

// cmdHealthcheck lets a distroless container check itself: exit 0 when
// /healthz answers 200.
func cmdHealthcheck(ctx context.Context, e env, args []string) error {
	url := "http://127.0.0.1:8080/healthz"
	if len(args) > 0 {
		url = args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
