// Package websub subscribes to the WebSub hubs of feeds that name one
// (W3C WebSub: many WordPress, Blogger and Medium feeds), answers the
// hubs' verification of intent, checks the X-Hub-Signature of every
// content distribution against the subscription's own secret, and hands a
// verified one to the bot as a fresh copy of the feed (a bot.PushEvent of
// kind PushFeed), recorded before the hub gets its 2xx.
package websub

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"digestbot/bot"
)

// Path is the prefix of callback URLs: /websub/<subscription id>.
const Path = "/websub/"

// Defaults.
const (
	DefaultLease = 10 * 24 * time.Hour // lease asked of hubs
	renewBefore  = 0.2                 // renew when less than this part of the lease is left
	minRenew     = time.Hour           // …or less than this
	retryPending = 30 * time.Minute    // ask again when a hub never verified
	MaxBody      = 10 << 20
)

// Hub is a feed's hub and topic (feeds.Hub).
type Hub struct{ Hub, Topic string }

// Manager keeps one subscription per configured feed that names a hub.
type Manager struct {
	Store     bot.WebSubStore
	Feeds     []string // the configured feeds
	PublicURL string   // the bot's public base URL
	// Discover finds a feed's hub (feeds.Fetcher.DiscoverHub); a zero Hub
	// means none.
	Discover func(ctx context.Context, feed string) (Hub, error)
	// Request posts a subscription request to a hub (feeds.Fetcher.HubRequest).
	Request func(ctx context.Context, hub string, form url.Values) error
	// Parse splits a distributed feed document (feeds.Fetcher.ParseFeed).
	Parse func(body []byte, feed, contentType string) (*bot.FetchResult, error)
	// Record stores an event durably (bot.Pusher.Accept).
	Record func(ctx context.Context, ev *bot.PushEvent) (bool, error)
	Notify func()
	Lease  time.Duration // 0: DefaultLease
	Logger *slog.Logger
	Now    func() time.Time
	// Observe, when set, counts each content distribution's outcome:
	// accepted, bad_signature, unusable, store_error.
	Observe func(result string)
}

