package slack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/bot"
)

// memSeen is a bot.SeenStore in memory, shared by handlers as the
// database is across a restart.
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

// TestCommandReplayRefusedAfterRestart: a signed command accepted by one
// handler is refused by a new one (a restart, another replica) sharing
// the store.
func TestCommandReplayRefusedAfterRestart(t *testing.T) {
	var calls atomic.Int32
	seen := &memSeen{}
	newHandler := func() *CommandHandler {
		return NewCommandHandler(CommandOptions{
			SigningSecret: testSecret,
			Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { calls.Add(1) }),
			Now:           func() time.Time { return testNow },
			Seen:          seen,
		})
	}
	body := commandBody("latest", "")
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		rec := httptest.NewRecorder()
		newHandler().ServeHTTP(rec, signedRequest(testSecret, testNow, body))
		if rec.Code != want {
			t.Errorf("process %d: status %d, want %d", i, rec.Code, want)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
}
