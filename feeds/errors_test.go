package feeds

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"12a", 0},
		{"-5", 0},
		{"1.5", 0},
		{"99999999999999999999999", 7 * 24 * time.Hour},
		{"700000", 7 * 24 * time.Hour},
		{"Thu, 20 Nov 2025 09:01:00 GMT", time.Minute},
		{"Thu, 20 Nov 2025 08:00:00 GMT", 0},
		{"soon", 0},
	} {
		if got := parseRetryAfter(tt.v, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
