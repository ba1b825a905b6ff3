package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "xoxb-SEKRET-123"
	s := Secret(value)
	type holder struct {
		Token Secret `yaml:"token" json:"token"`
	}
	j, _ := json.Marshal(holder{s})
	y, _ := yaml.Marshal(holder{s})
	var logJSON, logText bytes.Buffer
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("m", slog.Any("token", s), slog.Any("holder", holder{s}))
	slog.New(slog.NewTextHandler(&logText, nil)).Info("m", slog.Any("token", s), slog.Any("holder", holder{s}))
	outputs := map[string]string{
		"%s":        fmt.Sprintf("%s", s),
		"%v":        fmt.Sprintf("%v", s),
		"%+v":       fmt.Sprintf("%+v", holder{s}),
		"%#v":       fmt.Sprintf("%#v", holder{s}),
		"%q":        fmt.Sprintf("%q", s),
		"json":      string(j),
		"yaml":      string(y),
		"slog json": logJSON.String(),
		"slog text": logText.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) || strings.Contains(out, "SEKRET") {
			t.Errorf("%s prints the secret: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s = %s, want [redacted] in it", name, out)
		}
	}
	if s.Value() != value {
		t.Errorf("Value() = %q, want the secret", s.Value())
	}
	if Secret("").String() != "" {
		t.Errorf("empty secret prints %q, want \"\"", Secret("").String())
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		dsn      DSN
		postgres bool
		want     string
	}{
		{"digestbot.db", false, "digestbot.db"},
		{"/var/lib/d.db", false, "/var/lib/d.db"},
		{"postgres://bot:SEKRET@db:5432/digest", true, "postgres://bot:xxxxx@db:5432/digest"},
		{"postgresql://bot@db/digest", true, "postgresql://bot@db/digest"},
		{"POSTGRES://db/digest?password=SEKRET&sslmode=require", true, "postgres://db/digest?password=xxxxx&sslmode=require"},
		{"postgres://bot:SEKRET@db:bad port/x", true, "postgres://bot:xxxxx@db:bad port/x"},
		{"host=db user=bot password=SEKRET", false, "host=db user=bot password=xxxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.dsn.IsPostgres(); got != tc.postgres {
				t.Errorf("IsPostgres = %v, want %v", got, tc.postgres)
			}
			if got := tc.dsn.String(); got != tc.want {
				t.Errorf("String = %q, want %q", got, tc.want)
			}
			j, _ := json.Marshal(tc.dsn)
			for _, out := range []string{fmt.Sprintf("%v|%#v|%s", tc.dsn, tc.dsn, j)} {
				if strings.Contains(out, "SEKRET") {
					t.Errorf("prints the password: %s", out)
				}
			}
			if tc.dsn.Value() != string(tc.dsn) {
				t.Errorf("Value = %q, want the address", tc.dsn.Value())
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"5m", 5 * time.Minute, "5m"},
		{"90s", 90 * time.Second, "1m30s"},
		{"1h", time.Hour, "1h"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"1h0m5s", time.Hour + 5*time.Second, "1h0m5s"},
		{"0", 0, "0s"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var v struct {
				D Duration `yaml:"d"`
			}
			if err := yaml.Unmarshal([]byte("d: "+tc.in), &v); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if v.D.D() != tc.want {
				t.Errorf("got %v, want %v", v.D.D(), tc.want)
			}
			if v.D.String() != tc.out {
				t.Errorf("String = %q, want %q", v.D.String(), tc.out)
			}
			y, _ := yaml.Marshal(v)
			if want := "d: " + tc.out + "\n"; string(y) != want {
				t.Errorf("yaml = %q, want %q", y, want)
			}
		})
	}
	var v struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 300"), &v); err == nil {
		t.Error("a bare number parsed as a duration, want an error asking for a unit")
	}
}
