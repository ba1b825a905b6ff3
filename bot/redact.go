package bot

import (
	"net/url"
	"regexp"
	"strings"
)

// Masked is what a hidden secret shows as.
const Masked = "xxxxx"

// RedactURL returns raw fit to show anywhere (logs, errors, chat, metrics,
// `config check`): user information is replaced by "xxxxx", the values of
// query parameters that may be secrets (token, key, secret, password, sig,
// auth…, or a value that looks like a random token) by "xxxxx", the
// fragment is dropped, and the token part of well-known webhook paths
// (Discord /webhooks/ID/TOKEN, Slack /services/T/B/TOKEN) is masked. A
// local path is returned unchanged. A string that does not parse as a URL
// is returned as "<invalid url>", unless it is a plain path.
//
// RedactURL is the one URL redaction of digestbot; RedactDSN is its
// counterpart for database addresses and RedactText for free text that may
// contain either.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if !strings.Contains(raw, "://") && !strings.ContainsAny(raw, "@?#=") {
			return strings.ToValidUTF8(raw, "\uFFFD")
		}
		return "<invalid url>"
	}
	if u.Scheme == "" || u.Scheme == "file" || len(u.Scheme) == 1 {
		if u.Scheme == "" && (u.User != nil || u.RawQuery != "" || u.Host != "") {
			// "//user:pass@host/x" or "x?token=…": not a plain path.
			return redactParsed(u)
		}
		return strings.ToValidUTF8(raw, "\uFFFD") // a local path: nothing secret in it
	}
	return redactParsed(u)
}

func redactParsed(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(Masked)
	}
	c.Fragment, c.RawFragment = "", ""
	c.RawQuery = redactQuery(c.RawQuery, secretQueryKey)
	c.Path, c.RawPath = redactPath(c.Path), ""
	return strings.ToValidUTF8(c.String(), "\uFFFD")
}

// redactQuery masks the values of a raw query string whose keys secret
// reports, or whose values look like tokens, keeping order and the
// others' exact text.
func redactQuery(raw string, secret func(string) bool) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		switch {
		case !ok:
			if tokenLike(key) {
				parts[i] = Masked
			}
		case v == "":
		case secret(key) || tokenLike(val):
			parts[i] = k + "=" + Masked
		}
	}
	return strings.Join(parts, "&")
}

// secretWords are parts of query keys whose values are treated as secrets.
var secretWords = []string{
	"token", "key", "secret", "pass", "pwd", "sig", "auth", "cred", "session",
	"sid", "jwt", "code", "hash", "private", "access", "bearer", "otp", "nonce", "ticket",
}

func secretQueryKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// tokenLike reports whether s looks like a random credential rather than a
// word, a slug, a date or a number: a run of 16 or more letters and digits
// mixing both, or 32 or more hex digits, or a UUID.
func tokenLike(s string) bool {
	if uuidRe.MatchString(s) {
		return true
	}
	for _, run := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if len(run) < 16 {
			continue
		}
		var letters, digits, upper, lower int
		for _, r := range run {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r >= 'A' && r <= 'Z':
				letters++
				upper++
			default:
				letters++
				lower++
			}
		}
		if digits > 0 && letters > 0 || upper > 0 && lower > 0 && upper+lower >= 24 && !wordy(run) {
			return true
		}
	}
	return false
}

// wordy reports whether a run of letters reads like CamelCase words
// (capitals rarely), not like base64.
func wordy(s string) bool {
	caps := 0
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			caps++
		}
	}
	return caps*6 <= len(s)
}

var uuidRe = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// redactPath masks path segments that are credentials: the token of
// Discord (/webhooks/ID/TOKEN) and Slack (/services/T/B/TOKEN) webhooks,
// Telegram's /botTOKEN/ and any segment that looks like a random token.
func redactPath(p string) string {
	if p == "" {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch {
		case s == "":
		case i >= 2 && segs[i-2] == "webhooks":
			segs[i] = Masked
		case i >= 3 && segs[i-3] == "services":
			segs[i] = Masked
		case strings.HasPrefix(s, "bot") && strings.Contains(s, ":"):
			segs[i] = "bot" + Masked
		case tokenLike(s):
			segs[i] = Masked
		}
	}
	return strings.Join(segs, "/")
}

