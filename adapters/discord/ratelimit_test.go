package discord

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

func leadMessage(is *bot.Issue, target string) bot.Message {
	return message(is, testChannel(target, ""), bot.Post{Issue: is, Part: bot.PartLead}, "")
}

const post = "channels/100/messages"

func TestRateLimits(t *testing.T) {
	limited := func(after, global string, times int) scripted {
		h := map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": after,
			"X-RateLimit-Bucket": "abc", "Retry-After": "2", "X-RateLimit-Scope": "user"}
		if global == "true" {
			h["X-RateLimit-Global"] = "true"
			h["X-RateLimit-Scope"] = "global"
		}
		return scripted{Method: "POST", Path: post, Times: times, Status: 429, Header: h,
			Body: `{"message":"You are being rate limited.","retry_after":` + after + `,"global":` + global + `}`}
	}
	tests := []struct {
		name       string
		maxRetries int
		scripts    []scripted
		wantPosts  int
		wantSleeps []time.Duration
		wantErr    func(error) bool
	}{
		{
			name: "429 then success", scripts: []scripted{limited("1.5", "false", 1)},
			wantPosts: 2, wantSleeps: []time.Duration{1501 * time.Millisecond},
		},
		{
			name: "global 429", scripts: []scripted{limited("0.25", "true", 1)},
			wantPosts: 2, wantSleeps: []time.Duration{251 * time.Millisecond},
		},
		{
			name: "Retry-After header without body",
			scripts: []scripted{{Method: "POST", Path: post, Status: 429,
				Header: map[string]string{"Retry-After": "3", "X-RateLimit-Scope": "shared"}}},
			wantPosts: 2, wantSleeps: []time.Duration{3001 * time.Millisecond},
		},
		{
			name: "retries exhausted", maxRetries: 2, scripts: []scripted{limited("1", "false", 5)},
			wantPosts: 3, wantSleeps: []time.Duration{1001 * time.Millisecond, 1001 * time.Millisecond},
			wantErr: func(err error) bool {
				var rl *bot.RateLimitError
				return errors.As(err, &rl) && rl.After == time.Second && !errors.Is(err, bot.ErrPermanent)
			},
		},
		{
			name: "wait longer than MaxRetryWait", scripts: []scripted{limited("3600", "true", 1)},
			wantPosts: 1,
			wantErr: func(err error) bool {
				d, ok := bot.RetryAfter(err)
				return ok && d == time.Hour
			},
		},
		{
			name: "no retries", maxRetries: -1, scripts: []scripted{limited("1", "false", 1)},
			wantPosts: 1,
			wantErr: func(err error) bool {
				_, ok := bot.RetryAfter(err)
				return ok
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(o *Options) { o.MaxRetries = tt.maxRetries })
			env.f.script(tt.scripts...)
			_, err := env.c.Publish(context.Background(), leadMessage(testIssue(), textChannel))
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("Publish error = %v (%T), not the one wanted", err, err)
			}
			if n := len(env.f.Requests("POST", post)); n != tt.wantPosts {
				t.Errorf("%d POSTs, want %d", n, tt.wantPosts)
			}
			if got := env.clock.Sleeps(); !slices.Equal(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
			if strings.Contains(env.logs.String(), testToken) {
				t.Error("logs contain the bot token")
			}
		})
	}
}

