package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// EnvPrefix starts every environment variable digestbot reads.
const EnvPrefix = "DIGESTBOT_"

// FileSuffix ends the variant of a variable that names a file holding the
// value (DIGESTBOT_SLACK_BOT_TOKEN_FILE=/run/secrets/slack_bot_token).
const FileSuffix = "_FILE"

// EnvVar describes one environment variable.
type EnvVar struct {
	Name    string // DIGESTBOT_SLACK_BOT_TOKEN
	Key     string // slack.bot_token
	Secret  bool   // the value is a credential and is never printed
	File    bool   // Name+"_FILE" may name a file holding the value
	Default string // the value used when nothing sets it, as written in YAML
	Help    string // what the key means
}

// field is one scalar key of Config found by reflection.
type field struct {
	EnvVar
	index []int
	typ   reflect.Type
}

var (
	secretType   = reflect.TypeOf(Secret(""))
	durationType = reflect.TypeOf(Duration(0))
	dsnType      = reflect.TypeOf(DSN(""))
)

// fields lists every key that has an environment variable, in the order
// of the Config struct.
var fields = sync.OnceValue(func() []field {
	var out []field
	def := reflect.ValueOf(Default()).Elem()
	var walk func(t reflect.Type, index []int, path []string)
	walk = func(t reflect.Type, index []int, path []string) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !sf.IsExported() || sf.Tag.Get("deprecated") != "" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			p := append(append([]string(nil), path...), name)
			ft := sf.Type
			switch {
			case ft.Kind() == reflect.Struct && ft != durationType:
				walk(ft, idx, p)
				continue
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.String:
				continue // feeds and channels: file only
			}
			out = append(out, field{
				EnvVar: EnvVar{
					Name:    EnvPrefix + strings.ToUpper(strings.Join(p, "_")),
					Key:     strings.Join(p, "."),
					Secret:  ft == secretType || ft == dsnType,
					File:    ft.Kind() == reflect.String,
					Default: format(def.FieldByIndex(idx)),
					Help:    sf.Tag.Get("help"),
				},
				index: idx,
				typ:   ft,
			})
		}
	}
	walk(def.Type(), nil, nil)
	return out
})

// EnvVars lists every environment variable digestbot reads (not counting
// the _FILE variants, which EnvVar.File marks), in the order of Config.
func EnvVars() []EnvVar {
	fs := fields()
	out := make([]EnvVar, len(fs))
	for i, f := range fs {
		out[i] = f.EnvVar
	}
	return out
}

// envName returns the variable of a key, or "" when it has none.
func envName(key string) string {
	for _, f := range fields() {
		if f.Key == key {
			return f.Name
		}
	}
	return ""
}

// UnknownEnv returns the names in environ (KEY=value strings, as from
// os.Environ) that start with DIGESTBOT_ but are no variable of digestbot,
// typically typos; except lists names the caller reads itself, such as
// DIGESTBOT_CONFIG.
func UnknownEnv(environ []string, except ...string) []string {
	known := map[string]bool{}
	for _, e := range except {
		known[e] = true
	}
	for _, f := range fields() {
		known[f.Name] = true
		if f.File {
			known[f.Name+FileSuffix] = true
		}
	}
	for _, d := range deprecatedKeys {
		known[d.env] = true // Load warns about it
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// format writes a scalar value as it would appear in YAML.
func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case Secret:
		return x.String()
	case DSN:
		return x.String()
	case Duration:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v.Interface())
}

// applyEnv overrides c with every variable env has set, and returns every
// problem it met.
func applyEnv(c *Config, env func(string) (string, bool)) error {
	var errs []error
	root := reflect.ValueOf(c).Elem()
	for _, f := range fields() {
		val, ok := env(f.Name)
		if f.File {
			fileVal, err := readEnvFile(env, f.Name, ok && val != "")
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if fileVal != nil {
				val, ok = *fileVal, true
			}
		}
		if !ok {
			continue
		}
		if err := set(root.FieldByIndex(f.index), f.typ, val); err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", f.Name, err))
		}
	}
	return errors.Join(errs...)
}

// readEnvFile reads the file named by name+"_FILE", if that is set and not
// empty; plainSet says whether name itself holds a value too.
func readEnvFile(env func(string) (string, bool), name string, plainSet bool) (*string, error) {
	path, ok := env(name + FileSuffix)
	if !ok || path == "" {
		return nil, nil
	}
	if plainSet {
		return nil, fmt.Errorf("config: %s and %s%s are both set: keep one", name, name, FileSuffix)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		// The error names the path, never the content.
		return nil, fmt.Errorf("config: %s%s: %w", name, FileSuffix, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	return &s, nil
}

// set parses s into v, whose type is t. An empty value leaves numbers,
// durations and booleans unchanged (as if the variable were unset); it
// sets strings to "".
func set(v reflect.Value, t reflect.Type, s string) error {
	if t.Kind() == reflect.Slice { // markers
		var list []string
		for _, m := range strings.Split(s, ",") {
			if m = strings.TrimSpace(m); m != "" {
				list = append(list, m)
			}
		}
		v.Set(reflect.ValueOf(list))
		return nil
	}
	if t.Kind() == reflect.String {
		v.SetString(s)
		return nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	switch {
	case t == durationType:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(n)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment") // a new field type: extend set
	}
	return nil
}
