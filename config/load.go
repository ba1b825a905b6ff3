package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// DefaultFile is read when Load is given no path and the file exists in
// the working directory.
const DefaultFile = "digestbot.yaml"

// Load builds the settings: Default, then the YAML file at path, then the
// environment as env reports it (os.LookupEnv in production; nil means
// none), then the defaults that depend on other keys (commands modes, and
// "" for a key with a default means that default, except http_addr).
//
// path "" reads DefaultFile if it exists and no file otherwise; a path
// that does not exist is an error. Unknown keys in the file are errors.
// Load does not validate: call Validate.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	if path == "" {
		if _, err := os.Stat(DefaultFile); err == nil {
			path = DefaultFile
		}
	}
	var b []byte
	if path != "" {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("config: %s does not exist: give the path of a YAML file, or none to use only the environment: %w", path, err)
			}
			return nil, fmt.Errorf("config: read %w", err)
		}
	}
	return load(b, path, env)
}

// load is Load once the file, if any, is read: b is its content and path
// its name, "" for none.
func load(b []byte, path string, env func(string) (string, bool)) (*Config, error) {
	c := Default()
	if path != "" {
		if err := decode(c, b); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		c.Source = path
	}
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	if err := applyEnv(c, env); err != nil {
		return nil, err
	}
	c.Warnings = deprecatedSet(c, env)
	c.derive()
	return c, nil
}

// decode reads one YAML document onto c, rejecting unknown keys.
func decode(c *Config, b []byte) error {
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	var extra yaml.Node
	if err := d.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return err
		}
		return fmt.Errorf("line %d: a second YAML document: keep the settings in one", extra.Line)
	}
	return nil
}

// derive fills the defaults that depend on other keys.
func (c *Config) derive() {
	// "" means the default for every string key that has one, so that
	// "layout:" in a file or DIGESTBOT_SLACK_LAYOUT= behave as unset.
	// http_addr is the exception: "" turns the HTTP server off.
	def := reflect.ValueOf(Default()).Elem()
	cur := reflect.ValueOf(c).Elem()
	for _, f := range fields() {
		if f.typ.Kind() != reflect.String || f.Key == "http_addr" {
			continue
		}
		if v := cur.FieldByIndex(f.index); v.String() == "" {
			v.Set(def.FieldByIndex(f.index))
		}
	}
	for i := range c.Channels {
		if c.Channels[i].Layout == "" {
			c.Channels[i].Layout = defaultLayout
		}
	}
	if c.Slack.Commands == "" {
		switch {
		case c.Slack.AppToken != "":
			c.Slack.Commands = CommandsSocket
		case c.Slack.SigningSecret != "":
			c.Slack.Commands = CommandsHTTP
		default:
			c.Slack.Commands = CommandsOff
		}
	}
	if c.Discord.Commands == "" {
		switch {
		case c.Discord.BotToken != "":
			c.Discord.Commands = CommandsGateway
		case c.Discord.PublicKey != "":
			c.Discord.Commands = CommandsHTTP
		default:
			c.Discord.Commands = CommandsOff
		}
	}
}
