package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Subscription is a feed a chat channel subscribed to with /digest
// subscribe: it sits beside the configured feeds, lives in the Store and
// survives restarts.
type Subscription struct {
	Feed     string // the feed URL
	Platform string // "slack", "discord"
	Target   string // the platform's channel id
	Layout   Layout
	AddedBy  string // who subscribed: "U0123 (alice)"
	AddedAt  time.Time
}

// Validate checks a subscription handed to SubscriptionStore.Subscribe.
func (s Subscription) Validate() error {
	if s.Feed == "" || s.Platform == "" || s.Target == "" || !s.Layout.Valid() {
		return fmt.Errorf("subscription needs a feed, a platform, a channel and a layout (got layout %q)", s.Layout)
	}
	if strings.Contains(s.Platform, ":") {
		return fmt.Errorf("subscription platform %q holds a colon", s.Platform)
	}
	return nil
}

// subPrefix starts the Channel.ID of every subscribed channel.
const subPrefix = "sub:"

// Channel returns the channel the subscription posts to. Its ID,
// "sub:<platform>:<layout>:<target>", says everything the outbox needs, so
// a delivery can be sent after a restart without looking anything up.
func (s Subscription) Channel() Channel {
	return Channel{ID: subPrefix + s.Platform + ":" + string(s.Layout) + ":" + s.Target,
		Platform: s.Platform, Target: s.Target, Layout: s.Layout}
}

// SubscriptionChannelIDs returns the Channel.IDs a channel may have had
// for its subscriptions, one per layout.
func SubscriptionChannelIDs(platform, target string) []string {
	var ids []string
	for _, l := range []Layout{LayoutThread, LayoutSeparate, LayoutCombined} {
		ids = append(ids, Subscription{Platform: platform, Target: target, Layout: l}.Channel().ID)
	}
	return ids
}

// ParseSubscriptionChannel reads a channel ID made by
// Subscription.Channel; ok is false for other IDs.
func ParseSubscriptionChannel(id string) (Channel, bool) {
	rest, ok := strings.CutPrefix(id, subPrefix)
	if !ok {
		return Channel{}, false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" || !Layout(parts[1]).Valid() {
		return Channel{}, false
	}
	return Channel{ID: id, Platform: parts[0], Layout: Layout(parts[1]), Target: parts[2]}, true
}

// SubscriptionStore is the part of Store that keeps subscriptions.
type SubscriptionStore interface {
	// Subscribe adds a subscription, or changes the layout of an existing
	// one (same Feed, Platform and Target); created reports a new one.
	Subscribe(ctx context.Context, s Subscription) (created bool, err error)
	// Unsubscribe removes a channel's subscription to a feed; the channel
	// stops catching up with the feed's issues (its dirty targets become
	// clean, LastError "unsubscribed by <by>"), while messages already
	// posted stay. ok is false when there was none.
	Unsubscribe(ctx context.Context, feed, platform, target, by string) (ok bool, err error)
	// Subscriptions lists the subscriptions of one feed, or of every feed
	// when feed is "", ordered by feed, platform and target.
	Subscriptions(ctx context.Context, feed string) ([]Subscription, error)
}

// FoundFeed is what a FeedFinder found at a URL.
type FoundFeed struct {
	URL   string // the feed itself: the URL given, or the one a site page links to
	Title string
}

// FeedFinder checks a URL typed in chat: it fetches it under the egress
// policy for feeds added from chat, and when it is a site page, finds its
// feed from <link rel="alternate">. feeds.Fetcher implements it.
type FeedFinder interface {
	FindFeed(ctx context.Context, rawURL string) (FoundFeed, error)
}

// AdminOnly reports whether a command changes what the bot does for
// everyone, so that only admins may run it. Adapters that must ask the
// platform who is an admin (Slack's users.info) ask only for these.
func AdminOnly(name string) bool { return name == "subscribe" || name == "unsubscribe" }