// RedactDSN returns a database address fit to show: the password of a
// postgres:// URL (user information or a password query parameter) or of
// the keyword form (host=db password=… or password='…') is replaced by
// "xxxxx", and the same secret-looking parameters RedactURL masks are
// masked too. The user name and host stay, to say which database it is. A
// SQLite file path is returned unchanged.
func RedactDSN(raw string) string {
	if keywordDSN(raw) {
		return redactKeywords(raw)
	}
	if i := strings.Index(raw, "://"); i > 0 && !strings.ContainsAny(raw[:i], "/\\ ") {
		u, err := url.Parse(raw)
		if err != nil {
			// Malformed: mask what follows "user:" up to the last "@" before the host.
			return redactKeywords(maskUserinfo(raw))
		}
		c := *u
		if c.User != nil {
			if _, ok := c.User.Password(); ok {
				c.User = url.UserPassword(c.User.Username(), Masked)
			}
		}
		c.Fragment, c.RawFragment = "", ""
		c.RawQuery = redactQuery(c.RawQuery, func(k string) bool {
			k = strings.ToLower(k)
			return strings.Contains(k, "pass") || strings.Contains(k, "secret") || strings.Contains(k, "token") || k == "sslkey"
		})
		return c.String()
	}
	return raw
}

// keywordDSN reports whether s is a libpq keyword/value string such as
// "host=db user=u password=pw dbname=x".
func keywordDSN(s string) bool {
	return keywordStart.MatchString(s)
}

var keywordStart = regexp.MustCompile(`(?i)^\s*[a-z_]+\s*=\s*\S*(\s+[a-z_]+\s*=|\s*$)`)

// passwordKeyword matches password=… (and sslpassword) in a keyword DSN or a
// query, quoted or not.
var passwordKeyword = regexp.MustCompile(`(?i)\b((?:ssl)?pass(?:word|wd)?\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s"` + "`" + `]*)`)

func redactKeywords(s string) string {
	return passwordKeyword.ReplaceAllString(s, "${1}"+Masked)
}

// maskUserinfo masks the password of scheme://user:password@host… without
// parsing the URL (which may be malformed).
func maskUserinfo(raw string) string {
	k := strings.Index(raw, "://")
	if k < 0 {
		return raw
	}
	start := k + 3
	rest := raw[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	c := strings.Index(rest[:at], ":")
	if c < 0 {
		return raw[:start] + Masked + raw[start+at:]
	}
	return raw[:start+c+1] + Masked + raw[start+at:]
}

// urlInText finds URLs with a scheme inside free text.
var urlInText = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]*://[^\s"'<>` + "`" + `]+`)

// RedactText returns s with every URL in it passed through RedactURL (or
// RedactDSN for database URLs) and every password=… masked: for error
// messages from libraries, which often quote the URL they were given.
func RedactText(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(strings.ToLower(s), "pass") {
		return s
	}
	s = urlInText.ReplaceAllStringFunc(s, func(m string) string {
		trail := ""
		for len(m) > 0 && strings.ContainsRune(".,;:)]}", rune(m[len(m)-1])) {
			trail = m[len(m)-1:] + trail
			m = m[:len(m)-1]
		}
		l := strings.ToLower(m)
		if strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://") {
			return RedactDSN(m) + trail
		}
		r := RedactURL(m)
		if r == "<invalid url>" {
			r = redactKeywords(maskUserinfo(m))
			if i := strings.IndexAny(r, "?#"); i >= 0 {
				r = r[:i] + "?" + Masked
			}
		}
		return r + trail
	})
	s = querySecret.ReplaceAllString(s, "${1}"+Masked)
	return redactKeywords(s)
}

// querySecret matches a secret-looking query parameter in free text, for
// URLs that did not parse.
var querySecret = regexp.MustCompile(`(?i)([?&][a-z0-9_.\-]*(?:token|key|secret|pass|pwd|sig|auth|cred|session|jwt|code)[a-z0-9_.\-]*=)([^&\s"'#` + "`" + `]*)`)

// redactedError keeps an error's chain (errors.Is, errors.As) while its
// text goes through RedactText.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with its text redacted, or err itself when its
// text holds nothing to redact.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if r := RedactText(msg); r != msg {
		return &redactedError{msg: r, err: err}
	}
	return err
}
