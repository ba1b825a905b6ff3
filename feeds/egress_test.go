package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"digestbot/bot"
)

func TestAddrRule(t *testing.T) {
	tests := []struct {
		addr, rule string
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.1", ""},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "private"},
		{"169.254.169.254", "link-local"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"255.255.255.255", "reserved"},
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"::1", "loopback"},
		{"::", "unspecified"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fc00::1", "unique-local"},
		{"fd12:3456::1", "unique-local"},
		{"ff02::1", "multicast"},
		{"2001:4860:4860::8888", ""},
		// IPv4 carried in IPv6.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:8.8.8.8", ""},
		{"::127.0.0.1", "loopback"},
		{"64:ff9b::a9fe:a9fe", "link-local"}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := AddrRule(netip.MustParseAddr(tt.addr)); got != tt.rule {
				t.Errorf("AddrRule(%s) = %q, want %q", tt.addr, got, tt.rule)
			}
		})
	}
}

func TestLegacyIPv4(t *testing.T) {
	tests := []struct {
		host, want string // want "" when the host is a name
	}{
		{"2130706433", "127.0.0.1"},   // decimal
		{"017700000001", "127.0.0.1"}, // octal
		{"0x7f000001", "127.0.0.1"},   // hex
		{"0177.0.0.1", "127.0.0.1"},   // octal part
		{"0x7f.1", "127.0.0.1"},       // two parts
		{"127.1", "127.0.0.1"},
		{"169.254.43518", "169.254.169.254"},
		{"0xa9.0xfe.0xa9.0xfe", "169.254.169.254"},
		{"10.0.0.1", "10.0.0.1"},
		{"256.1", ""},
		{"1.2.3.4.5", ""},
		{"08.1.1.1", ""}, // 8 is not an octal digit
		{"example.com", ""},
		{"4294967296", ""}, // too large
		{"", ""},
	}
	for _, tt := range tests {
		a, ok := legacyIPv4(tt.host)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("legacyIPv4(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestParseAllowList(t *testing.T) {
	l, err := ParseAllowList([]string{" feeds.internal. ", "10.1.0.0/16", "fd00::7", "", "192.168.1.9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"feeds.internal", "FEEDS.internal."} {
		if !l.host(h) {
			t.Errorf("host %q not allowed", h)
		}
	}
	for a, want := range map[string]bool{"10.1.2.3": true, "10.2.0.1": false, "fd00::7": true, "fd00::8": false, "192.168.1.9": true, "::ffff:192.168.1.9": true} {
		if got := l.addr(netip.MustParseAddr(a)); got != want {
			t.Errorf("addr %s allowed = %v, want %v", a, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "not a host", "http://x/", "a..b"} {
		if _, err := ParseAllowList([]string{bad}); err == nil || !strings.Contains(err.Error(), "allow_private_hosts") {
			t.Errorf("ParseAllowList(%q) err = %v, want a refusal naming the setting", bad, err)
		}
	}
}

// stubResolver answers every name from a table; unknown names fail.
type stubResolver struct {
	addrs map[string][]string
	calls int
}

func (r *stubResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.calls++
	var out []netip.Addr
	list, ok := r.addrs[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	for _, s := range list {
		a := netip.MustParseAddr(s)
		if network == "ip4" && !a.Unmap().Is4() || network == "ip6" && a.Unmap().Is4() {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// feedServer serves the Ghost fixture on 127.0.0.1 and redirects
// /to?u=URL to URL.
func feedServer(t *testing.T) (port string, srvURL string) {
	t.Helper()
	feed := ghostFeed(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to" {
			http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feed)
	})
	u, _ := url.Parse(srv.URL)
	return u.Port(), srv.URL
}

func TestEgressRefusesPrivateAddresses(t *testing.T) {
	port, _ := feedServer(t)
	res := &stubResolver{addrs: map[string][]string{
		"loop.example":     {"127.0.0.1"},
		"mapped.example":   {"::ffff:127.0.0.1"},
		"v6loop.example":   {"::1"},
		"meta.example":     {"169.254.169.254"},
		"ten.example":      {"10.0.0.5"},
		"ula.example":      {"fd00::5"},
		"multi.example":    {"239.1.1.1"},
		"zero.example":     {"0.0.0.0"},
		"allowed.internal": {"127.0.0.1"},
		"mixed.example":    {"10.0.0.9", "127.0.0.1"}, // every address is refused
	}}
	tests := []struct {
		name, url, rule string
	}{
		{"hostname to loopback", "http://loop.example:%s/rss/", "loopback"},
		{"hostname to IPv4-mapped loopback", "http://mapped.example:%s/rss/", "loopback"},
		{"hostname to IPv6 loopback", "http://v6loop.example:%s/rss/", "loopback"},
		{"hostname to metadata", "http://meta.example:%s/latest/meta-data/", "link-local"},
		{"hostname to private", "http://ten.example:%s/rss/", "private"},
		{"hostname to unique-local", "http://ula.example:%s/rss/", "unique-local"},
		{"hostname to multicast", "http://multi.example:%s/rss/", "multicast"},
		{"hostname to unspecified", "http://zero.example:%s/rss/", "unspecified"},
		{"every address private", "http://mixed.example:%s/rss/", "private"},
		{"IPv4 literal", "http://127.0.0.1:%s/rss/", "loopback"},
		{"IPv6 literal", "http://[::1]:%s/rss/", "loopback"},
		{"IPv4-mapped IPv6 literal", "http://[::ffff:127.0.0.1]:%s/rss/", "loopback"},
		{"IPv4-mapped IPv6 hex literal", "http://[::ffff:7f00:1]:%s/rss/", "loopback"},
		{"metadata literal", "http://169.254.169.254:%s/latest/meta-data/", "link-local"},
		{"decimal host", "http://2130706433:%s/rss/", "loopback"},
		{"octal host", "http://0177.0.0.1:%s/rss/", "loopback"},
		{"hex host", "http://0x7f.1:%s/rss/", "loopback"},
		{"short host", "http://127.1:%s/rss/", "loopback"},
	}
	f := NewFetcher(Options{Egress: Egress{Resolver: res, AllowPrivateHosts: []string{"allowed.internal"}}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := fmt.Sprintf(tt.url, port)
			_, err := f.Fetch(context.Background(), bot.FeedState{URL: u})
			var ee *EgressError
			if !errors.As(err, &ee) || !errors.Is(err, ErrEgress) {
				t.Fatalf("err = %v, want an *EgressError", err)
			}
			if ee.Rule != tt.rule {
				t.Errorf("rule = %q, want %q (%v)", ee.Rule, tt.rule, err)
			}
			msg := err.Error()
			for _, want := range []string{tt.rule, "allow_private_hosts", "DIGESTBOT_ALLOW_PRIVATE_HOSTS", "allow_private_feeds"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
		})
	}
	// A name in allow_private_hosts reaches the address it resolves to.
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: "http://allowed.internal:" + port + "/rss/"}); err != nil {
		t.Errorf("allowed host: %v", err)
	}
}

func TestEgressAllowsByCIDR(t *testing.T) {
	port, _ := feedServer(t)
	res := &stubResolver{addrs: map[string][]string{"feed.example": {"127.0.0.1"}}}
	f := NewFetcher(Options{Egress: Egress{Resolver: res, AllowPrivateHosts: []string{"127.0.0.0/8"}}})
	for _, u := range []string{"http://feed.example:" + port + "/rss/", "http://127.0.0.1:" + port + "/rss/"} {
		if _, err := f.Fetch(context.Background(), bot.FeedState{URL: u}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	// ::1 is not in 127.0.0.0/8.
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: "http://[::1]:" + port + "/rss/"}); !errors.Is(err, ErrEgress) {
		t.Errorf("::1 with 127.0.0.0/8 allowed: err = %v, want a refusal", err)
	}
}

func TestEgressRedirects(t *testing.T) {
	port, srvURL := feedServer(t)
	res := &stubResolver{addrs: map[string][]string{"inner.example": {"10.0.0.5"}, "loop.example": {"127.0.0.2"}}}
	// The feed's own server is allowed (as 127.0.0.1); where it redirects to is not.
	f := NewFetcher(Options{Egress: Egress{Resolver: res, AllowPrivateHosts: []string{"127.0.0.1"}}})
	tests := []struct {
		name, to, rule string
	}{
		{"metadata", "http://169.254.169.254/latest/meta-data/", "link-local"},
		{"IPv6 loopback", "http://[::1]:" + port + "/rss/", "loopback"},
		{"decimal loopback other than allowed", "http://2130706434:" + port + "/rss/", "loopback"},
		{"name resolving to private (dial check)", "http://inner.example:" + port + "/rss/", "private"},
		{"name resolving to loopback", "http://loop.example:" + port + "/rss/", "loopback"},
		{"file scheme", "file:///etc/passwd", "scheme"},
		{"gopher scheme", "gopher://127.0.0.1:70/", "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := srvURL + "/to?u=" + url.QueryEscape(tt.to)
			_, err := f.Fetch(context.Background(), bot.FeedState{URL: u})
			var ee *EgressError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *EgressError", err)
			}
			if ee.Rule != tt.rule {
				t.Errorf("rule = %q, want %q (%v)", ee.Rule, tt.rule, err)
			}
		})
	}
	// A redirect to an allowed address is followed.
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: srvURL + "/to?u=" + url.QueryEscape(srvURL+"/rss/")}); err != nil {
		t.Errorf("redirect to allowed host: %v", err)
	}
}

func TestEgressAllowPrivateFeeds(t *testing.T) {
	port, srvURL := feedServer(t)
	configured := srvURL + "/rss/"
	redirecting := srvURL + "/to?u=" + url.QueryEscape("http://[::1]:"+port+"/rss/")
	f := NewFetcher(Options{Egress: Egress{AllowPrivateFeeds: true, ConfiguredFeeds: []string{configured, redirecting, "testdata/ghost.xml"}}})
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: configured}); err != nil {
		t.Errorf("configured feed with allow_private_feeds: %v", err)
	}
	// Its redirects may go anywhere too (IPv6 loopback may be missing on the machine: only the policy matters).
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: redirecting}); errors.Is(err, ErrEgress) {
		t.Errorf("configured feed's redirect refused: %v", err)
	}
	// A feed not in the configuration (subscribed from chat) gets no such pass.
	_, err := f.Fetch(context.Background(), bot.FeedState{URL: srvURL + "/other"})
	if !errors.Is(err, ErrEgress) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("unconfigured feed: err = %v, want a loopback refusal", err)
	}
	// Nor may it read local files.
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: "testdata/not-configured.xml"}); !errors.Is(err, ErrEgress) {
		t.Errorf("unconfigured local path: err = %v, want a refusal", err)
	}
	if _, err := f.Fetch(context.Background(), bot.FeedState{URL: "testdata/ghost.xml"}); err != nil {
		t.Errorf("configured local path: %v", err)
	}
	// Configured but allow_private_feeds off: refused.
	strict := NewFetcher(Options{Egress: Egress{ConfiguredFeeds: []string{configured}}})
	if _, err := strict.Fetch(context.Background(), bot.FeedState{URL: configured}); !errors.Is(err, ErrEgress) {
		t.Errorf("configured feed without allow_private_feeds: err = %v, want a refusal", err)
	}
}

