package discord

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Finding a message sent by an earlier attempt.
//
// Every send carries the delivery key as its nonce with enforce_nonce, so
// Discord itself answers a repeat within its nonce window (a few minutes)
// with the original message. Beyond that window the nonce is no help:
// Discord returns a message's nonce only in the create answer, never when
// messages are listed. So every post also carries the key in a place that
// is listed: the fragment of its first embed's URL ("https://…/issue#dg…"),
// which readers do not see and which does not change where the link goes.
// When the post has no http(s) link to carry it (or the link has a
// fragment of its own), the key goes at the end of the embed's footer.
//
// With Message.Retry set, Publish first lists the last messages of the
// channel (or thread) the post goes to and returns the one carrying the
// key instead of posting again. Forum posts are threads: it looks through
// the forum's newest active threads instead. Webhook-only clients cannot
// list messages (that needs a bot token) and rely on nothing but Discord's
// answer: see docs/discord.md.

// scanLimit is how many recent messages a retry looks through.
const scanLimit = 50

// forumScanLimit is how many of a forum's newest posts a retry opens.
const forumScanLimit = 5

// setMarker hides key in e: as the fragment of e's URL, built from base,
// or in the footer when base cannot carry it.
func setMarker(e *discordgo.MessageEmbed, base, key string) {
	if key == "" {
		if u, ok := safeURL(base); ok {
			e.URL = u
		}
		return
	}
	if u, ok := markerURL(base, key); ok {
		e.URL = u
		return
	}
	if u, ok := safeURL(base); ok {
		e.URL = u
	}
	if e.Footer == nil {
		e.Footer = &discordgo.MessageEmbedFooter{}
	}
	if e.Footer.Text != "" {
		e.Footer.Text = cut(e.Footer.Text, maxFooter-40) + " · "
	}
	e.Footer.Text += "ref " + key
}

// hasMarker reports whether a message carries key, as nonce (should Discord
// ever return it), embed URL fragment or footer.
func hasMarker(m *listedMessage, key string) bool {
	if key == "" {
		return false
	}
	if n := string(m.Nonce); n == key || n == nonceFor(key) {
		return true
	}
	for _, e := range m.Embeds {
		if e == nil {
			continue
		}
		if u, err := url.Parse(e.URL); err == nil && e.URL != "" && u.Fragment == key {
			return true
		}
		if e.Footer != nil && strings.HasSuffix(e.Footer.Text, "ref "+key) {
			return true
		}
	}
	return false
}

// listedMessage is the part of a message the search reads. Nonce is a
// string or a number in Discord's JSON: read as raw and compared as text.
type listedMessage struct {
	ID        string                    `json:"id"`
	ChannelID string                    `json:"channel_id"`
	Nonce     flexString                `json:"nonce"`
	Embeds    []*discordgo.MessageEmbed `json:"embeds"`
	Author    *struct {
		Bot bool `json:"bot"`
	} `json:"author"`
	WebhookID string `json:"webhook_id"`
}

// ours reports whether a bot or a webhook wrote m: people's messages never
// count, whatever they contain.
func (m *listedMessage) ours() bool {
	return m.WebhookID != "" || (m.Author != nil && m.Author.Bot)
}

// flexString decodes a JSON string or number as its text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		s = ""
	}
	*f = flexString(s)
	return nil
}

// findSent looks for a message carrying key among the channel's last
// messages. It needs the bot token and Read Message History; when the
// search itself fails, it logs why and reports nothing found, and the send
// goes ahead with only the nonce to prevent a duplicate.
func (c *Client) findSent(ctx context.Context, channelID, key string) (string, bool) {
	if c.rest.token == "" {
		c.warnUnchecked(ctx, key)
		return "", false
	}
	var msgs []listedMessage
	err := c.rest.do(ctx, call{method: http.MethodGet, path: "channels/" + channelID + "/messages",
		query: url.Values{"limit": {"50"}}, auth: true, what: "list messages of channel " + channelID}, &msgs)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "discord_retry_check_failed",
			slog.String("channel", channelID), slog.String("key", key), slog.Any("error", err))
		return "", false
	}
	for i := range msgs {
		if msgs[i].ours() && hasMarker(&msgs[i], key) {
			return msgs[i].ID, true
		}
	}
	return "", false
}

// findForumPost looks for a forum post carrying key among the forum's
// newest active threads; it returns the thread's id and its first
// message's.
func (c *Client) findForumPost(ctx context.Context, forum channelInfo, key string) (ref, bool) {
	if c.rest.token == "" || forum.GuildID == "" {
		return ref{}, false
	}
	var active struct {
		Threads []struct {
			ID       string `json:"id"`
			ParentID string `json:"parent_id"`
		} `json:"threads"`
	}
	err := c.rest.do(ctx, call{method: http.MethodGet, path: "guilds/" + forum.GuildID + "/threads/active",
		auth: true, what: "list active threads of server " + forum.GuildID}, &active)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "discord_retry_check_failed",
			slog.String("channel", forum.ID), slog.String("key", key), slog.Any("error", err))
		return ref{}, false
	}
	var ids []string
	for _, t := range active.Threads {
		if t.ParentID == forum.ID {
			ids = append(ids, t.ID)
		}
	}
	// Newest first: snowflakes grow with time.
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(b, a))
	})
	for _, id := range ids[:min(len(ids), forumScanLimit)] {
		var m listedMessage
		// A forum post's first message has the thread's id.
		err := c.rest.do(ctx, call{method: http.MethodGet, path: "channels/" + id + "/messages/" + id,
			auth: true, what: "read forum post " + id}, &m)
		if err == nil && m.ours() && hasMarker(&m, key) {
			return ref{channel: id, message: m.ID, inThread: true}, true
		}
	}
	return ref{}, false
}

// warnUnchecked logs that a retried send could not look for its earlier
// attempt.
func (c *Client) warnUnchecked(ctx context.Context, key string) {
	c.log.LogAttrs(ctx, slog.LevelWarn, "discord_retry_unchecked",
		slog.String("reason", "a webhook alone cannot list messages: add a bot token"),
		slog.String("key", key))
}
