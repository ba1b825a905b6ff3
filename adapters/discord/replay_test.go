package discord

import (
	"context"
	"strings"
	"testing"
	"time"
)

// seenElsewhere is a bot.SeenStore in which every signature has already
// been seen (by another process sharing the database). It keeps the keys
// it was asked about. bot.Replays itself is tested in bot/replay_test.go.
type seenElsewhere struct{ keys []string }

func (s *seenElsewhere) SeenRequest(_ context.Context, key string, _, _ time.Time) (bool, error) {
	s.keys = append(s.keys, key)
	return true, nil
}

// TestInteractionReplayRefused: the endpoint answers a signed interaction
// once; the same request again is refused, and a request its Seen store
// has seen (a restart, another replica) is refused too, asked under
// "discord:".
func TestInteractionReplayRefused(t *testing.T) {
	env := newEndpoint(t, nil)
	body := commandBody("latest", "", "")
	if code, _ := serve(env.h, signed(env.priv, env.now, body)); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	again := signed(env.priv, env.now, body) // same timestamp and body: same signature
	if code, _ := serve(env.h, again); code != 401 {
		t.Errorf("replay: %d, want 401", code)
	}
	if n := len(env.calls.Commands()); n != 1 {
		t.Errorf("the handler ran %d times, want 1", n)
	}

	seen := &seenElsewhere{}
	other := newEndpoint(t, func(o *InteractionOptions) { o.Seen = seen })
	if code, _ := serve(other.h, signed(other.priv, other.now, body)); code != 401 {
		t.Errorf("request the store has seen: %d, want 401", code)
	}
	if n := len(other.calls.Commands()); n != 0 {
		t.Errorf("the handler ran %d times for a request the store has seen, want 0", n)
	}
	if len(seen.keys) != 1 || !strings.HasPrefix(seen.keys[0], "discord:") {
		t.Errorf("store asked about %q, want one discord:<hex signature> key", seen.keys)
	}
}