// Caller returns who ran a command, for logs and replies: "U0123 (alice)".
func (c Command) Caller() string {
	switch {
	case c.UserName != "" && c.User != "":
		return c.User + " (" + c.UserName + ")"
	case c.User != "":
		return c.User
	case c.UserName != "":
		return c.UserName
	}
	return c.Platform
}

// whoMayManage names who may manage feeds on a platform.
func whoMayManage(platform string) string {
	switch platform {
	case "slack":
		return "Slack workspace admins and owners, and the users listed in the bot's slack.admins setting"
	case "discord":
		return "members with the Manage Server or Manage Channels permission, and the users listed in the bot's discord.admins setting"
	}
	return "admins"
}

// findTimeout bounds /digest subscribe's fetch of the URL typed.
const findTimeout = 20 * time.Second

func (s *Service) subStore() (SubscriptionStore, bool) {
	ss, ok := s.Store.(SubscriptionStore)
	return ss, ok
}

// refuse answers a non-admin: privately, naming who may do it.
func refuse(ctx context.Context, w Responder, c Command) {
	_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("Only %s can change this channel's feeds. Ask one of them, or use /digest feeds to see what is followed here.", whoMayManage(c.Platform)),
		Error: true, Private: true})
}

// chatURL cleans a URL as chat platforms send it: Slack may wrap it in
// <…> or <…|label>.
func chatURL(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
		s, _, _ = strings.Cut(s, "|")
	}
	return s
}

// checkChatURL accepts only absolute http and https URLs with a host.
func checkChatURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not a web address: give the feed's or the site's http:// or https:// URL", cut(RedactURL(raw), 80))
	}
	return nil
}

// channelPlans returns the configured feeds that post to the channel a
// command came from.
func (s *Service) configuredHere(c Command) map[string]bool {
	out := map[string]bool{}
	for _, p := range s.Feeds {
		for _, ch := range p.Channels {
			if ch.Platform == c.Platform && ch.Target != "" && ch.Target == c.Channel {
				out[p.URL] = true
			}
		}
	}
	return out
}

func (s *Service) configured(feed string) bool {
	for _, p := range s.Feeds {
		if p.URL == feed {
			return true
		}
	}
	return false
}

