package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"digestbot/adapters/console"
	"digestbot/adapters/postgres"
	"digestbot/adapters/sqlite"
	"digestbot/bot"
	"digestbot/config"
	"digestbot/feeds"
)

// loadConfig reads and validates the configuration.
func loadConfig(path string, e env) (*config.Config, error) {
	cfg, err := config.Load(path, e.lookup)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("the configuration has problems (run `digestbot config check` for the whole list):\n%w", err)
	}
	return cfg, nil
}

// newLogger sets up slog as configured: JSON or text on stderr (auto: text
// when w is a terminal), repeated warnings and errors logged once with a
// count (bot.DedupeHandler).
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(cfg.LogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(cfg.LogFormat) {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default: // auto
		if isTerminal(w) {
			h = slog.NewTextHandler(w, opts)
		} else {
			h = slog.NewJSONHandler(w, opts)
		}
	}
	return slog.New(bot.NewDedupeHandler(h, 5*time.Minute))
}

// isTerminal reports whether w is a terminal (a character device that is
// not /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// flushLog logs the counts of repeated records still held.
func flushLog(log *slog.Logger) {
	if d, ok := log.Handler().(*bot.DedupeHandler); ok {
		d.Flush(context.Background())
	}
}

// openStore opens the configured database.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (bot.Store, error) {
	if cfg.DB.IsPostgres() {
		return openPostgres(ctx, cfg, log)
	}
	st, err := sqlite.Open(ctx, cfg.DB.Value(), log)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.DB, err)
	}
	return st, nil
}

// openReadStore opens the configured database for reading only
// (sqlite.OpenReadOnly, postgres.OpenReadOnly).
func openReadStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (bot.Store, error) {
	if cfg.DB.IsPostgres() {
		return postgres.OpenReadOnly(ctx, cfg.DB.Value(), log)
	}
	return sqlite.OpenReadOnly(ctx, cfg.DB.Value(), log)
}

// newFetcher builds the feed fetcher from the configuration and its
// resolved feeds (cfg.Resolve), whose addresses the egress policy trusts
// as configured.
func newFetcher(cfg *config.Config, plans []bot.FeedPlan, log *slog.Logger) *feeds.Fetcher {
	ua := cfg.UserAgent
	if ua == "" {
		ua = feeds.UserAgent(version)
	}
	var configured []string
	for _, p := range plans {
		configured = append(configured, p.URL)
	}
	return feeds.NewFetcher(feeds.Options{
		UserAgent: ua,
		Timeout:   cfg.FetchTimeout.D(),
		MaxBytes:  cfg.MaxFeedBytes,
		Markers:   cfg.Markers,
		Feeds:     feedSplitOptions(cfg),
		Logger:    log,
		Egress: feeds.Egress{
			AllowPrivateFeeds: cfg.AllowPrivateFeeds,
			ConfiguredFeeds:   configured,
			AllowPrivateHosts: cfg.AllowPrivateHosts,
		},
	})
}

// feedSplitOptions returns each configured feed's split settings
// (feeds[].split, markers, drop), by URL.
func feedSplitOptions(cfg *config.Config) map[string]feeds.SplitOptions {
	m := map[string]feeds.SplitOptions{}
	for _, f := range cfg.Feeds {
		if f.Split != "" || len(f.Markers) > 0 || len(f.Drop) > 0 {
			m[f.URL] = feeds.SplitOptions{Mode: f.Split, Markers: f.Markers, Drop: f.Drop}
		}
	}
	return m
}

// replicaID names this process in leases and heartbeats.
func replicaID(cfg *config.Config) string {
	if cfg.ReplicaID != "" {
		return cfg.ReplicaID
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "digestbot"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// consolePublisher is used when a channel's platform is "console".
func consolePublisher(e env) bot.Publisher { return console.New(e.stdout) }
