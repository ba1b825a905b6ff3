package config

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated table in ../docs/configuration.md")

const (
	docPath     = "../docs/configuration.md"
	docBegin    = "<!-- BEGIN GENERATED TABLE: go test ./config -run TestConfigurationDoc -update -->\n"
	docEnd      = "<!-- END GENERATED TABLE -->\n"
	examplePath = "../digestbot.example.yaml"
)

// envTable renders EnvVars as the Markdown table of docs/configuration.md.
func envTable() string {
	var b strings.Builder
	b.WriteString("| Key | Environment variable | Type | Default | Meaning |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, f := range fields() {
		def := "`" + f.Default + "`"
		if f.Default == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", f.Key, f.Name, typeName(f), def, strings.ReplaceAll(f.Help, "|", `\|`))
	}
	return b.String()
}

func typeName(f field) string {
	switch {
	case f.typ == dsnType:
		return "text (password masked)"
	case f.Secret:
		return "secret"
	case f.typ == durationType:
		return "duration"
	case f.typ.Kind() == reflect.Slice:
		return "list"
	case f.typ.Kind() == reflect.Bool:
		return "true/false"
	case f.typ.Kind() == reflect.String:
		return "text"
	}
	return "number"
}

func TestConfigurationDoc(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", docPath, docBegin, docEnd)
	}
	want := doc[:i+len(docBegin)] + envTable() + doc[j:]
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s's table is out of date: run go test ./config -run TestConfigurationDoc -update", docPath)
	}
	for _, v := range EnvVars() {
		if !strings.Contains(doc, "`"+v.Name+"`") {
			t.Errorf("%s does not mention %s", docPath, v.Name)
		}
	}
	// The list keys only a file sets are described by hand.
	for _, key := range []string{"feeds[].url", "feeds[].name", "feeds[].interval", "feeds[].channels", "feeds[].deliver_newest",
		"channels[].name", "channels[].platform", "channels[].id", "channels[].layout", "channels[].forum"} {
		if !strings.Contains(doc, "`"+key+"`") {
			t.Errorf("%s does not describe %s", docPath, key)
		}
	}
}

// TestListKeysDocumented keeps the hand-written list-key table in step with
// the Feed and Channel structs.
func TestListKeysDocumented(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	for prefix, typ := range map[string]reflect.Type{"feeds[].": reflect.TypeOf(Feed{}), "channels[].": reflect.TypeOf(Channel{})} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if !strings.Contains(string(b), "`"+prefix+name+"`") {
				t.Errorf("%s does not describe %s%s", docPath, prefix, name)
			}
		}
	}
}

func TestExampleConfig(t *testing.T) {
	env := map[string]string{
		"DIGESTBOT_SLACK_BOT_TOKEN":   "xoxb-" + secretMark + "-1",
		"DIGESTBOT_SLACK_APP_TOKEN":   "xapp-" + secretMark + "-2",
		"DIGESTBOT_DISCORD_BOT_TOKEN": secretMark + "-3",
	}
	c, err := Load(examplePath, envMap(env))
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(%s) = %v, want it valid with the secrets in the environment", examplePath, err)
	}
	feeds, chans := c.Resolve()
	if len(feeds) != 1 || feeds[0].URL != "https://newsletter.freedomcollaborative.org/rss/" {
		t.Errorf("feeds = %+v, want the Freedom Collaborative newsletter", feeds)
	}
	var platforms []string
	for _, ch := range chans {
		platforms = append(platforms, ch.Platform+"/"+string(ch.Layout))
	}
	if got := strings.Join(platforms, ","); got != "slack/thread,discord/thread" {
		t.Errorf("channels = %s, want one Slack and one Discord channel, thread layout", got)
	}
	if strings.Contains(c.Redacted(), secretMark) {
		t.Error("Redacted shows a secret")
	}

	// Without the secrets the example names each one that is missing.
	c, err = Load(examplePath, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	ps := problemsOf(t, c.Validate())
	for _, key := range []string{"slack.app_token", "slack.bot_token", "discord.bot_token"} {
		if findProblem(ps, key, "") == nil {
			t.Errorf("without secrets, no problem names %s: %v", key, ps)
		}
	}
}
