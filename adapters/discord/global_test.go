package discord

import (
	"testing"
	"time"
)

// TestGlobalLimitSpreadsBursts: at most 50 requests start in any second,
// whatever their routes, so 50 channels bursting together meet no global
// 429.
func TestGlobalLimitSpreadsBursts(t *testing.T) {
	l := newLimiter()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		if d := l.wait("POST channels/"+string(rune('a'+i%26))+"/messages", now); d != 0 {
			t.Fatalf("request %d waits %v, want none (50 a second are allowed)", i+1, d)
		}
	}
	if d := l.wait("POST channels/z/messages", now.Add(300*time.Millisecond)); d != 700*time.Millisecond {
		t.Errorf("51st request waits %v, want 700ms (until the first leaves the window)", d)
	}
	if d := l.wait("POST channels/y/messages", now.Add(2*time.Second)); d != 0 {
		t.Errorf("a request two seconds later waits %v, want none", d)
	}
}
