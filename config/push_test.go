package config

import "testing"

func TestPushSettings(t *testing.T) {
	secretFile := writeFile(t, "ghost_secret", "from-a-file\n")
	c := loadYAML(t, `
feed_url: https://news.example.org/rss/
respect_ttl: false
public_url: https://bot.example.org
channels:
  - {name: editors, platform: console}
ghost:
  content_api_key: ck1
feeds:
  - url: https://other.example.net/rss/
    respect_ttl: true
    ghost: {webhook_secret: s2}
editors_channel: editors
`, map[string]string{"DIGESTBOT_GHOST_WEBHOOK_SECRET_FILE": secretFile})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	feeds, _ := c.Resolve()
	if len(feeds) != 2 {
		t.Fatalf("feeds = %+v", feeds)
	}
	other, main := feeds[0], feeds[1]
	if main.RespectTTL || !other.RespectTTL {
		t.Errorf("respect_ttl: main %v, other %v; want false, true", main.RespectTTL, other.RespectTTL)
	}
	mainGhost, otherGhost := c.GhostCredentials(main.URL), c.GhostCredentials(other.URL)
	if mainGhost.WebhookSecret.Value() != "from-a-file" || otherGhost.WebhookSecret.Value() != "s2" {
		t.Errorf("webhook secrets not resolved per feed")
	}
	if mainGhost.ContentAPIKey.Value() != "ck1" || otherGhost.ContentAPIKey.Value() != "ck1" {
		t.Errorf("content API key not inherited")
	}
	if g := c.GhostCredentials("https://unknown.example.com/rss/"); g.WebhookSecret.Value() != "from-a-file" || g.ContentAPIKey.Value() != "ck1" {
		t.Errorf("a feed not configured gets %+v, want the ghost section's credentials", g)
	}
	if !c.Ghost.LegacySignatures == false {
		t.Error("legacy signatures must default to off")
	}
}

func TestPushSettingsRejected(t *testing.T) {
	c := loadYAML(t, `
feed_url: https://news.example.org/rss/
public_url: "ftp://bot.example.org/?token=x"
editors_channel: nowhere
`, map[string]string{"DIGESTBOT_GHOST_WEBHOOK_SECRET": " padded "})
	ps := problemsOf(t, c.Validate())
	for _, key := range []string{"public_url", "editors_channel", "ghost.webhook_secret"} {
		if findProblem(ps, key, "") == nil {
			t.Errorf("no problem names %s: %v", key, ps)
		}
	}
	if p := findProblem(ps, "ghost.webhook_secret", ""); p != nil && p.Env != "DIGESTBOT_GHOST_WEBHOOK_SECRET" {
		t.Errorf("problem names env %q", p.Env)
	}
}
