package ghost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"digestbot/bot"
)

// MaxBody is the largest webhook body read; larger ones get 413. Ghost's
// post payloads are about 50 KB.
const MaxBody = 2 << 20

// Path is where Ghost's webhooks are registered.
const Path = "/ghost/webhook"

// Post is a Ghost post as a webhook (or the Content API) gives it: only
// the fields the bot reads. Authors, with their email addresses, are not
// even decoded.
type Post struct {
	ID              string `json:"id"`
	UUID            string `json:"uuid"`
	Title           string `json:"title"`
	Slug            string `json:"slug"`
	HTML            string `json:"html"`
	CustomExcerpt   string `json:"custom_excerpt"`
	MetaDescription string `json:"meta_description"`
	Excerpt         string `json:"excerpt"`
	FeatureImage    string `json:"feature_image"`
	URL             string `json:"url"`
	Status          string `json:"status"`
	PublishedAt     string `json:"published_at"`
	UpdatedAt       string `json:"updated_at"`
}

// Site is one configured Ghost site: the feed the bot polls and the
// secret its webhooks are signed with.
type Site struct {
	Feed   string
	Secret string
}

// Handler serves POST /ghost/webhook.
type Handler struct {
	Sites  []Site
	Legacy bool // accept the pre-2024 body-only signatures
	// Build splits a post into an issue exactly as the feed's item for it
	// is split (feeds.Fetcher.GhostIssue).
	Build func(feed string, p Post) (*bot.Issue, error)
	// Record stores an event durably (bot.Pusher.Accept); false means a
	// replay.
	Record func(ctx context.Context, ev *bot.PushEvent) (bool, error)
	// Notify wakes the processing of recorded events; must not block.
	Notify  func()
	Logger  *slog.Logger
	Now     func() time.Time
	Timeout time.Duration // for recording; default 1.5 s (Ghost gives up after 2 s)
	// Observe, when set, counts each request's outcome: accepted,
	// ignored, unauthorized, replay, too_large, bad_request, store_error.
	Observe func(result string)
}

