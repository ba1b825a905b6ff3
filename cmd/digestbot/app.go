package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"digestbot/adapters/console"
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

// newLogger sets up slog as configured: JSON or text on stderr.
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
	if strings.ToLower(cfg.LogFormat) == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
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

// plan turns the configuration into the bot's feeds and channels.
func plan(cfg *config.Config) ([]bot.FeedPlan, []bot.Channel) {
	cfeeds, cchans := cfg.Resolve()
	byName := map[string]bot.Channel{}
	chans := make([]bot.Channel, 0, len(cchans))
	for _, c := range cchans {
		ch := bot.Channel{ID: c.Name, Platform: c.Platform, Target: c.ID, Layout: bot.Layout(c.Layout)}
		byName[c.Name] = ch
		chans = append(chans, ch)
	}
	plans := make([]bot.FeedPlan, 0, len(cfeeds))
	for _, f := range cfeeds {
		p := bot.FeedPlan{URL: f.URL, Name: f.Name, Interval: f.Interval, DeliverNewest: f.DeliverNewest}
		for _, name := range f.Channels {
			if ch, ok := byName[name]; ok {
				p.Channels = append(p.Channels, ch)
			}
		}
		plans = append(plans, p)
	}
	return plans, chans
}

// newFetcher builds the feed fetcher from the configuration.
func newFetcher(cfg *config.Config, log *slog.Logger) *feeds.Fetcher {
	ua := cfg.UserAgent
	if ua == "" {
		ua = feeds.UserAgent(version)
	}
	return feeds.NewFetcher(feeds.Options{
		UserAgent: ua,
		Timeout:   cfg.FetchTimeout.D(),
		MaxBytes:  cfg.MaxFeedBytes,
		Markers:   cfg.Markers,
		Logger:    log,
	})
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
