package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"digestbot/config"
)

// TestConfigCheckAndRunAgree: for every bad setting, `config check` and
// `run --once` both refuse, and both name the key's environment variable;
// for a good one both accept.
func TestConfigCheckAndRunAgree(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string // the variable both must name; "" when both accept
	}{
		{"quick start", nil, ""},
		{"discord webhook over http", map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "http://discord.com/api/webhooks/123456789012345678/tok"}, "DIGESTBOT_DISCORD_WEBHOOK_URL"},
		{"discord webhook on another host", map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "https://discord.example.org/api/webhooks/123456789012345678/tok"}, "DIGESTBOT_DISCORD_WEBHOOK_URL"},
		{"discord webhook with user info", map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "https://u:p@discord.com/api/webhooks/123456789012345678/tok"}, "DIGESTBOT_DISCORD_WEBHOOK_URL"},
		{"discord webhook without token", map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/123456789012345678"}, "DIGESTBOT_DISCORD_WEBHOOK_URL"},
		{"discord api url with user info", map[string]string{"DIGESTBOT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/123456789012345678/tok", "DIGESTBOT_DISCORD_API_URL": "https://u:p@discord.com/api/v10/"}, "DIGESTBOT_DISCORD_API_URL"},
		{"discord bot token with a space", map[string]string{"DIGESTBOT_DISCORD_BOT_TOKEN": "abc def", "DIGESTBOT_DISCORD_CHANNEL_ID": "123456789012345678"}, "DIGESTBOT_DISCORD_BOT_TOKEN"},
		{"discord public key not hex", map[string]string{"DIGESTBOT_DISCORD_PUBLIC_KEY": "xyz", "DIGESTBOT_DISCORD_APP_ID": "123456789012345678", "DIGESTBOT_DISCORD_COMMANDS": "http", "DIGESTBOT_HTTP_ADDR": "127.0.0.1:0"}, "DIGESTBOT_DISCORD_PUBLIC_KEY"},
		{"slack token with a space", map[string]string{"DIGESTBOT_SLACK_BOT_TOKEN": "xoxb-123 456", "DIGESTBOT_SLACK_CHANNEL": "C0123ABCD"}, "DIGESTBOT_SLACK_BOT_TOKEN"},
		{"slack token with a line break", map[string]string{"DIGESTBOT_SLACK_BOT_TOKEN": "xoxb-123\n456", "DIGESTBOT_SLACK_CHANNEL": "C0123ABCD"}, "DIGESTBOT_SLACK_BOT_TOKEN"},
		{"slack signing secret with a space", map[string]string{"DIGESTBOT_SLACK_SIGNING_SECRET": "abc def", "DIGESTBOT_SLACK_COMMANDS": "http", "DIGESTBOT_HTTP_ADDR": "127.0.0.1:0"}, "DIGESTBOT_SLACK_SIGNING_SECRET"},
		{"slack api url not http", map[string]string{"DIGESTBOT_SLACK_API_URL": "ftp://slack.example/api/"}, "DIGESTBOT_SLACK_API_URL"},
		{"keyword DSN taken as a SQLite file", map[string]string{"DIGESTBOT_DB": "host=db user=bot password=pw dbname=digest"}, "DIGESTBOT_DB"},
		{"in-memory SQLite", map[string]string{"DIGESTBOT_DB": ":memory:"}, "DIGESTBOT_DB"},
		{"SQLite URI", map[string]string{"DIGESTBOT_DB": "file:bot.db?mode=ro"}, "DIGESTBOT_DB"},
		{"mysql URL", map[string]string{"DIGESTBOT_DB": "mysql://u:p@db/x"}, "DIGESTBOT_DB"},
		{"feed URL scheme", map[string]string{"DIGESTBOT_FEED_URL": "ftp://example.org/rss"}, "DIGESTBOT_FEED_URL"},
		{"log format", map[string]string{"DIGESTBOT_LOG_FORMAT": "xml"}, "DIGESTBOT_LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := quickstart(t)
			for k, v := range tt.vars {
				vars[k] = v
			}
			checkCode, _, checkErr := digestbot(t, vars, "config", "check")
			runCode, _, runErr := digestbot(t, vars, "run", "--once")
			if tt.want == "" {
				if checkCode != 0 || runCode != 0 {
					t.Fatalf("config check exit %d, run exit %d; want both 0:\n%s\n%s", checkCode, runCode, checkErr, runErr)
				}
				return
			}
			if checkCode != 1 || !strings.Contains(checkErr, tt.want) || strings.Contains(checkErr, "configuration OK") {
				t.Errorf("config check: exit %d, want 1 naming %s:\n%s", checkCode, tt.want, checkErr)
			}
			if runCode != 1 || !strings.Contains(runErr, tt.want) {
				t.Errorf("run --once: exit %d, want 1 naming %s:\n%s", runCode, tt.want, runErr)
			}
		})
	}
}

func TestLogFormatAuto(t *testing.T) {
	cfg := config.Default()
	var buf bytes.Buffer
	newLogger(cfg, &buf).Info("hello")
	if !strings.HasPrefix(buf.String(), "{") {
		t.Errorf("auto on a pipe: %q, want JSON", buf.String())
	}
	buf.Reset()
	cfg.LogFormat = "text"
	newLogger(cfg, &buf).Info("hello")
	if !strings.HasPrefix(buf.String(), "time=") {
		t.Errorf("text: %q", buf.String())
	}
	if f, err := os.Open(os.DevNull); err == nil {
		if isTerminal(f) {
			t.Errorf("%s taken for a terminal", os.DevNull)
		}
		f.Close()
	}
}
