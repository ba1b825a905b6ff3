package discord

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

// A panicking command handler costs its own answer, never the process:
// the user is told, over HTTP and over the gateway, inline or after the
// answer was deferred.
func TestHandlerPanicIsAnswered(t *testing.T) {
	boom := bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { panic("handler bug") })

	t.Run("http, inline", func(t *testing.T) {
		env := newEndpoint(t, func(o *InteractionOptions) { o.Handler = boom })
		code, body := serve(env.h, signed(env.priv, env.now, commandBody("latest", "", "")))
		if code != 200 || body["type"] != float64(4) || !strings.Contains(fmt.Sprint(body["data"]), "Something went wrong") {
			t.Errorf("status %d body %v, want an inline error reply", code, body)
		}
	})

	t.Run("http, deferred", func(t *testing.T) {
		release := make(chan struct{})
		late := bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { <-release; panic("late bug") })
		env := newEndpoint(t, func(o *InteractionOptions) { o.Handler = late; o.InlineWait = time.Millisecond })
		_, body := serve(env.h, signed(env.priv, env.now, commandBody("latest", "", "")))
		if body["type"] != float64(5) {
			t.Fatalf("body %v, want a deferred answer", body)
		}
		close(release)
		edit := env.f.waitFor("PATCH", "webhooks/"+testAppID+"/itoken-secret/messages/@original")
		if !bytes.Contains(edit.Body, []byte("Something went wrong")) {
			t.Errorf("edit body = %s", edit.Body)
		}
		if err := env.h.(*InteractionHandler).Close(context.Background()); err != nil {
			t.Error(err)
		}
	})

	t.Run("gateway", func(t *testing.T) {
		env := newEnv(t, nil)
		identified := make(chan string, 1)
		serveGateway(t, env.f, commandBody("latest", "", ""), identified)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- env.c.RunGateway(ctx, GatewayOptions{Handler: boom}) }()
		cb := env.f.waitFor("POST", "interactions/7001/itoken-secret/callback")
		if !bytes.Contains(cb.Body, []byte("Something went wrong")) || !bytes.Contains(cb.Body, []byte(`"type":4`)) {
			t.Errorf("callback = %s, want an error reply", cb.Body)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if !strings.Contains(env.logs.String(), "handler bug") {
			t.Errorf("log lacks the panic: %s", env.logs.String())
		}
	})
}
