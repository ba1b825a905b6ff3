package feeds

import (
	"net/url"
	"strings"
)

// resolve returns ref as an absolute http(s) URL, or "" when it is empty,
// invalid or has another scheme (javascript:, data:, mailto:...).
func (t *tokenizer) resolve(ref string) string {
	return resolveHTTP(t.base, ref)
}

// resolveHTTP resolves ref against base (nil: only absolute refs) and
// keeps it only when the result is an absolute http or https URL.
func resolveHTTP(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.ContainsAny(ref, "\x00\t\r\n") {
		return ""
	}
	if simpleAbsHTTP(ref) {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && cleanURL(ref) {
		return ref // already absolute and printable: no need to re-encode
	}
	if !u.IsAbs() {
		if base == nil || strings.HasPrefix(ref, "#") {
			return ""
		}
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return u.String()
}

// simpleAbsHTTP reports whether ref is an absolute http(s) URL simple
// enough to keep as written without parsing it: a lowercase scheme, a host
// name of letters, digits, dots and hyphens (optionally a port), and only
// characters that need no escaping. Anything else goes through url.Parse.
func simpleAbsHTTP(ref string) bool {
	var rest string
	switch {
	case strings.HasPrefix(ref, "https://"):
		rest = ref[len("https://"):]
	case strings.HasPrefix(ref, "http://"):
		rest = ref[len("http://"):]
	default:
		return false
	}
	host := 0
	for host < len(rest) && rest[host] != '/' && rest[host] != '?' && rest[host] != '#' {
		c := rest[host]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
		host++
	}
	if host == 0 || rest[0] == '.' || rest[0] == ':' || rest[0] == '-' {
		return false
	}
	if i := strings.IndexByte(rest[:host], ':'); i >= 0 {
		// a port: digits only, and a name before it
		if i == 0 || i == host-1 {
			return false
		}
		for _, c := range []byte(rest[i+1 : host]) {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return cleanURL(rest[host:]) && !strings.Contains(rest[host:], "%")
}

// cleanURL reports whether s has only characters that need no escaping in
// a URL.
func cleanURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			return false
		}
	}
	return true
}

// isShareURL reports whether a link is a share, subscribe, account or
// tracking link, never a story's main link.
func isShareURL(u string) bool {
	gate := false
	for _, g := range shareURLGate {
		if strings.Contains(u, g) {
			gate = true
			break
		}
	}
	if !gate {
		return false
	}
	l := strings.ToLower(u)
	for _, p := range shareURLParts {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// shareURLGate: every entry of shareURLParts contains one of these (as
// links are written, in lower case): most links are compared with these
// few only.
var shareURLGate = []string{"shar", "intent", "submit", "send", "pin/", "ubscri", "referenc", "manage", "account", "app-link", "sign", "login", "wa.me", "toot"}

var shareURLParts = []string{
	"twitter.com/intent", "twitter.com/share", "x.com/intent", "facebook.com/sharer", "facebook.com/share.php",
	"facebook.com/dialog/share", "linkedin.com/share", "linkedin.com/sharing", "linkedin.com/cws/share",
	"reddit.com/submit", "news.ycombinator.com/submitlink", "api.whatsapp.com/send", "wa.me/?", "t.me/share",
	"bsky.app/intent", "pinterest.com/pin/create", "mastodonshare", "toot.kytta",
	"/subscribe?", "/subscribe/", "/subscribe", "action=share", "/unsubscribe", "list-manage.com/unsubscribe",
	"list-manage.com/profile", "/preferences", "/manage-subscription", "/account?", "/app-link/", "/sign-in",
	"/signin", "/login", "utm_source=share",
}

// usableImage reports whether an image may be the feature image:
// not smaller than 50×50 when its size is known (w, h < 0 when unknown),
// not a known tracker, not an avatar.
func usableImage(src string, w, h int, avatar bool) bool {
	if src == "" || avatar || (w >= 0 && w < 50) || (h >= 0 && h < 50) {
		return false
	}
	l := strings.ToLower(src)
	for _, p := range trackerImageParts {
		if strings.Contains(l, p) {
			return false
		}
	}
	return true
}

var trackerImageParts = []string{
	"/track/open", "/open.php", "/open.aspx", "/o.gif", "/e/o/", "/wf/open", "/ss/o/", "/trk", "tracking", "pixel",
	"beacon", "list-manage.com/track", "/open?", "1x1", "spacer.gif", "blank.gif", "transparent.gif", "clear.gif",
	"feedburner.com/~r", "feeds.feedburner.com/~ff", "pixel.wp.com", "stats.wordpress.com", "/counter",
	"gravatar.com/avatar", "avatar", "profile_images", "/profile-pic", "headshot", "/emoji/", "emoji.php",
}
