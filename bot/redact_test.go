package bot

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://example.org/rss/", "https://example.org/rss/"},
		{"https://example.org/rss?format=atom&page=2", "https://example.org/rss?format=atom&page=2"},
		{"https://u:S3CR3T@example.org/rss", "https://xxxxx@example.org/rss"},
		{"https://S3CR3Ttoken@example.org/rss", "https://xxxxx@example.org/rss"},
		{"https://example.org/rss?token=S3CR3T", "https://example.org/rss?token=xxxxx"},
		{"https://example.org/rss?format=rss&api_key=S3CR3T&x=1", "https://example.org/rss?format=rss&api_key=xxxxx&x=1"},
		{"https://example.org/rss?Secret=S3CR3T", "https://example.org/rss?Secret=xxxxx"},
		{"https://example.org/rss?password=S3CR3T", "https://example.org/rss?password=xxxxx"},
		{"https://example.org/rss?sig=S3CR3T&X-Amz-Signature=abc", "https://example.org/rss?sig=xxxxx&X-Amz-Signature=xxxxx"},
		{"https://example.org/rss?auth=S3CR3T", "https://example.org/rss?auth=xxxxx"},
		{"https://example.org/rss?access_token=S3CR3T", "https://example.org/rss?access_token=xxxxx"},
		{"https://example.org/rss?u=a1b2c3d4e5f6a7b8c9d0", "https://example.org/rss?u=xxxxx"},
		{"https://example.org/rss?a1b2c3d4e5f6a7b8c9d0", "https://example.org/rss?xxxxx"},
		{"https://example.org/rss#access_token=S3CR3T", "https://example.org/rss"},
		{"https://discord.com/api/webhooks/123456789012345678/S3CR3T-tok", "https://discord.com/api/webhooks/123456789012345678/xxxxx"},
		{"https://hooks.slack.com/services/T0001/B0001/S3CR3T", "https://hooks.slack.com/services/T0001/B0001/xxxxx"},
		{"https://example.org/feed/private/3f2a9c1be7d84f05a6c2e91b0d7f4a38/rss", "https://example.org/feed/private/xxxxx/rss"},
		{"https://example.org/2025/11/20/a-long-post-about-the-2025-elections/", "https://example.org/2025/11/20/a-long-post-about-the-2025-elections/"},
		{"https://example.org/feed/123e4567-e89b-12d3-a456-426614174000", "https://example.org/feed/xxxxx"},
		{"testdata/feed.xml", "testdata/feed.xml"},
		{"/var/lib/digestbot/feed.xml", "/var/lib/digestbot/feed.xml"},
		{"file:///srv/feed.xml", "file:///srv/feed.xml"},
		{`C:\feeds\x.xml`, `C:\feeds\x.xml`},
		{"http://[::1", "<invalid url>"},
		{"https://u:S3CR3T@[::1", "<invalid url>"},
		{"//u:S3CR3T@example.org/x", "//xxxxx@example.org/x"},
	} {
		got := RedactURL(c.in)
		if got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, "S3CR3T") {
			t.Errorf("RedactURL(%q) = %q shows the secret", c.in, got)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"digestbot.db", "digestbot.db"},
		{"/var/lib/digestbot/digestbot.db", "/var/lib/digestbot/digestbot.db"},
		{"postgres://u:S3CR3T@db:5432/x", "postgres://u:xxxxx@db:5432/x"},
		{"postgresql://u@db/x", "postgresql://u@db/x"},
		{"postgres://db/x?password=S3CR3T&sslmode=require", "postgres://db/x?password=xxxxx&sslmode=require"},
		{"postgres:///x?host=/tmp/sock", "postgres:///x?host=/tmp/sock"},
		{"postgres://u:p@ss@db:port/x?password=S3CR3T", "postgres://u:xxxxx@db:port/x?password=xxxxx"},
		{"postgres://u:S3CR3T@db/x?sslpassword=S3CR3T", "postgres://u:xxxxx@db/x?sslpassword=xxxxx"},
		{"host=db password=S3CR3T", "host=db password=xxxxx"},
		{"host=db user=u password='p w\\'S3CR3T' dbname=x", "host=db user=u password=xxxxx dbname=x"},
		{"host=db user=u", "host=db user=u"},
		{"host=db PASSWORD = S3CR3T", "host=db PASSWORD = xxxxx"},
		{"password=S3CR3T", "password=xxxxx"},
		{"mysql://root:S3CR3T@db/x", "mysql://root:xxxxx@db/x"},
	} {
		got := RedactDSN(c.in)
		if got != c.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, "S3CR3T") {
			t.Errorf("RedactDSN(%q) = %q shows the secret", c.in, got)
		}
	}
}

func TestRedactText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`Get "https://u:S3CR3T@example.org/rss?token=S3CR3T": dial tcp: refused`, `Get "https://xxxxx@example.org/rss?token=xxxxx": dial tcp: refused`},
		{`parse "https://u:S3CR3T@ex ample.org/rss?token=S3CR3T": invalid`, `parse "https://xxxxx@ex ample.org/rss?token=xxxxx": invalid`},
		{"failed to connect to postgres://u:S3CR3T@db/x.", "failed to connect to postgres://u:xxxxx@db/x."},
		{"cannot parse `host=db password=S3CR3T`: bad", "cannot parse `host=db password=xxxxx`: bad"},
		{"feed https://example.org/rss failed", "feed https://example.org/rss failed"},
		{"plain text", "plain text"},
	} {
		got := RedactText(c.in)
		if got != c.want {
			t.Errorf("RedactText(%q) =\n %q, want\n %q", c.in, got, c.want)
		}
		if strings.Contains(got, "S3CR3T") {
			t.Errorf("RedactText(%q) = %q shows the secret", c.in, got)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"https://u:p@h/x?token=t#f", "host=db password=p", "postgres://u:p@h/x", "x?y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The user's password must never survive redaction.
		for _, out := range []string{RedactURL(s), RedactDSN(s), RedactText(s)} {
			_ = out
		}
		if i := strings.Index(s, "://"); i >= 0 {
			rest := s[i+3:]
			if at := strings.Index(rest, "@"); at > 0 {
				if c := strings.Index(rest[:at], ":"); c >= 0 {
					pw := rest[c+1 : at]
					if len(pw) >= 6 && !strings.ContainsAny(pw, "/?#@ %") && !strings.Contains(rest[at:], pw) && !strings.Contains(s[:i], pw) {
						if got := RedactURL(s); got != "<invalid url>" && strings.Contains(got, pw) {
							t.Errorf("RedactURL(%q) = %q shows %q", s, got, pw)
						}
					}
				}
			}
		}
	})
}
