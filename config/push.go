package config

import (
	"fmt"
	"net/url"
	"strings"
)

// validatePush checks the settings of push on publish: public_url,
// editors_channel and the Ghost credentials.
func (c *Config) validatePush(ps *problems, chans []Channel) {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			ps.add("public_url", `is not a base URL: want the address hubs reach the bot at, such as https://digestbot.example.org (no query, no credentials)`)
		}
	}
	if c.EditorsChannel != "" {
		found := false
		for _, ch := range chans {
			found = found || ch.Name == c.EditorsChannel
		}
		if !found {
			ps.add("editors_channel", `%q is no channel: want one of %s`, c.EditorsChannel, quoteList(chans))
		}
	}
	checkSecret := func(key string, s Secret) {
		if s != "" && strings.TrimSpace(s.Value()) != s.Value() {
			ps.add(key, `has spaces or line breaks around it: copy the secret exactly as Ghost shows it`)
		}
	}
	checkSecret("ghost.webhook_secret", c.Ghost.WebhookSecret)
	checkSecret("ghost.content_api_key", c.Ghost.ContentAPIKey)
	for i, f := range c.Feeds {
		if f.Ghost != nil {
			checkSecret(fmt.Sprintf("feeds[%d].ghost.webhook_secret", i), f.Ghost.WebhookSecret)
			checkSecret(fmt.Sprintf("feeds[%d].ghost.content_api_key", i), f.Ghost.ContentAPIKey)
		}
	}
}
