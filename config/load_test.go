package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	t.Chdir(t.TempDir()) // no digestbot.yaml here
	c, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"db", c.DB, DSN("digestbot.db")},
		{"http_addr", c.HTTPAddr, ":8080"},
		{"log_level", c.LogLevel, "info"},
		{"log_format", c.LogFormat, "auto"},
		{"replica_id", c.ReplicaID, ""},
		{"interval", c.Interval.D(), 5 * time.Minute},
		{"deliver_newest", c.DeliverNewest, 1},
		{"fetch_timeout", c.FetchTimeout.D(), 30 * time.Second},
		{"max_feed_bytes", c.MaxFeedBytes, int64(10 << 20)},
		{"outbox.max_attempts", c.Outbox.MaxAttempts, 12},
		{"slack.layout", c.Slack.Layout, "thread"},
		{"slack.commands", c.Slack.Commands, "off"},
		{"slack.api_url", c.Slack.APIURL, "https://slack.com/api/"},
		{"slack.replies", c.Slack.Replies, "ephemeral"},
		{"discord.layout", c.Discord.Layout, "thread"},
		{"discord.commands", c.Discord.Commands, "off"},
		{"discord.api_url", c.Discord.APIURL, "https://discord.com/api/v10/"},
		{"discord.replies", c.Discord.Replies, "ephemeral"},
		{"source", c.Source, ""},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadDefaultFileInWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, DefaultFile), []byte("feed_url: https://example.org/rss/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.FeedURL != "https://example.org/rss/" || c.Source != DefaultFile {
		t.Errorf("feed_url = %q, source = %q; want the file's feed from %s", c.FeedURL, c.Source, DefaultFile)
	}
}

func TestLoadMissingExplicitFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(p, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Errorf("Load(missing) error = %v, want ErrNotExist naming %s", err, p)
	}
}