func TestGlobalLimitHoldsOtherRoutes(t *testing.T) {
	env := newEnv(t, nil)
	env.f.script(scripted{Method: "GET", Path: "channels/100", Status: 429,
		Header: map[string]string{"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
		Body:   `{"message":"You are being rate limited.","retry_after":2,"global":true}`})
	if _, err := env.c.Publish(context.Background(), leadMessage(testIssue(), textChannel)); err != nil {
		t.Fatal(err)
	}
	// The 429 on GET channels/100 closed every route for 2s: one wait,
	// then both the GET and the POST went through.
	if got := env.clock.Sleeps(); !slices.Equal(got, []time.Duration{2001 * time.Millisecond}) {
		t.Errorf("sleeps = %v, want [2.001s]", got)
	}
	if env.c.rest.limits.wait("POST "+post, env.clock.Now().Add(-time.Second)) == 0 {
		t.Error("the global limit was not recorded")
	}
}

func TestBucketsAreHonouredBeforeSending(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	for range 12 {
		is.Roundup = append(is.Roundup, is.Roundup[0])
	}
	publishIssue(t, env.c, is, testChannel(textChannel, bot.LayoutSeparate))
	if env.f.limited != 0 {
		t.Errorf("the fake refused %d requests: the client did not wait for its bucket", env.f.limited)
	}
	if len(env.clock.Sleeps()) == 0 {
		t.Error("16 posts at 5 per second went out without waiting")
	}
	if n := len(env.f.Messages(textChannel)); n != 16 {
		t.Errorf("%d messages, want 16", n)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		target    string
		script    *scripted
		permanent bool
		wantText  []string
	}{
		{name: "5xx", target: textChannel, script: &scripted{Method: "POST", Path: post, Status: 502, Body: "<html>bad gateway</html>"},
			wantText: []string{"HTTP 502", "post to channel 100"}},
		{name: "unknown channel", target: "999", permanent: true, wantText: []string{"10003", "invite"}},
		{name: "missing access", target: textChannel, permanent: true,
			script:   &scripted{Method: "POST", Path: post, Status: 403, Body: `{"message":"Missing Access","code":50001}`},
			wantText: []string{"50001", "invite it to the server"}},
		{name: "missing permissions", target: textChannel, permanent: true,
			script:   &scripted{Method: "POST", Path: post, Status: 403, Body: `{"message":"Missing Permissions","code":50013}`},
			wantText: []string{"50013", "Embed Links"}},
		{name: "invalid token", token: "wrong-token.abc", target: textChannel, permanent: true,
			wantText: []string{"HTTP 401", "DIGESTBOT_DISCORD_BOT_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(o *Options) {
				if tt.token != "" {
					o.BotToken = tt.token
				}
			})
			if tt.script != nil {
				env.f.script(*tt.script)
			}
			_, err := env.c.Publish(context.Background(), leadMessage(testIssue(), tt.target))
			if err == nil {
				t.Fatal("Publish succeeded")
			}
			if got := errors.Is(err, bot.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, tt.permanent, err)
			}
			if _, ok := bot.RetryAfter(err); ok {
				t.Errorf("%v reads as a rate limit", err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{testToken, "wrong-token.abc"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error contains the token: %v", err)
				}
			}
		})
	}
}

func TestNetworkErrorIsPlain(t *testing.T) {
	env := newEnv(t, nil)
	env.f.srv.Close()
	_, err := env.c.Publish(context.Background(), leadMessage(testIssue(), textChannel))
	if err == nil || errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("Publish to a closed server: %v, want a retryable error", err)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), env.f.srv.URL) {
		t.Errorf("error names the token or the full URL: %v", err)
	}
}

func TestRoutes(t *testing.T) {
	tests := []struct{ method, path, route, redacted string }{
		{"POST", "channels/100/messages", "POST channels/100/messages", "channels/100/messages"},
		{"PATCH", "channels/100/messages/123", "PATCH channels/100/messages/:id", "channels/100/messages/123"},
		{"POST", "webhooks/900/tok-EN", "POST webhooks/900/:token", "webhooks/900/***"},
		{"PATCH", "webhooks/900/tok/messages/@original", "PATCH webhooks/900/:token/messages/@original", "webhooks/900/***/messages/@original"},
		{"POST", "interactions/55/tok/callback", "POST interactions/:id/:token/callback", "interactions/55/***/callback"},
		{"GET", "guilds/500/threads/active", "GET guilds/500/threads/active", "guilds/500/threads/active"},
	}
	for _, tt := range tests {
		if got := routeOf(tt.method, tt.path); got != tt.route {
			t.Errorf("routeOf(%s %s) = %q, want %q", tt.method, tt.path, got, tt.route)
		}
		if got := redactPath(tt.path); got != tt.redacted {
			t.Errorf("redactPath(%s) = %q, want %q", tt.path, got, tt.redacted)
		}
	}
}

// TestBucketResetIsNotEarly: Discord rounds X-RateLimit-Reset-After to the
// millisecond, so a bucket that resets in 999.4 ms says "0.999". The client
// waits a millisecond more (not early, so no 429), and no more than that.
func TestBucketResetIsNotEarly(t *testing.T) {
	l := newLimiter()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", "0.999")
	h.Set("X-RateLimit-Bucket", "msg")
	l.update("POST "+post, h, now)
	if d := l.wait("POST "+post, now); d != time.Second {
		t.Errorf("waits %v for a bucket resetting in 0.999 s (rounded), want 1s", d)
	}
	if d := l.wait("POST channels/999/messages", now); d != 0 {
		t.Errorf("another channel's bucket waits %v, want none", d)
	}
}
