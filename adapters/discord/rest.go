package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"digestbot/bot"
)

// maxResponseBytes caps what is read of any REST answer.
const maxResponseBytes = 4 << 20

// userAgent follows Discord's required "DiscordBot ($url, $version)" form.
const userAgent = "DiscordBot (https://github.com/bwmarrin/discordgo, 0.29) digestbot"

// rest calls Discord's REST API: JSON in and out, the bot token when asked,
// rate-limit buckets and the global limit honoured before sending, 429s
// retried a bounded number of times on the injectable clock, and errors
// that never carry a token.
//
// discordgo's Session has its own REST client, but it sleeps with the real
// clock, retries 429s without a context and puts full URLs (webhook tokens
// included) into its errors; this one is small and does what we need.
type rest struct {
	base    string // API base URL, ending in "/"
	token   string // bot token without "Bot ", "" for webhook-only use
	hc      *http.Client
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	retries int           // 429 retries per call
	maxWait time.Duration // longest single wait before giving up with a RateLimitError
	log     *slog.Logger
	limits  *limiter
}

// call is one REST request.
type call struct {
	method string
	path   string     // relative to the API base, e.g. "channels/123/messages"
	query  url.Values // nil for none
	body   any        // JSON-encoded when non-nil
	auth   bool       // send the bot token
	what   string     // what is being done, for errors: "post to channel 123"
	// interaction marks an interaction's callback (interactions/{id}/
	// {token}/callback) or follow-up (webhooks/{application id}/{token}):
	// Discord does not bind these to the bot's global rate limit, so they
	// skip the global gate and a global 429's wait (the reply to a command
	// must reach Discord within 3 seconds, even while the outbox holds
	// every permit). Their route's bucket still applies.
	interaction bool
}

// do performs c and decodes the answer into out (when non-nil and there is
// a body). Errors: *bot.RateLimitError after the retries, *APIError for
// Discord's error answers (wrapped with bot.Permanent when no retry can
// help), plain errors for the network and 5xx.
func (r *rest) do(ctx context.Context, c call, out any) error {
	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return fmt.Errorf("discord: %s: encode request: %w", c.what, err)
		}
	}
	if c.auth && r.token == "" {
		return bot.Permanent(fmt.Errorf("discord: %s: needs a bot token: set DIGESTBOT_DISCORD_BOT_TOKEN", c.what))
	}
	route := routeOf(c.method, c.path)
	for attempt := 0; ; attempt++ {
		wait := r.limits.wait
		if c.interaction {
			wait = r.limits.waitRoute
		}
		if d := wait(route, r.now()); d > 0 {
			if d > r.maxWait {
				return &bot.RateLimitError{What: "discord: " + c.what, After: d}
			}
			if err := r.sleep(ctx, d); err != nil {
				return fmt.Errorf("discord: %s: waiting for rate limit: %w", c.what, err)
			}
		}
		var tk *ticket
		if !c.interaction {
			var prev *ticket
			tk, prev = r.limits.gate.take()
			if err := r.limits.gate.await(ctx, prev, r.now, r.sleep); err != nil {
				tk.abandon()
				return fmt.Errorf("discord: %s: waiting for the global rate limit: %w", c.what, err)
			}
			tk.start(r.now())
		}
		resp, body, err := r.send(ctx, c, payload)
		now := r.now()
		if tk != nil {
			tk.finish(now)
		}
		if err != nil {
			return fmt.Errorf("discord: %s: %w", c.what, err)
		}
		r.limits.update(route, resp.Header, now)
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			if out != nil && len(bytes.TrimSpace(body)) > 0 {
				if err := json.Unmarshal(body, out); err != nil {
					return fmt.Errorf("discord: %s: decode answer: %w", c.what, err)
				}
			}
			return nil
		case resp.StatusCode == http.StatusTooManyRequests:
			after, global, scope := parse429(resp.Header, body)
			r.limits.block(route, now.Add(after+headerPrecision), global)
			r.log.LogAttrs(ctx, slog.LevelWarn, "discord_rate_limited",
				slog.String("route", redactPath(route)), slog.Duration("retry_after", after),
				slog.Bool("global", global), slog.String("scope", scope), slog.Int("attempt", attempt))
			if attempt >= r.retries || after > r.maxWait {
				return &bot.RateLimitError{What: "discord: " + c.what, After: after}
			}
			if err := r.sleep(ctx, after+headerPrecision); err != nil {
				return fmt.Errorf("discord: %s: waiting for rate limit: %w", c.what, err)
			}
		default:
			return apiError(resp.StatusCode, body, c.what)
		}
	}
}

// send makes one HTTP round trip. Its errors name the request by its
// redacted path only: *url.Error would print the full URL.
func (r *rest) send(ctx context.Context, c call, payload []byte) (*http.Response, []byte, error) {
	target := r.base + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, target, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: bad request URL", c.method, redactPath(c.path))
	}
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth {
		req.Header.Set("Authorization", "Bot "+r.token)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("%s %s: %w", c.method, redactPath(c.path), redactErr(err, r.token))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read answer: %w", c.method, redactPath(c.path), redactErr(err, r.token))
	}
	return resp, data, nil
}

// parse429 reads how long a 429 asks to wait, from the JSON body's
// retry_after (seconds, fractional) or else the Retry-After header, and
// whether the limit is global.
func parse429(h http.Header, body []byte) (after time.Duration, global bool, scope string) {
	var b struct {
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	_ = json.Unmarshal(body, &b) // a missing body falls back to the headers
	secs := b.RetryAfter
	if secs <= 0 {
		secs, _ = strconv.ParseFloat(h.Get("Retry-After"), 64)
	}
	if secs <= 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
		secs = 1 // Discord always says; be safe when a proxy does not
	}
	secs = min(secs, 24*3600)
	scope = h.Get("X-RateLimit-Scope")
	global = b.Global || strings.EqualFold(h.Get("X-RateLimit-Global"), "true") || scope == "global"
	return time.Duration(secs * float64(time.Second)), global, scope
}

// routeOf names the rate-limit route of a request: the method and the path
// with minor ids and tokens replaced, major ids (channel, guild, webhook)
// kept, as Discord buckets them.
func routeOf(method, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch {
		case i == 2 && (segs[0] == "webhooks" || segs[0] == "interactions"):
			segs[i] = ":token"
		case prev == "channels" || prev == "guilds" || (i == 1 && segs[0] == "webhooks"):
			// major parameter: kept
		case isSnowflake(s):
			segs[i] = ":id"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

// redactPath hides the token in webhook and interaction paths
// ("webhooks/123/abc..." becomes "webhooks/123/***").
func redactPath(path string) string {
	method, p, hasMethod := strings.Cut(path, " ")
	if !hasMethod {
		p, method = path, ""
	}
	segs := strings.Split(p, "/")
	if len(segs) > 2 && (segs[0] == "webhooks" || segs[0] == "interactions") {
		segs[2] = "***"
	}
	out := strings.Join(segs, "/")
	if hasMethod {
		return method + " " + out
	}
	return out
}

// redactErr makes sure an error's text does not contain the bot token.
func redactErr(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "***"))
}

func isSnowflake(s string) bool {
	if len(s) < 1 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
