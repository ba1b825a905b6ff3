package feeds

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Egress is the fetcher's egress policy: which addresses a feed request
// may connect to. By default every feed, and every redirect hop, is
// refused an address that is loopback, private, link-local, unique-local,
// multicast, unspecified or reserved, and every scheme but http and https.
// The address checked is the one actually dialled, after name resolution,
// so a host name that resolves (or rebinds) to such an address is refused
// too. Local paths and file:// URLs are not network fetches and are not
// affected; only the configuration can name them.
type Egress struct {
	// AllowPrivateFeeds lets the feeds in ConfiguredFeeds (the YAML and
	// environment feeds) reach any address (allow_private_feeds).
	AllowPrivateFeeds bool
	// ConfiguredFeeds are the feed URLs of the configuration. Feeds not in
	// it, such as those subscribed from chat, never get AllowPrivateFeeds.
	ConfiguredFeeds []string
	// AllowPrivateHosts names private hosts every feed may reach: host
	// names (any address they resolve to), IP addresses or CIDR prefixes
	// (allow_private_hosts). See ParseAllowList.
	AllowPrivateHosts []string
	// Resolver looks host names up; nil uses net.DefaultResolver.
	Resolver Resolver
}

// Resolver resolves host names; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Settings named in refusals, so that an admin knows what to change.
const (
	settingHosts = "allow_private_hosts (DIGESTBOT_ALLOW_PRIVATE_HOSTS)"
	settingFeeds = "allow_private_feeds (DIGESTBOT_ALLOW_PRIVATE_FEEDS)"
)

// EgressError is a refused connection: the address and the rule it broke.
type EgressError struct {
	Host string     // the host name or address in the URL
	Addr netip.Addr // the address refused; invalid when the URL was refused before resolving
	Rule string     // "loopback", "private", "link-local", "unique-local", "multicast", "unspecified", "reserved" or "scheme"
	// Scheme is the refused scheme when Rule is "scheme".
	Scheme string
}

func (e *EgressError) Error() string {
	if e.Rule == "scheme" {
		return fmt.Sprintf("refused: scheme %q is not allowed for feeds, only http and https", e.Scheme)
	}
	what := e.Addr.String()
	if e.Host != "" && e.Host != what {
		what = fmt.Sprintf("%s (%s)", e.Host, e.Addr)
	}
	return fmt.Sprintf("refused to connect to %s: %s address; the bot fetches no %s address unless an admin allows it with %s, or, for feeds in the configuration file, %s",
		what, e.Rule, e.Rule, settingHosts, settingFeeds)
}

// ErrEgress is matched by errors.Is for every *EgressError.
var ErrEgress = errors.New("address refused by the egress policy")

// Is makes errors.Is(err, ErrEgress) true.
func (e *EgressError) Is(target error) bool { return target == ErrEgress }