func TestLoadYAML(t *testing.T) {
	c := loadYAML(t, `
db: /var/lib/digestbot/archive.db
http_addr: 127.0.0.1:9000
interval: 10m
deliver_newest: 0
markers: ["Also this week:", "In brief"]
outbox:
  max_attempts: 3
feeds:
  - url: https://news.example.org/rss/
    name: Example Weekly
    interval: 1h30m
    channels: [team]
    deliver_newest: 2
  - url: ./testdata/local.xml
channels:
  - name: team
    platform: slack
    id: C0123ABCD
    layout: combined
  - name: forum
    platform: discord
    id: "112233445566778899"
    forum: true
slack:
  bot_token: xoxb-from-file
discord:
  app_id: 998877665544332211
`, nil)
	if c.DB != "/var/lib/digestbot/archive.db" || c.HTTPAddr != "127.0.0.1:9000" || c.Interval.D() != 10*time.Minute || c.DeliverNewest != 0 {
		t.Errorf("top-level keys = %q %q %v %d, want the file's", c.DB, c.HTTPAddr, c.Interval, c.DeliverNewest)
	}
	if want := []string{"Also this week:", "In brief"}; !reflect.DeepEqual(c.Markers, want) {
		t.Errorf("markers = %q, want %q", c.Markers, want)
	}
	if c.Outbox.MaxAttempts != 3 {
		t.Errorf("outbox = %+v, want max_attempts from the file", c.Outbox)
	}
	if len(c.Feeds) != 2 {
		t.Fatalf("feeds = %d, want 2", len(c.Feeds))
	}
	f := c.Feeds[0]
	if f.Name != "Example Weekly" || f.Interval.D() != 90*time.Minute || !reflect.DeepEqual(f.Channels, []string{"team"}) || f.DeliverNewest == nil || *f.DeliverNewest != 2 {
		t.Errorf("feeds[0] = %+v, want the file's", f)
	}
	if c.Feeds[1].DeliverNewest != nil || c.Feeds[1].Interval != 0 {
		t.Errorf("feeds[1] = %+v, want unset interval and deliver_newest", c.Feeds[1])
	}
	if c.Channels[1].Layout != "thread" || !c.Channels[1].Forum {
		t.Errorf("channels[1] = %+v, want layout defaulted to thread, forum set", c.Channels[1])
	}
	if c.Slack.BotToken.Value() != "xoxb-from-file" {
		t.Errorf("slack.bot_token not read from the file")
	}
	if c.Discord.AppID != "998877665544332211" {
		t.Errorf("discord.app_id = %q, want the unquoted number as text", c.Discord.AppID)
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", "feed_url: https://x.org/rss\nintervall: 5m\n", []string{"line 2", "intervall"}},
		{"unknown nested key", "slack:\n  bot_token: x\n  token: y\n", []string{"line 3", "token"}},
		{"unknown feed key", "feeds:\n  - url: https://x.org/rss\n    every: 5m\n", []string{"line 3", "every"}},
		{"bad duration", "interval: soon\n", []string{"line 1", "5m"}},
		{"duration as list", "interval: [5]\n", []string{"line 1", "duration"}},
		{"bad int", "deliver_newest: many\n", []string{"line 1"}},
		{"two documents", "feed_url: a\n---\nfeed_url: b\n", []string{"line 2", "second YAML document"}},
		{"not YAML", "feed_url: [unclosed\n", []string{"yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "c.yaml", tc.yaml)
			_, err := Load(p, nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range append(tc.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadEmptyFile(t *testing.T) {
	c := loadYAML(t, "# only a comment\n", nil)
	if c.Interval.D() != 5*time.Minute {
		t.Errorf("interval = %v, want the default", c.Interval)
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	c := loadYAML(t, "interval: 10m\nslack:\n  layout: separate\n", map[string]string{
		"DIGESTBOT_INTERVAL":            "2m",
		"DIGESTBOT_SLACK_LAYOUT":        "combined",
		"DIGESTBOT_SLACK_BOT_TOKEN":     "xoxb-env",
		"DIGESTBOT_OUTBOX_MAX_ATTEMPTS": "7",
		"DIGESTBOT_DISCORD_FORUM":       "true",
		"DIGESTBOT_MAX_FEED_BYTES":      "2048",
		"DIGESTBOT_MARKERS":             " Also: , ,In brief ",
		"DIGESTBOT_HTTP_ADDR":           "",
	})
	checks := []struct {
		name      string
		got, want any
	}{
		{"interval", c.Interval.D(), 2 * time.Minute},
		{"slack.layout", c.Slack.Layout, "combined"},
		{"slack.bot_token", c.Slack.BotToken.Value(), "xoxb-env"},
		{"outbox.max_attempts", c.Outbox.MaxAttempts, 7},
		{"discord.forum", c.Discord.Forum, true},
		{"max_feed_bytes", c.MaxFeedBytes, int64(2048)},
		{"markers", strings.Join(c.Markers, "|"), "Also:|In brief"},
		{"http_addr (empty turns it off)", c.HTTPAddr, ""},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadEnvEmptyMeansDefault(t *testing.T) {
	c := loadYAML(t, "interval: 10m\nslack:\n  layout: separate\n", map[string]string{
		"DIGESTBOT_INTERVAL":     "", // empty number/duration: unset
		"DIGESTBOT_SLACK_LAYOUT": "", // empty string with a default: the default
	})
	if c.Interval.D() != 10*time.Minute {
		t.Errorf("interval = %v, want the file's 10m kept", c.Interval)
	}
	if c.Slack.Layout != "thread" {
		t.Errorf("slack.layout = %q, want the default thread", c.Slack.Layout)
	}
}

func TestLoadEnvBadValues(t *testing.T) {
	_, err := Load("", envMap(map[string]string{
		"DIGESTBOT_INTERVAL":       "5 minutes",
		"DIGESTBOT_DELIVER_NEWEST": "one",
		"DIGESTBOT_DISCORD_FORUM":  "yes please",
	}))
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	for _, w := range []string{"DIGESTBOT_INTERVAL", "DIGESTBOT_DELIVER_NEWEST", "DIGESTBOT_DISCORD_FORUM"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %s", err, w)
		}
	}
}

func TestLoadEnvFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		env     map[string]string
		check   func(*Config) bool
		wantErr []string
	}{
		{
			name:  "secret from file, trailing newline trimmed",
			env:   map[string]string{"DIGESTBOT_SLACK_BOT_TOKEN_FILE": write("tok", "xoxb-filed\n")},
			check: func(c *Config) bool { return c.Slack.BotToken.Value() == "xoxb-filed" },
		},
		{
			name:  "CRLF trimmed",
			env:   map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL_FILE": write("hook", "https://discord.com/api/webhooks/1/t\r\n")},
			check: func(c *Config) bool { return c.Discord.WebhookURL.Value() == "https://discord.com/api/webhooks/1/t" },
		},
		{
			name:  "plain string key from file",
			env:   map[string]string{"DIGESTBOT_DB_FILE": write("db", "postgres://u:p@db/x\n")},
			check: func(c *Config) bool { return c.DB.Value() == "postgres://u:p@db/x" },
		},
		{
			name:  "empty _FILE is unset",
			env:   map[string]string{"DIGESTBOT_SLACK_APP_TOKEN": "xapp-plain", "DIGESTBOT_SLACK_APP_TOKEN_FILE": ""},
			check: func(c *Config) bool { return c.Slack.AppToken.Value() == "xapp-plain" },
		},
		{
			name:  "empty plain value and a file: the file",
			env:   map[string]string{"DIGESTBOT_SLACK_APP_TOKEN": "", "DIGESTBOT_SLACK_APP_TOKEN_FILE": write("app", "xapp-filed")},
			check: func(c *Config) bool { return c.Slack.AppToken.Value() == "xapp-filed" },
		},
		{
			name:    "both set",
			env:     map[string]string{"DIGESTBOT_SLACK_BOT_TOKEN": "xoxb-SEKRET-plain", "DIGESTBOT_SLACK_BOT_TOKEN_FILE": write("tok2", "xoxb-SEKRET-file")},
			wantErr: []string{"DIGESTBOT_SLACK_BOT_TOKEN and DIGESTBOT_SLACK_BOT_TOKEN_FILE are both set"},
		},
		{
			name:    "missing file",
			env:     map[string]string{"DIGESTBOT_SLACK_SIGNING_SECRET_FILE": filepath.Join(dir, "absent")},
			wantErr: []string{"DIGESTBOT_SLACK_SIGNING_SECRET_FILE", "absent"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			c, err := Load("", envMap(tc.env))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("Load succeeded, want an error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "SEKRET") {
					t.Errorf("error %q shows a secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tc.check(c) {
				t.Errorf("value not read from the file: %s", c.Redacted())
			}
		})
	}
}

func TestLoadDerivedCommands(t *testing.T) {
	tests := []struct {
		name                   string
		env                    map[string]string
		wantSlack, wantDiscord string
	}{
		{"nothing", nil, "off", "off"},
		{"slack app token", map[string]string{"DIGESTBOT_SLACK_APP_TOKEN": "xapp-1", "DIGESTBOT_SLACK_SIGNING_SECRET": "s"}, "socket", "off"},
		{"slack signing secret", map[string]string{"DIGESTBOT_SLACK_SIGNING_SECRET": "s"}, "http", "off"},
		{"discord bot token", map[string]string{"DIGESTBOT_DISCORD_BOT_TOKEN": "t", "DIGESTBOT_DISCORD_PUBLIC_KEY": "k"}, "off", "gateway"},
		{"discord public key", map[string]string{"DIGESTBOT_DISCORD_PUBLIC_KEY": "k"}, "off", "http"},
		{"explicit wins", map[string]string{"DIGESTBOT_SLACK_APP_TOKEN": "xapp-1", "DIGESTBOT_SLACK_COMMANDS": "off", "DIGESTBOT_DISCORD_BOT_TOKEN": "t", "DIGESTBOT_DISCORD_COMMANDS": "http"}, "off", "http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			c, err := Load("", envMap(tc.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Slack.Commands != tc.wantSlack || c.Discord.Commands != tc.wantDiscord {
				t.Errorf("commands = slack %q, discord %q; want %q, %q", c.Slack.Commands, c.Discord.Commands, tc.wantSlack, tc.wantDiscord)
			}
		})
	}
}

func TestEnvVarsNaming(t *testing.T) {
	vars := EnvVars()
	seen := map[string]bool{}
	for _, v := range vars {
		if want := EnvPrefix + strings.ToUpper(strings.ReplaceAll(v.Key, ".", "_")); v.Name != want {
			t.Errorf("%s: name %s, want %s", v.Key, v.Name, want)
		}
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Help == "" {
			t.Errorf("%s has no help text", v.Key)
		}
	}
	for _, name := range []string{"DIGESTBOT_DB", "DIGESTBOT_FEED_URL", "DIGESTBOT_MARKERS", "DIGESTBOT_OUTBOX_MAX_ATTEMPTS", "DIGESTBOT_SLACK_BOT_TOKEN", "DIGESTBOT_DISCORD_WEBHOOK_URL", "DIGESTBOT_DISCORD_FORUM"} {
		if !seen[name] {
			t.Errorf("EnvVars lacks %s", name)
		}
	}
	for _, name := range []string{"DIGESTBOT_FEEDS", "DIGESTBOT_CHANNELS", "DIGESTBOT_SOURCE"} {
		if seen[name] {
			t.Errorf("EnvVars lists %s, which only the file sets", name)
		}
	}
	secrets := map[string]bool{}
	for _, v := range vars {
		if v.Secret {
			secrets[v.Key] = true
		}
	}
	want := map[string]bool{"db": true, "slack.bot_token": true, "slack.signing_secret": true, "slack.app_token": true, "discord.bot_token": true, "discord.webhook_url": true,
		"ghost.webhook_secret": true, "ghost.content_api_key": true}
	if !reflect.DeepEqual(secrets, want) {
		t.Errorf("secret keys = %v, want %v", secrets, want)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"PATH=/bin",
		"DIGESTBOT_SLACK_BOT_TOKEN=x",
		"DIGESTBOT_SLACK_BOT_TOKEN_FILE=/x",
		"DIGESTBOT_SLACK_TOKEN=x",
		"DIGESTBOT_INTERVAL_FILE=/x", // only string keys have _FILE
		"DIGESTBOT_CONFIG=/etc/d.yaml",
	}, "DIGESTBOT_CONFIG")
	want := []string{"DIGESTBOT_INTERVAL_FILE", "DIGESTBOT_SLACK_TOKEN"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownEnv = %q, want %q", got, want)
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"",
		"feed_url: https://example.org/rss/\n",
		"feeds:\n  - url: https://x.org/rss\n    channels: [a]\nchannels:\n  - name: a\n    platform: slack\n    id: C0123ABCD\n",
		"interval: 90s\noutbox: {max_attempts: 0}\n",
		"slack: {bot_token: xoxb-1, channel: C1, commands: http}\n",
		"discord: {webhook_url: 'https://discord.com/api/webhooks/1/t', forum: true}\n",
		"a: &a [*a]\n",
		"feeds: [{deliver_newest: -1}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := load(b, "fuzz.yaml", nil)
		if err != nil {
			return
		}
		_ = c.Validate()
		c.Resolve()
		_ = c.Redacted()
	})
}