func (h *Handler) observe(result string) {
	if h.Observe != nil {
		h.Observe(result)
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// Event is what a webhook asks for, read from its payload.
type Event struct {
	Kind bot.PushKind // "" when the bot has nothing to do (a draft saved…)
	ID   string       // the post id: the feed's <guid>
	Post Post         // current (published, edited, scheduled), else previous
	What string       // for logs: published, republished, edited, unpublished, deleted, scheduled
}

// Classify tells the event from a webhook body, as real Ghost sends it:
// {"post":{"current":{…},"previous":{…}}}.
func Classify(body []byte) (Event, error) {
	var raw struct {
		Post *struct {
			Current  map[string]json.RawMessage `json:"current"`
			Previous map[string]json.RawMessage `json:"previous"`
		} `json:"post"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Event{}, fmt.Errorf("body is not JSON: %w", err)
	}
	if raw.Post == nil {
		return Event{}, errors.New(`body has no "post": only post events (post.published, post.published.edited, post.unpublished, post.deleted, post.scheduled) are understood`)
	}
	var cur, prev Post
	if err := decodePost(raw.Post.Current, &cur); err != nil {
		return Event{}, fmt.Errorf("post.current: %w", err)
	}
	if err := decodePost(raw.Post.Previous, &prev); err != nil {
		return Event{}, fmt.Errorf("post.previous: %w", err)
	}
	_, prevHasStatus := raw.Post.Previous["status"]
	switch {
	case len(raw.Post.Current) == 0:
		ev := Event{Kind: bot.PushWithdrawn, ID: prev.ID, Post: prev, What: "deleted"}
		if ev.ID == "" {
			return Event{}, errors.New("deleted post without post.previous.id")
		}
		return ev, nil
	case cur.ID == "":
		return Event{}, errors.New("post.current has no id")
	case cur.Status == "published":
		ev := Event{Kind: bot.PushPublished, ID: cur.ID, Post: cur, What: "published"}
		if len(raw.Post.Previous) > 0 && !prevHasStatus {
			ev.Kind, ev.What = bot.PushEdited, "edited"
		} else if prev.Status == "scheduled" {
			ev.What = "published by the scheduler"
		}
		return ev, nil
	case prev.Status == "published":
		return Event{Kind: bot.PushWithdrawn, ID: cur.ID, Post: cur, What: "unpublished"}, nil
	case cur.Status == "scheduled":
		return Event{Kind: bot.PushScheduled, ID: cur.ID, Post: cur, What: "scheduled"}, nil
	}
	return Event{ID: cur.ID, Post: cur, What: "status " + cur.Status}, nil
}

func decodePost(m map[string]json.RawMessage, p *Post) error {
	if len(m) == 0 {
		return nil
	}
	// Re-encoding the map costs little beside the network and keeps one
	// decoder for both halves.
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, p)
}

// ServeHTTP verifies, classifies, records and acknowledges one webhook.
// It answers 202 once the event is stored, 200 when there is nothing to
// do, 401 for anything unverified or replayed, 413 for bodies over
// MaxBody, 400 for a verified body it cannot use, 503 when the store
// fails. Never 410: Ghost deletes a webhook answered 410.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > MaxBody {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large", fmt.Errorf("%d bytes announced, the limit is %d", r.ContentLength, MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large", fmt.Errorf("over the limit of %d bytes", MaxBody))
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "could not read the body", err)
		return
	}

	secrets := make([]string, len(h.Sites))
	configured := false
	for i, s := range h.Sites {
		secrets[i] = s.Secret
		configured = configured || s.Secret != ""
	}
	if !configured {
		h.refuse(w, r, http.StatusUnauthorized, "invalid signature", errors.New("no webhook secret is configured: set ghost.webhook_secret to the secret of the Ghost integration's webhooks"))
		return
	}
	idx, sig, err := Verify(r.Header.Get("X-Ghost-Signature"), body, secrets, start, h.Legacy)
	if err != nil {
		h.refuse(w, r, http.StatusUnauthorized, "invalid signature", err)
		return
	}
	ev, err := Classify(body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, "unusable payload", err)
		return
	}
	log := h.log().With(slog.String("post", ev.ID), slog.String("event", ev.What))
	if ev.Kind == "" {
		log.Info("ghost_webhook_ignored")
		h.observe("ignored")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "nothing to do\n")
		return
	}
	feeds := h.feedsFor(h.Sites[idx].Secret, ev.Post.URL)
	if len(feeds) == 0 {
		h.refuse(w, r, http.StatusBadRequest, "no configured feed for this post's site",
			fmt.Errorf("post URL host %q matches no feed signed with this secret", hostOf(ev.Post.URL)))
		return
	}
	if ev.Kind != bot.PushWithdrawn && len(feeds) > 1 {
		feeds = feeds[:1]
	}
	var events []*bot.PushEvent
	for _, feed := range feeds {
		pe := &bot.PushEvent{Key: sig.Key(), Source: "ghost", Kind: ev.Kind, Feed: feed, GUID: ev.ID, ReceivedAt: start}
		if len(feeds) > 1 {
			pe.Key += ":" + feed
		}
		if ev.Kind != bot.PushWithdrawn {
			is, err := h.Build(feed, ev.Post)
			if err != nil {
				h.refuse(w, r, http.StatusBadRequest, "unusable post", err)
				return
			}
			pe.Issue = is
		}
		events = append(events, pe)
	}

	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 1500 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	for i, pe := range events {
		ok, err := h.Record(ctx, pe)
		if err != nil {
			log.Error("ghost_webhook_not_recorded", slog.String("feed", pe.Feed), slog.Any("error", err))
			h.observe("store_error")
			http.Error(w, "could not record the event; the next poll of the feed will catch up", http.StatusServiceUnavailable)
			return
		}
		if !ok && i == 0 {
			h.refuse(w, r, http.StatusUnauthorized, "invalid signature", ErrReplay)
			return
		}
	}
	if h.Notify != nil {
		h.Notify()
	}
	log.Info("ghost_webhook_accepted", slog.String("feed", events[0].Feed), slog.String("kind", string(ev.Kind)),
		slog.Duration("duration", h.now().Sub(start)))
	h.observe("accepted")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, "accepted\n")
}

// feedsFor returns the feeds a verified post belongs to: those whose
// secret signed it, narrowed by the post URL's site when several share
// the secret. A post without a URL (deleted) keeps them all.
func (h *Handler) feedsFor(secret, postURL string) []string {
	var cands []string
	for _, s := range h.Sites {
		if s.Secret == secret {
			cands = append(cands, s.Feed)
		}
	}
	if len(cands) <= 1 {
		return cands
	}
	host := hostOf(postURL)
	if host == "" {
		return cands
	}
	var out []string
	for _, f := range cands {
		if hostOf(f) == host {
			out = append(out, f)
		}
	}
	return out
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// refuse answers an error without echoing the payload, and logs why
// (never the body: it holds the authors' emails).
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, code int, msg string, err error) {
	switch {
	case errors.Is(err, ErrReplay):
		h.observe("replay")
	case code == http.StatusUnauthorized:
		h.observe("unauthorized")
	case code == http.StatusRequestEntityTooLarge:
		h.observe("too_large")
	default:
		h.observe("bad_request")
	}
	h.log().Warn("ghost_webhook_refused", slog.Int("status", code), slog.String("reason", err.Error()),
		slog.String("remote", r.RemoteAddr), slog.String("user_agent", r.UserAgent()))
	http.Error(w, msg, code)
}
