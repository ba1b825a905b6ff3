package config

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Redacted returns the settings as YAML, secrets shown as "[redacted]" and
// the database password masked: what `digestbot config check` prints.
func (c *Config) Redacted() string {
	var b bytes.Buffer
	if c.Source != "" {
		fmt.Fprintf(&b, "# from %s and the environment\n", c.Source)
	} else {
		b.WriteString("# from defaults and the environment (no config file)\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		// Encoding a Config cannot fail: every field is a plain value.
		fmt.Fprintf(&b, "# cannot encode: %v\n", err)
	}
	_ = enc.Close()
	return b.String()
}
