package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"digestbot/bot"

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
	if err := enc.Encode(c.shown()); err != nil {
		// Encoding a Config cannot fail: every field is a plain value.
		fmt.Fprintf(&b, "# cannot encode: %v\n", err)
	}
	_ = enc.Close()
	return b.String()
}

// shown returns a copy of c fit to print: every URL in a plain setting
// (feed URLs, API URLs, the user agent…) goes through bot.RedactURL, so
// that credentials and query secrets outside the secret keys are not
// shown either. Secrets and the DSN print masked by their own types.
func (c *Config) shown() *Config {
	cp := *c
	cp.Feeds = append([]Feed(nil), c.Feeds...)
	cp.Channels = append([]Channel(nil), c.Channels...)
	cp.Markers = append([]string(nil), c.Markers...)
	redactStrings(reflect.ValueOf(&cp).Elem())
	return &cp
}

func redactStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			f := v.Field(i)
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if f.Kind() == reflect.String && f.Type() == reflect.TypeOf("") && strings.HasSuffix(name, "url") {
				f.SetString(bot.RedactURL(f.String()))
				continue
			}
			redactStrings(f)
		}
	case reflect.Slice:
		for i := range v.Len() {
			redactStrings(v.Index(i))
		}
	case reflect.String:
		if v.Type() == reflect.TypeOf("") && v.CanSet() {
			v.SetString(bot.RedactText(v.String()))
		}
	}
}
