package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"digestbot/adapters/discord"
	"digestbot/adapters/postgres"
	"digestbot/adapters/slack"
	"digestbot/bot"
	"digestbot/config"
)

// buildSlack wires the Slack publisher and, as configured, the slash
// command endpoint (HTTP) or a Socket Mode connection. nil when Slack is
// not configured.
func buildSlack(deps platformDeps) (*platform, error) {
	s, log, mux := deps.cfg.Slack, deps.log, deps.service.Mux()
	if s.BotToken == "" && s.SigningSecret == "" {
		return nil, nil
	}
	p := &platform{name: config.PlatformSlack, routes: map[string]http.Handler{}}
	log = log.With(slog.String("component", "slack"))
	inChannel := s.Replies == config.RepliesInChannel
	var client *slack.Client
	if s.BotToken != "" {
		c, err := slack.New(slack.Options{Token: s.BotToken.Value(), APIURL: s.APIURL, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		client, p.publisher = c, c
	}
	var isAdmin bot.AdminCheck
	if client != nil {
		isAdmin = client.IsWorkspaceAdmin
	}
	handler := bot.WithAdmins(mux, s.Admins, isAdmin, log)
	switch s.Commands {
	case config.CommandsHTTP:
		h := slack.NewCommandHandler(slack.CommandOptions{
			SigningSecret: s.SigningSecret.Value(), Handler: handler, InChannel: inChannel, Logger: log,
			Seen: seenStore(deps),
		})
		p.routes["/slack/commands"] = h
		p.routes["/slack/interactions"] = h.Interactions() // Share buttons: same signature check and reply path
		p.closers = append(p.closers, h.Close)
	case config.CommandsSocket:
		if client == nil {
			return nil, fmt.Errorf("slack: Socket Mode needs slack.bot_token (DIGESTBOT_SLACK_BOT_TOKEN)")
		}
		opts := slack.SocketModeOptions{AppToken: s.AppToken.Value(), Handler: handler, InChannel: inChannel}
		p.runners = append(p.runners, func(ctx context.Context) error { return client.RunSocketMode(ctx, opts) })
	}
	return p, nil
}

// buildDiscord wires the Discord publisher (bot or webhook) and, as
// configured, the gateway or the HTTP interactions endpoint.
func buildDiscord(deps platformDeps) (*platform, error) {
	d, log, mux, svc := deps.cfg.Discord, deps.log, deps.service.Mux(), deps.service
	if d.BotToken == "" && d.WebhookURL == "" && d.PublicKey == "" {
		return nil, nil
	}
	p := &platform{name: config.PlatformDiscord, routes: map[string]http.Handler{}}
	log = log.With(slog.String("component", "discord"))
	inChannel := d.Replies == config.RepliesInChannel
	var client *discord.Client
	if d.BotToken != "" || d.WebhookURL != "" {
		c, err := discord.New(discord.Options{
			BotToken: d.BotToken.Value(), WebhookURL: d.WebhookURL.Value(), Forum: d.Forum,
			APIURL: d.APIURL, Logger: log,
		})
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		client, p.publisher = c, c
	}
	register := func(ctx context.Context) error {
		if client == nil || d.BotToken == "" || d.AppID == "" {
			return nil
		}
		if err := client.RegisterCommands(ctx, d.AppID, d.GuildID); err != nil {
			return fmt.Errorf("register /digest commands: %w", err)
		}
		log.Info("discord_commands_registered", slog.String("guild", d.GuildID))
		return nil
	}
	handler := bot.WithAdmins(mux, d.Admins, nil, log)
	switch d.Commands {
	case config.CommandsGateway:
		if client == nil {
			return nil, fmt.Errorf("discord: the gateway needs discord.bot_token (DIGESTBOT_DISCORD_BOT_TOKEN)")
		}
		p.runners = append(p.runners, func(ctx context.Context) error {
			if err := register(ctx); err != nil {
				return err
			}
			return client.RunGateway(ctx, discord.GatewayOptions{Handler: handler, Suggester: svc, InChannel: inChannel})
		})
	case config.CommandsHTTP:
		h, err := discord.NewInteractionHandler(discord.InteractionOptions{
			PublicKey: d.PublicKey, Handler: handler, Suggester: svc, InChannel: inChannel,
			Logger: log, APIURL: d.APIURL, AppID: d.AppID, Seen: seenStore(deps),
		})
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		p.routes["/discord/interactions"] = h
		p.closers = append(p.closers, h.Close)
		p.runners = append(p.runners, func(ctx context.Context) error {
			if err := register(ctx); err != nil {
				log.Warn("discord_register_failed", slog.Any("error", err))
			}
			<-ctx.Done()
			return nil
		})
	}
	return p, nil
}

func openPostgres(ctx context.Context, cfg *config.Config, log *slog.Logger) (bot.Store, error) {
	return postgres.Open(ctx, cfg.DB.Value(), log)
}

// seenStore is the store's memory of signed requests (replay refusal that
// survives restarts), or nil when the store has none.
func seenStore(deps platformDeps) bot.SeenStore {
	if deps.service == nil {
		return nil
	}
	ss, _ := deps.service.Store.(bot.SeenStore)
	return ss
}
