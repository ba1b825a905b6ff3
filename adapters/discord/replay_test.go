package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"sync"
	"testing"
	"time"
)

// memSeen is a bot.SeenStore in memory, shared by handlers as a database
// would be across a restart.
type memSeen struct {
	mu   sync.Mutex
	keys map[string]time.Time
}

func (m *memSeen) SeenRequest(_ context.Context, key string, until, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]time.Time{}
	}
	if u, ok := m.keys[key]; ok && !u.Before(now) {
		return true, nil
	}
	m.keys[key] = until
	return false, nil
}

// TestInteractionReplayRefused: the same signed interaction sent twice is
// answered once, also by a new handler (a restart) sharing the store.
func TestInteractionReplayRefused(t *testing.T) {
	seen := &memSeen{}
	env := newEndpoint(t, func(o *InteractionOptions) { o.Seen = seen })
	body := commandBody("latest", "", "")
	first := signed(env.priv, env.now, body)
	if code, _ := serve(env.h, first); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	again := signed(env.priv, env.now, body) // same timestamp and body: same signature
	if code, _ := serve(env.h, again); code != 401 {
		t.Errorf("replay: %d, want 401", code)
	}
	// A restart: a new handler with the same key and store.
	restarted, err := NewInteractionHandler(InteractionOptions{PublicKey: publicKeyHex(env), Handler: env.calls, Now: func() time.Time { return env.now }, APIURL: env.f.APIURL(), Seen: seen})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := serve(restarted, signed(env.priv, env.now, body)); code != 401 {
		t.Errorf("replay after a restart: %d, want 401", code)
	}
	if n := len(env.calls.Commands()); n != 1 {
		t.Errorf("the handler ran %d times, want 1", n)
	}
	// A new request (new timestamp) is fine.
	if code, _ := serve(restarted, signed(env.priv, env.now.Add(time.Second), body)); code != 200 {
		t.Errorf("a new request: %d, want 200", code)
	}
}

func publicKeyHex(env endpointEnv) string {
	return hex.EncodeToString(env.priv.Public().(ed25519.PublicKey))
}
