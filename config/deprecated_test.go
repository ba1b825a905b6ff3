package config

import (
	"slices"
	"strings"
	"testing"
)

// TestDeprecatedBatch: outbox.batch does nothing since the reconciler; a
// file or an environment that still sets it loads and validates, with a
// warning naming the key and where it was set.
func TestDeprecatedBatch(t *testing.T) {
	c := loadYAML(t, "feed_url: https://x.org/rss\noutbox:\n  max_attempts: 4\n  batch: 20\n", nil)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Outbox.MaxAttempts != 4 {
		t.Errorf("outbox.max_attempts = %d, want 4 (the keys beside batch still read)", c.Outbox.MaxAttempts)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "outbox.batch is deprecated and ignored") || !strings.Contains(c.Warnings[0], c.Source) {
		t.Errorf("warnings = %q, want one about outbox.batch naming %s", c.Warnings, c.Source)
	}

	c = loadYAML(t, "feed_url: https://x.org/rss\n", map[string]string{"DIGESTBOT_OUTBOX_BATCH": "20"})
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "unset DIGESTBOT_OUTBOX_BATCH") {
		t.Errorf("warnings = %q, want one about DIGESTBOT_OUTBOX_BATCH", c.Warnings)
	}
	if u := UnknownEnv([]string{"DIGESTBOT_OUTBOX_BATCH=20"}); len(u) != 0 {
		t.Errorf("UnknownEnv = %q: the deprecated variable is warned about as such, not as a typo", u)
	}
	if slices.ContainsFunc(EnvVars(), func(v EnvVar) bool { return strings.Contains(v.Key, "batch") }) {
		t.Error("EnvVars lists outbox.batch: a deprecated key is not documented as a setting")
	}

	c = loadYAML(t, "feed_url: https://x.org/rss\n", nil)
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q without the key, want none", c.Warnings)
	}
}