func TestEgressQuickStartLocalFile(t *testing.T) {
	// No policy set at all, as `DIGESTBOT_FEED_URL=testdata/sample-feed.xml go run ./cmd/digestbot run --once`.
	if _, err := NewFetcher(Options{}).Fetch(context.Background(), bot.FeedState{URL: "testdata/ghost.xml"}); err != nil {
		t.Fatal(err)
	}
}

func TestEgressDialerControl(t *testing.T) {
	g := newGuard(AllowList{}, false, nil)
	for addr, rule := range map[string]string{
		"127.0.0.1:80":             "loopback",
		"[::1]:443":                "loopback",
		"[::ffff:10.0.0.1]:80":     "private",
		"169.254.169.254:80":       "link-local",
		"[fe80::1%eth0]:80":        "link-local",
		"[fd00::1]:80":             "unique-local",
		"8.8.8.8:443":              "",
		"[2001:4860::8888]:443":    "",
		"[::ffff:93.184.216.34]:1": "",
	} {
		err := g.control("tcp", addr, nil)
		var ee *EgressError
		switch {
		case rule == "" && err != nil:
			t.Errorf("control(%s) = %v, want nil", addr, err)
		case rule != "" && (!errors.As(err, &ee) || ee.Rule != rule):
			t.Errorf("control(%s) = %v, want rule %q", addr, err, rule)
		}
	}
	open := newGuard(AllowList{}, true, nil)
	if err := open.control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("open guard refused: %v", err)
	}
}

func FuzzEgressHost(f *testing.F) {
	for _, s := range []string{"2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "feeds.internal", "10.0.0.0/8", "1.2.3.4.5", "0x", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, ok := legacyIPv4(s); ok {
			if !a.Is4() {
				t.Fatalf("legacyIPv4(%q) = %s, not IPv4", s, a)
			}
			// A dotted-decimal host means what it says.
			if b, err := netip.ParseAddr(s); err == nil && b != a {
				t.Fatalf("legacyIPv4(%q) = %s, want %s", s, a, b)
			}
		}
		if a, ok := hostAddr(s); ok {
			_ = AddrRule(a)
		}
		_, _ = ParseAllowList([]string{s})
	})
}
