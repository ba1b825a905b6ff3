package bot

import (
	"strings"
	"testing"
)

// RetryState: a failed post sent once is edited, one never sent is
// published; anything but a failed post is refused, naming its state.
func TestRetryState(t *testing.T) {
	if s, err := RetryState(StateFailed, ""); err != nil || s != StatePending {
		t.Errorf("failed, never sent: %q, %v; want pending", s, err)
	}
	if s, err := RetryState(StateFailed, "C1:123.456"); err != nil || s != StateSent {
		t.Errorf("failed, sent once: %q, %v; want sent (edited)", s, err)
	}
	for _, st := range []DeliveryState{StatePending, StateSent, StateRemoved} {
		if _, err := RetryState(st, ""); err == nil || !strings.Contains(err.Error(), string(st)+", not failed") {
			t.Errorf("%s: %v, want an error saying it is not failed", st, err)
		}
	}
}