func (m *Manager) observe(result string) {
	if m.Observe != nil {
		m.Observe(result)
	}
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

func (m *Manager) lease() time.Duration {
	if m.Lease > 0 {
		return m.Lease
	}
	return DefaultLease
}

func (m *Manager) callback(id string) string {
	return strings.TrimSuffix(m.PublicURL, "/") + Path + id
}

// Sync brings the subscriptions in line with the configuration: it
// subscribes feeds that name a hub and have no live subscription, renews
// those whose lease is ending, and unsubscribes feeds that left the
// configuration. It returns the first error after trying every feed.
func (m *Manager) Sync(ctx context.Context) error {
	subs, err := m.Store.HubSubscriptions(ctx)
	if err != nil {
		return err
	}
	byFeed := map[string][]bot.HubSubscription{}
	for _, s := range subs {
		byFeed[s.Feed] = append(byFeed[s.Feed], s)
	}
	configured := map[string]bool{}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	now := m.now()
	for _, feed := range m.Feeds {
		configured[feed] = true
		if !strings.HasPrefix(feed, "http://") && !strings.HasPrefix(feed, "https://") {
			continue
		}
		var live *bot.HubSubscription
		for i := range byFeed[feed] {
			if s := &byFeed[feed][i]; s.State != bot.SubUnsubscribing {
				live = s
			}
		}
		if live != nil && !m.due(*live, now) {
			continue
		}
		h, err := m.Discover(ctx, feed)
		if err != nil {
			m.log().Warn("websub_discovery_failed", slog.String("feed", bot.RedactURL(feed)), slog.Any("error", err))
			keep(err)
			continue
		}
		if h.Hub == "" {
			if live != nil { // the feed dropped its hub
				keep(m.unsubscribe(ctx, *live))
			}
			continue
		}
		sub := bot.HubSubscription{Feed: feed, Hub: h.Hub, Topic: h.Topic}
		if live != nil && live.Hub == h.Hub && live.Topic == h.Topic {
			sub = *live // renew with the same callback and secret
		} else {
			if live != nil {
				keep(m.unsubscribe(ctx, *live))
			}
			sub.ID, sub.Secret = randomHex(16), randomHex(32)
			sub.State = bot.SubSubscribing
		}
		keep(m.subscribe(ctx, sub))
	}
	for feed, list := range byFeed {
		if configured[feed] {
			continue
		}
		for _, s := range list {
			if s.State != bot.SubUnsubscribing || now.Sub(s.UpdatedAt) > retryPending {
				keep(m.unsubscribe(ctx, s))
			}
		}
	}
	return first
}

// due reports whether a subscription needs a (new) request now.
func (m *Manager) due(s bot.HubSubscription, now time.Time) bool {
	switch s.State {
	case bot.SubSubscribing:
		return now.Sub(s.UpdatedAt) > retryPending
	case bot.SubActive:
		left := s.LeaseUntil.Sub(now)
		return left < minRenew || left < time.Duration(float64(m.lease())*renewBefore)
	}
	return false
}

func (m *Manager) subscribe(ctx context.Context, s bot.HubSubscription) error {
	if s.State != bot.SubActive {
		s.State = bot.SubSubscribing
	}
	s.UpdatedAt = m.now()
	// Saved first: the hub may verify before its answer arrives.
	if err := m.Store.SaveHubSubscription(ctx, s); err != nil {
		return err
	}
	form := url.Values{
		"hub.mode":          {"subscribe"},
		"hub.topic":         {s.Topic},
		"hub.callback":      {m.callback(s.ID)},
		"hub.secret":        {s.Secret},
		"hub.lease_seconds": {strconv.Itoa(int(m.lease().Seconds()))},
	}
	if err := m.Request(ctx, s.Hub, form); err != nil {
		m.log().Warn("websub_subscribe_failed", slog.String("feed", bot.RedactURL(s.Feed)), slog.String("hub", bot.RedactURL(s.Hub)), slog.Any("error", err))
		return err
	}
	m.log().Info("websub_subscribe_requested", slog.String("feed", bot.RedactURL(s.Feed)), slog.String("hub", bot.RedactURL(s.Hub)))
	return nil
}

func (m *Manager) unsubscribe(ctx context.Context, s bot.HubSubscription) error {
	s.State, s.UpdatedAt = bot.SubUnsubscribing, m.now()
	if err := m.Store.SaveHubSubscription(ctx, s); err != nil {
		return err
	}
	form := url.Values{"hub.mode": {"unsubscribe"}, "hub.topic": {s.Topic}, "hub.callback": {m.callback(s.ID)}}
	if err := m.Request(ctx, s.Hub, form); err != nil {
		m.log().Warn("websub_unsubscribe_failed", slog.String("feed", bot.RedactURL(s.Feed)), slog.Any("error", err))
		return err
	}
	m.log().Info("websub_unsubscribe_requested", slog.String("feed", bot.RedactURL(s.Feed)), slog.String("hub", bot.RedactURL(s.Hub)))
	return nil
}

// Run syncs at once and then every interval (0: an hour) until ctx ends.
func (m *Manager) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.log().Warn("websub_sync_failed", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ServeHTTP answers the hub at /websub/<id>: GET is the verification of
// intent (echo hub.challenge when the subscription and mode match, else
// 404), POST a content distribution (verified, recorded, 202; a bad
// signature is ignored with a 202 as WebSub asks, so the hub does not
// retry a forgery).
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, Path)
	if id == "" || strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	sub, err := m.Store.HubSubscription(r.Context(), id)
	if errors.Is(err, bot.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		m.log().Error("websub_lookup_failed", slog.Any("error", err))
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	switch r.Method {
	case http.MethodGet:
		m.verify(w, r, sub)
	case http.MethodPost:
		m.distribute(w, r, sub)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
	}
}

func (m *Manager) verify(w http.ResponseWriter, r *http.Request, sub bot.HubSubscription) {
	q := r.URL.Query()
	mode, topic, challenge := q.Get("hub.mode"), q.Get("hub.topic"), q.Get("hub.challenge")
	log := m.log().With(slog.String("feed", bot.RedactURL(sub.Feed)), slog.String("mode", mode))
	if topic != sub.Topic {
		log.Warn("websub_verification_refused", slog.String("reason", "topic does not match"))
		http.NotFound(w, r)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	switch {
	case mode == "denied":
		log.Warn("websub_denied", slog.String("reason", bot.RedactText(q.Get("hub.reason"))))
		_ = m.Store.DeleteHubSubscription(ctx, sub.ID)
		w.WriteHeader(http.StatusOK)
		return
	case mode == "subscribe" && sub.State != bot.SubUnsubscribing && challenge != "":
		secs, err := strconv.Atoi(q.Get("hub.lease_seconds"))
		if err != nil || secs <= 0 {
			secs = int(m.lease().Seconds())
		}
		sub.State, sub.LeaseUntil, sub.UpdatedAt = bot.SubActive, m.now().Add(time.Duration(secs)*time.Second), m.now()
		if err := m.Store.SaveHubSubscription(ctx, sub); err != nil {
			log.Error("websub_save_failed", slog.Any("error", err))
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		log.Info("websub_subscribed", slog.Time("lease_until", sub.LeaseUntil))
	case mode == "unsubscribe" && sub.State == bot.SubUnsubscribing && challenge != "":
		if err := m.Store.DeleteHubSubscription(ctx, sub.ID); err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		log.Info("websub_unsubscribed")
	default:
		log.Warn("websub_verification_refused", slog.String("reason", "unexpected mode for the subscription's state"), slog.String("state", sub.State))
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, challenge)
}

func (m *Manager) distribute(w http.ResponseWriter, r *http.Request, sub bot.HubSubscription) {
	log := m.log().With(slog.String("feed", bot.RedactURL(sub.Feed)))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		log.Warn("websub_distribution_refused", slog.String("reason", "body unreadable or too large"))
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	sig, ok := checkSignature(r.Header.Get("X-Hub-Signature"), body, sub.Secret)
	if !ok || sub.State == bot.SubUnsubscribing {
		// WebSub: ignore it, but answer 2xx.
		log.Warn("websub_distribution_ignored", slog.String("reason", "missing or bad X-Hub-Signature"), slog.String("remote", r.RemoteAddr))
		m.observe("bad_signature")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	res, err := m.Parse(body, sub.Feed, r.Header.Get("Content-Type"))
	if err != nil {
		log.Warn("websub_distribution_unusable", slog.Any("error", err))
		m.observe("unusable")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ev := &bot.PushEvent{Key: "websub:" + sub.ID + ":" + sig, Source: "websub", Kind: bot.PushFeed, Feed: sub.Feed, Result: res, ReceivedAt: m.now()}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	stored, err := m.Record(ctx, ev)
	if err != nil {
		log.Error("websub_not_recorded", slog.Any("error", err))
		m.observe("store_error")
		http.Error(w, "try again later", http.StatusServiceUnavailable) // the hub retries
		return
	}
	if stored && m.Notify != nil {
		m.Notify()
	}
	m.observe("accepted")
	log.Info("websub_distribution_accepted", slog.Int("issues", len(res.Issues)), slog.Bool("duplicate", !stored))
	w.WriteHeader(http.StatusAccepted)
}

// checkSignature verifies "sha256=<hex>" or "sha1=<hex>" (also sha384,
// sha512 are not used by hubs digestbot meets) over body with secret and
// returns the hex.
func checkSignature(header string, body []byte, secret string) (string, bool) {
	algo, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok || secret == "" {
		return "", false
	}
	var h func() hash.Hash
	switch strings.ToLower(algo) {
	case "sha256":
		h = sha256.New
	case "sha1":
		h = sha1.New
	default:
		return "", false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return "", false
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(want, mac.Sum(nil)) {
		return "", false
	}
	return strings.ToLower(sig), true
}

// Sign returns an X-Hub-Signature header for body (algo sha256 or sha1),
// as a hub sends it.
func Sign(algo, secret string, body []byte) string {
	h := sha256.New
	if algo == "sha1" {
		h = sha1.New
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return algo + "=" + hex.EncodeToString(mac.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("websub: no randomness: %v", err))
	}
	return hex.EncodeToString(b)
}
