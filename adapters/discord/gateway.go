package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// GatewayOptions configure Client.RunGateway.
type GatewayOptions struct {
	// Handler answers the commands, usually a *bot.Mux. Required.
	Handler bot.Handler
	// Suggester completes "/digest search" queries; nil for none.
	Suggester Suggester
	// InChannel makes replies visible to everyone in the channel; by
	// default only the user who typed the command sees them (ephemeral).
	InChannel bool
	// InlineWait is how long the handler may take before the interaction
	// is deferred (default 2s; Discord allows 3s).
	InlineWait time.Duration
}

// RunGateway connects to Discord's gateway with the bot token and answers
// /digest interactions as they arrive, until ctx ends; then it closes the
// connection, waits for the handlers it started (up to bot.ShutdownGrace)
// and returns nil. The gateway's address comes from the REST API's
// /gateway (through Options.APIURL), so tests can serve both.
func (c *Client) RunGateway(ctx context.Context, o GatewayOptions) error {
	if c.rest.token == "" {
		return errors.New("discord: the gateway needs a bot token: set DIGESTBOT_DISCORD_BOT_TOKEN, or use DIGESTBOT_DISCORD_COMMANDS=http")
	}
	if o.Handler == nil {
		return errors.New("discord: gateway needs a command handler")
	}
	sess, err := discordgo.New("Bot " + c.rest.token)
	if err != nil {
		return fmt.Errorf("discord: gateway session: %w", redactErr(err, c.rest.token))
	}
	sess.Client = c.discordgoClient()
	sess.ShouldRetryOnRateLimit = false
	sess.StateEnabled = false
	sess.Identify.Intents = 0 // interactions need no intents
	sess.LogLevel = discordgo.LogError

	x := newInteractions(o.Handler, o.Suggester, o.InChannel, o.InlineWait, c.rest, "", c.log)
	var (
		mu      sync.Mutex
		stopped bool
		running sync.WaitGroup
	)
	remove := sess.AddHandler(func(_ *discordgo.Session, ev *discordgo.InteractionCreate) {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		running.Add(1)
		mu.Unlock()
		defer running.Done()
		c.gatewayInteraction(ctx, x, ev.Interaction)
	})
	defer remove()

	if err := sess.Open(); err != nil {
		return fmt.Errorf("discord: open gateway: %w", redactErr(err, c.rest.token))
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "discord_gateway_connected")
	<-ctx.Done()
	closeErr := sess.Close()
	mu.Lock()
	stopped = true
	mu.Unlock()
	running.Wait()
	_ = bot.CloseWithin(context.WithoutCancel(ctx), x.replies, bot.ShutdownGrace)
	if closeErr != nil {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "discord_gateway_close_failed",
			slog.Any("error", redactErr(closeErr, c.rest.token)))
	}
	return nil
}

// gatewayInteraction answers one interaction from the gateway: the same
// logic as the HTTP endpoint, the initial response sent by REST.
func (c *Client) gatewayInteraction(ctx context.Context, x *interactions, i *discordgo.Interaction) {
	if i == nil {
		return
	}
	_ = x.serve(ctx, i, func(ctx context.Context, resp *response) error {
		err := c.rest.do(ctx, call{method: http.MethodPost, path: "interactions/" + i.ID + "/" + i.Token + "/callback",
			body: resp, interaction: true, what: "answer interaction " + i.ID}, nil)
		if err != nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "discord_interaction_answer_failed",
				slog.String("interaction", i.ID), slog.Any("error", err))
		}
		return err
	})
}

// discordgoClient is the HTTP client discordgo's session uses: ours, with
// requests to discord.com's API sent to Options.APIURL instead (discordgo's
// endpoints are fixed at start-up).
func (c *Client) discordgoClient() *http.Client {
	if c.rest.base == discordgo.EndpointAPI {
		return c.rest.hc
	}
	next := c.rest.hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc := *c.rest.hc
	hc.Transport = &rewriteTransport{from: discordgo.EndpointAPI, to: c.rest.base, next: next}
	return &hc
}

// rewriteTransport sends requests for one URL prefix to another.
type rewriteTransport struct {
	from, to string
	next     http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := req.URL.String()
	if !strings.HasPrefix(s, t.from) {
		return t.next.RoundTrip(req)
	}
	u, err := url.Parse(t.to + strings.TrimPrefix(s, t.from))
	if err != nil {
		return nil, fmt.Errorf("discord: rewrite request URL: %w", err)
	}
	r := req.Clone(req.Context())
	r.URL, r.Host = u, u.Host
	return t.next.RoundTrip(r)
}
