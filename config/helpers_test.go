package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envMap returns an env lookup function over m.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeFile writes content to a new file in a temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadYAML loads content as a config file with env.
func loadYAML(t *testing.T, content string, env map[string]string) *Config {
	t.Helper()
	c, err := Load(writeFile(t, "digestbot.yaml", content), envMap(env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// problemsOf returns the Problems in a Validate error.
func problemsOf(t *testing.T, err error) []*Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []*Problem
	for _, e := range list {
		var p *Problem
		if !errors.As(e, &p) {
			t.Fatalf("Validate returned %T %q, want *Problem", e, e)
		}
		out = append(out, p)
	}
	return out
}

// findProblem returns the problem about key whose text holds want, or nil.
func findProblem(ps []*Problem, key, want string) *Problem {
	for _, p := range ps {
		if p.Key == key && strings.Contains(p.Error(), want) {
			return p
		}
	}
	return nil
}
