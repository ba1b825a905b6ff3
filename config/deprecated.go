package config

import "fmt"

// deprecatedKeys are keys that no longer do anything. A file or an
// environment that sets one still loads (a warning in Config.Warnings,
// nothing else); the key has no variable in EnvVars and no line in
// docs/configuration.md.
var deprecatedKeys = []struct {
	key, env string
	set      func(c *Config) bool // the file set it
	why      string
}{
	{
		key: "outbox.batch", env: EnvPrefix + "OUTBOX_BATCH",
		set: func(c *Config) bool { return c.Outbox.Batch != nil },
		why: "the outbox no longer takes posts in batches (each channel's worker sends its posts one after another under its lease)",
	},
}

// deprecatedSet returns a warning for each deprecated key the file or the
// environment sets.
func deprecatedSet(c *Config, env func(string) (string, bool)) []string {
	var out []string
	for _, d := range deprecatedKeys {
		if d.set(c) {
			out = append(out, fmt.Sprintf("%s is deprecated and ignored: %s; remove it from %s", d.key, d.why, c.Source))
		}
		if _, ok := env(d.env); ok {
			out = append(out, fmt.Sprintf("%s is deprecated and ignored: %s; unset %s", d.key, d.why, d.env))
		}
	}
	return out
}