func (s *Service) subscribe(ctx context.Context, w Responder, c Command) {
	if !c.Admin {
		s.log().Info("feed_subscribe_refused", slog.String("user", c.Caller()), slog.String("platform", c.Platform), slog.String("channel", c.Channel))
		refuse(ctx, w, c)
		return
	}
	ss, ok := s.subStore()
	if !ok || s.Finder == nil {
		_ = w.Respond(ctx, Reply{Text: "This bot cannot take subscriptions from chat.", Error: true})
		return
	}
	fields := strings.Fields(c.Args)
	layout := LayoutThread
	if n := len(fields); n > 1 && Layout(strings.ToLower(fields[n-1])).Valid() {
		layout, fields = Layout(strings.ToLower(fields[n-1])), fields[:n-1]
	}
	if len(fields) != 1 {
		_ = w.Respond(ctx, Reply{Text: "Usage: /digest subscribe <feed or site URL> [thread|separate|combined], e.g. /digest subscribe https://newsletter.example.org/ separate", Error: true})
		return
	}
	if c.Channel == "" || !c.FromChat() {
		_ = w.Respond(ctx, Reply{Text: "Subscribe from the Slack or Discord channel that should receive the feed.", Error: true})
		return
	}
	if s.CanPost != nil && !s.CanPost(c.Platform) {
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("This bot cannot post to %s channels by id (it needs the bot token), so it cannot deliver a subscription here.", c.Platform), Error: true})
		return
	}
	raw := chatURL(fields[0])
	if err := checkChatURL(raw); err != nil {
		_ = w.Respond(ctx, Reply{Text: err.Error(), Error: true})
		return
	}
	fctx, cancel := context.WithTimeout(ctx, findTimeout)
	found, err := s.Finder.FindFeed(fctx, raw)
	cancel()
	if err != nil {
		s.log().Warn("feed_subscribe_failed", slog.String("user", c.Caller()), slog.String("channel", c.Channel), slog.String("url", RedactURL(raw)), slog.Any("error", err))
		_ = w.Respond(ctx, Reply{Text: "Cannot subscribe: " + cut(RedactText(err.Error()), 600), Error: true})
		return
	}
	if s.configuredHere(c)[found.URL] {
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("%s already posts to this channel from the bot's configuration file; change it there.", RedactURL(found.URL))})
		return
	}
	sub := Subscription{Feed: found.URL, Platform: c.Platform, Target: c.Channel, Layout: layout, AddedBy: c.Caller(), AddedAt: s.now()}
	known := true
	if _, err := s.Store.Feed(ctx, found.URL); errors.Is(err, ErrNotFound) {
		known = false
	}
	created, err := ss.Subscribe(ctx, sub)
	if err == nil {
		err = s.Store.EnsureFeed(ctx, found.URL)
	}
	if err != nil {
		s.fail(ctx, w, c, "subscribing", err)
		return
	}
	s.log().Info("feed_subscribed", slog.String("feed", RedactURL(found.URL)), slog.String("platform", c.Platform),
		slog.String("channel", c.Channel), slog.String("layout", string(layout)), slog.String("by", c.Caller()), slog.Bool("new", created))
	if s.Subscribed != nil {
		s.Subscribed()
	}
	title := found.Title
	if title == "" {
		title = RedactURL(found.URL)
	}
	text := fmt.Sprintf("This channel now receives %s (%s layout).", title, layout)
	switch {
	case !created:
		text = fmt.Sprintf("This channel already received %s; its layout is now %s.", title, layout)
	case !known:
		text += " The first poll, in a moment, archives its past issues and posts only the newest one."
	default:
		text += " Its next issue will be posted here."
	}
	if found.URL != raw {
		text += " Feed found at " + RedactURL(found.URL) + "."
	}
	_ = w.Respond(ctx, Reply{Text: text, Sections: []Section{{Title: title, URL: httpURL(RedactURL(found.URL)), Meta: "subscribed by " + c.Caller()}}})
}

func (s *Service) unsubscribe(ctx context.Context, w Responder, c Command) {
	if !c.Admin {
		s.log().Info("feed_unsubscribe_refused", slog.String("user", c.Caller()), slog.String("platform", c.Platform), slog.String("channel", c.Channel))
		refuse(ctx, w, c)
		return
	}
	ss, ok := s.subStore()
	if !ok {
		_ = w.Respond(ctx, Reply{Text: "This bot cannot take subscriptions from chat.", Error: true})
		return
	}
	arg := chatURL(c.Args)
	if arg == "" || strings.ContainsAny(arg, " \t") {
		_ = w.Respond(ctx, Reply{Text: "Usage: /digest unsubscribe <feed URL> (as /digest feeds lists it).", Error: true})
		return
	}
	subs, err := ss.Subscriptions(ctx, "")
	if err != nil {
		s.fail(ctx, w, c, "unsubscribing", err)
		return
	}
	// Match the URL as typed, or as /digest feeds shows it (redacted), or
	// a site URL whose feed this channel receives.
	var match []Subscription
	for _, sub := range subs {
		if sub.Platform == c.Platform && sub.Target == c.Channel && (sub.Feed == arg || RedactURL(sub.Feed) == arg || strings.TrimSuffix(sub.Feed, "/") == strings.TrimSuffix(arg, "/")) {
			match = append(match, sub)
		}
	}
	if len(match) == 0 {
		if s.configuredHere(c)[arg] || s.configured(arg) {
			_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("%s comes from the bot's configuration file, which chat cannot change; ask whoever runs the bot.", RedactURL(arg)), Error: true})
			return
		}
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("This channel has no subscription to %s. /digest feeds lists the feeds it receives.", cut(RedactURL(arg), 100)), Error: true})
		return
	}
	sub := match[0]
	if _, err := ss.Unsubscribe(ctx, sub.Feed, sub.Platform, sub.Target, c.Caller()); err != nil {
		s.fail(ctx, w, c, "unsubscribing", err)
		return
	}
	s.log().Info("feed_unsubscribed", slog.String("feed", RedactURL(sub.Feed)), slog.String("platform", c.Platform),
		slog.String("channel", c.Channel), slog.String("by", c.Caller()))
	_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("This channel no longer receives %s. Posts already made stay.", RedactURL(sub.Feed))})
}

