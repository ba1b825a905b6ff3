package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"digestbot/bot"
)

// redacted is what a set secret prints as.
const redacted = "[redacted]"

// Secret is a credential: a token, a signing secret, a webhook URL. Every
// way of printing it (fmt, JSON, YAML, slog) shows "[redacted]" when it is
// set and "" when it is empty; only Value returns the real text.
type Secret string

// Value returns the secret itself, for the code that must send it.
func (s Secret) Value() string { return string(s) }

// String returns "[redacted]" when s is set and "" when it is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// MarshalJSON writes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML writes the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText writes the redacted form (encoding.TextMarshaler users such
// as slog's text handler and flag printing).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// DSN is the database address: a SQLite file path, or a postgres:// or
// postgresql:// URL that may carry a password. It prints with the password
// masked; Value returns the real text.
type DSN string

// Value returns the address itself, for the code that opens the database.
func (d DSN) Value() string { return string(d) }

// IsPostgres reports whether the address selects PostgreSQL.
func (d DSN) IsPostgres() bool {
	s := strings.ToLower(string(d))
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// String returns the address with any password masked (URL or keyword
// form), by bot.RedactDSN.
func (d DSN) String() string { return bot.RedactDSN(string(d)) }

// GoString keeps %#v from printing the password.
func (d DSN) GoString() string { return fmt.Sprintf("config.DSN(%q)", d.String()) }

// MarshalJSON writes the masked form.
func (d DSN) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MarshalYAML writes the masked form.
func (d DSN) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the masked form.
func (d DSN) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// LogValue makes slog print the masked form.
func (d DSN) LogValue() slog.Value { return slog.StringValue(d.String()) }

// Duration is a time.Duration written as "5m", "90s" or "1h30m" in YAML
// and in environment variables.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d without trailing zero units: "5m", "90s" → "1m30s", "1h".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// parseDuration reads a duration such as "5m" or "90s".
func parseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 5m, 90s or 1h30m", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML reads a duration such as "5m" or "90s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 5m or 90s", n.Line)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes d as "5m".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes d as "5m".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