// rules, checked in order; the first match names the refusal.
var egressRules = []struct {
	rule   string
	prefix netip.Prefix
}{
	{"unspecified", netip.MustParsePrefix("0.0.0.0/8")},
	{"loopback", netip.MustParsePrefix("127.0.0.0/8")},
	{"private", netip.MustParsePrefix("10.0.0.0/8")},
	{"private", netip.MustParsePrefix("172.16.0.0/12")},
	{"private", netip.MustParsePrefix("192.168.0.0/16")},
	{"private", netip.MustParsePrefix("100.64.0.0/10")}, // shared address space (carrier-grade NAT)
	{"private", netip.MustParsePrefix("192.0.0.0/24")},  // IETF protocol assignments
	{"private", netip.MustParsePrefix("198.18.0.0/15")}, // benchmarking
	{"link-local", netip.MustParsePrefix("169.254.0.0/16")},
	{"multicast", netip.MustParsePrefix("224.0.0.0/4")},
	{"reserved", netip.MustParsePrefix("240.0.0.0/4")}, // and the broadcast address
	{"unspecified", netip.MustParsePrefix("::/128")},
	{"loopback", netip.MustParsePrefix("::1/128")},
	{"link-local", netip.MustParsePrefix("fe80::/10")},
	{"private", netip.MustParsePrefix("fec0::/10")}, // deprecated site-local
	{"unique-local", netip.MustParsePrefix("fc00::/7")},
	{"multicast", netip.MustParsePrefix("ff00::/8")},
	{"reserved", netip.MustParsePrefix("100::/64")}, // discard-only
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// AddrRule returns the rule that refuses a: "" when a is a public address.
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64
// addresses are judged by the IPv4 address they carry.
func AddrRule(a netip.Addr) string {
	if !a.IsValid() {
		return "unspecified"
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		b := a.As16()
		embedded := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if nat64.Contains(a) {
			return AddrRule(embedded)
		}
		if b == [16]byte{} || a == netip.IPv6Loopback() {
			// :: and ::1 are handled by the table below
		} else if isZero(b[:12]) {
			return AddrRule(embedded) // IPv4-compatible ::a.b.c.d
		}
	}
	for _, r := range egressRules {
		if r.prefix.Contains(a) {
			return r.rule
		}
	}
	return ""
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// AllowList is a parsed allow_private_hosts: host names and prefixes.
type AllowList struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
}

// ParseAllowList reads allow_private_hosts entries: host names
// ("feeds.internal"), IP addresses ("10.0.0.7", "fd00::7") and CIDR
// prefixes ("10.1.0.0/16"). Empty entries are skipped.
func ParseAllowList(entries []string) (AllowList, error) {
	l := AllowList{hosts: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return AllowList{}, fmt.Errorf("allow_private_hosts: %q is not a CIDR prefix such as 10.1.0.0/16", e)
			}
			l.prefixes = append(l.prefixes, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			l.prefixes = append(l.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		h := normHost(e)
		if !validHostName(h) {
			return AllowList{}, fmt.Errorf("allow_private_hosts: %q is neither a host name, an IP address nor a CIDR prefix", e)
		}
		l.hosts[h] = true
	}
	return l, nil
}

// Empty reports whether the list allows nothing.
func (l AllowList) Empty() bool { return len(l.hosts) == 0 && len(l.prefixes) == 0 }

func (l AllowList) host(h string) bool { return l.hosts[normHost(h)] }

func (l AllowList) addr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func normHost(h string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".") }

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// legacyIPv4 parses the IPv4 forms that inet_aton accepts beside dotted
// decimal: one to four parts, each decimal, octal (leading 0) or hex
// (0x): "2130706433", "0177.0.0.1", "0x7f.1", "127.1". Some resolvers
// turn such names into addresses, so the policy judges them as addresses.
func legacyIPv4(host string) (netip.Addr, bool) {
	if host == "" || strings.Count(host, ".") > 3 {
		return netip.Addr{}, false
	}
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (24 - 8*uint(i))
	}
	if vals[last] >= 1<<(8*uint(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// hostAddr returns the address a URL host stands for when it is an IP
// literal in any form; ok is false for a host name.
func hostAddr(host string) (netip.Addr, bool) {
	h := strings.Trim(host, "[]")
	if a, err := netip.ParseAddr(h); err == nil {
		return a, true
	}
	return legacyIPv4(h)
}

// guard enforces one egress policy on one HTTP client's connections.
type guard struct {
	allow    AllowList
	open     bool // everything allowed: configured feeds with allow_private_feeds
	resolver Resolver
	dialer   *net.Dialer // checks the socket's address before connecting
	// openDialer dials hosts named in the allow list, wherever they resolve.
	openDialer *net.Dialer
}

// checkAddr returns the refusal for a dialled address, or nil.
func (g *guard) checkAddr(host string, a netip.Addr) error {
	if g.open || g.allow.addr(a) {
		return nil
	}
	if rule := AddrRule(a); rule != "" {
		return &EgressError{Host: host, Addr: a.Unmap().WithZone(""), Rule: rule}
	}
	return nil
}

// checkURL checks a request's URL before anything is dialled: its scheme,
// and its host when that is an address literal.
func (g *guard) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &EgressError{Host: u.Hostname(), Rule: "scheme", Scheme: u.Scheme}
	}
	if g.open {
		return nil
	}
	host := u.Hostname()
	if g.allow.host(host) {
		return nil
	}
	if a, ok := hostAddr(host); ok {
		return g.checkAddr(host, a)
	}
	return nil
}

// dialContext resolves addr itself, checks every address it got and
// dials only those allowed, by address: what was checked is what is
// dialled, whatever DNS answers next (no rebinding). A host named in
// allow_private_hosts is dialled as it resolves.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if g.open {
		return g.dialer.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	allowedName := g.allow.host(host)
	var addrs []netip.Addr
	if a, ok := hostAddr(host); ok {
		addrs = []netip.Addr{a}
	} else {
		lookup := "ip"
		switch network {
		case "tcp4":
			lookup = "ip4"
		case "tcp6":
			lookup = "ip6"
		}
		addrs, err = g.resolver.LookupNetIP(ctx, lookup, host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("lookup %s: no addresses", host)
		}
	}
	var firstErr error
	for _, a := range addrs {
		if allowedName {
			c, err := g.openDialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if err := g.checkAddr(host, a); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		c, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		var ee *EgressError
		if firstErr == nil || errors.As(firstErr, &ee) && !errors.As(err, &ee) {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// control is the dialer's last check, on the socket's own address, just
// before connect: a second line behind dialContext.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	if g.open {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress check: unexpected address %q", address)
	}
	return g.checkAddr("", ap.Addr())
}

// newGuard builds the guard for one policy.
func newGuard(allow AllowList, open bool, r Resolver) *guard {
	if r == nil {
		r = net.DefaultResolver
	}
	g := &guard{allow: allow, open: open, resolver: r}
	g.dialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	g.openDialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return g
}

// guardedClient returns a copy of base whose connections g checks. The
// transport is base's *http.Transport (or the default one) cloned, with
// g's dialer and no proxy: a proxy would dial for us and bypass the check.
// A base with another kind of RoundTripper (a test double) is used as
// it is; only its URLs are checked.
func guardedClient(base http.Client, g *guard) *http.Client {
	c := base
	var t *http.Transport
	switch rt := base.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	}
	if t != nil {
		t.Proxy = nil
		t.DialContext = g.dialContext
		t.DialTLSContext = nil
		c.Transport = t
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return ErrTooManyRedirects
		}
		if err := g.checkURL(req.URL); err != nil {
			return fmt.Errorf("redirect to %s: %w", RedactURL(req.URL.String()), err)
		}
		return nil
	}
	return &c
}