// channelFeeds answers /digest feeds: the feeds of the channel it is typed
// in (every feed when the command has no channel, as on the console).
func (s *Service) channelFeeds(ctx context.Context, w Responder, c Command) {
	states, err := s.Store.Feeds(ctx)
	if err != nil {
		s.fail(ctx, w, c, "listing feeds", err)
		return
	}
	var subs []Subscription
	if ss, ok := s.subStore(); ok {
		if subs, err = ss.Subscriptions(ctx, ""); err != nil {
			s.fail(ctx, w, c, "listing feeds", err)
			return
		}
	}
	if c.Channel == "" {
		r := FeedsReply(states, s.now())
		for i, f := range states {
			for _, sub := range subs {
				if sub.Feed == f.URL {
					r.Sections[i].Meta += fmt.Sprintf(" · subscribed from %s channel %s", sub.Platform, sub.Target)
				}
			}
		}
		_ = w.Respond(ctx, r)
		return
	}
	here := s.configuredHere(c)
	subHere := map[string]Subscription{}
	for _, sub := range subs {
		if sub.Platform == c.Platform && sub.Target == c.Channel {
			subHere[sub.Feed] = sub
		}
	}
	var mine []FeedState
	for _, f := range states {
		if here[f.URL] || subHere[f.URL].Feed != "" {
			mine = append(mine, f)
		}
	}
	r := FeedsReply(mine, s.now())
	r.Title = "Feeds of this channel"
	if len(mine) == 0 {
		// Nothing here: show every feed, so the command still answers
		// "what does this bot follow?".
		r = FeedsReply(states, s.now())
		r.Title = "Feeds"
		r.Text = "No feed posts to this channel. An admin can add one with /digest subscribe <feed or site URL>."
		if len(states) > 0 {
			r.Text = "No feed posts to this channel; these post elsewhere. An admin can add one here with /digest subscribe <feed or site URL>."
		}
		_ = w.Respond(ctx, r)
		return
	}
	for i, f := range mine {
		if sub, ok := subHere[f.URL]; ok {
			r.Sections[i].Meta += fmt.Sprintf(" · subscribed by %s, %s layout · /digest unsubscribe %s", sub.AddedBy, sub.Layout, RedactURL(f.URL))
		} else {
			r.Sections[i].Meta += " · from the configuration file (read-only from chat)"
		}
	}
	_ = w.Respond(ctx, r)
}

// SubscriptionPlans merges the configured feed plans with the store's
// subscriptions: a subscribed channel joins its feed's plan, and a feed
// known only from subscriptions gets a plan built from defaults.
func SubscriptionPlans(configured []FeedPlan, subs []Subscription, defaults FeedPlan) []FeedPlan {
	plans := make([]FeedPlan, len(configured))
	idx := map[string]int{}
	for i, p := range configured {
		p.Channels = append([]Channel(nil), p.Channels...)
		plans[i] = p
		idx[p.URL] = i
	}
	for _, sub := range subs {
		i, ok := idx[sub.Feed]
		if !ok {
			p := defaults
			p.URL, p.Channels = sub.Feed, nil
			plans = append(plans, p)
			i = len(plans) - 1
			idx[sub.Feed] = i
		}
		plans[i].Channels = append(plans[i].Channels, sub.Channel())
	}
	return plans
}
