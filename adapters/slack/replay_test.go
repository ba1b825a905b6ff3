package slack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/bot"
)

// seenElsewhere is a bot.SeenStore in which every signature has already
// been seen (by another process sharing the database). It keeps the keys
// it was asked about. bot.Replays itself is tested in bot/replay_test.go.
type seenElsewhere struct{ keys []string }

func (s *seenElsewhere) SeenRequest(_ context.Context, key string, _, _ time.Time) (bool, error) {
	s.keys = append(s.keys, key)
	return true, nil
}

// TestCommandReplayRefusedAfterRestart: a signed command that the Seen
// store has seen (accepted by a handler before a restart, or by another
// replica) is refused, asked under "slack:". The same handler refusing a
// replay is TestCommandReplayRefused.
func TestCommandReplayRefusedAfterRestart(t *testing.T) {
	var calls atomic.Int32
	seen := &seenElsewhere{}
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { calls.Add(1) }),
		Now:           func() time.Time { return testNow },
		Seen:          seen,
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("latest", "")))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status %d, want %d", rec.Code, http.StatusUnauthorized)
	}
	if calls.Load() != 0 {
		t.Errorf("handler called %d times, want 0", calls.Load())
	}
	if len(seen.keys) != 1 || !strings.HasPrefix(seen.keys[0], "slack:") {
		t.Errorf("store asked about %q, want one slack:<hex signature> key", seen.keys)
	}
}
