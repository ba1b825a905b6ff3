package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

const (
	// maxInteractionBytes caps an interaction request's body.
	maxInteractionBytes = 256 << 10
	// maxSignatureAge is how far X-Signature-Timestamp may be from now:
	// an older request is a replay.
	maxSignatureAge = 5 * time.Minute
)

// InteractionOptions configure the HTTP interactions endpoint.
type InteractionOptions struct {
	// PublicKey is the application's public key, in hex (Developer Portal,
	// General Information). Required.
	PublicKey string
	// Handler answers the commands. Required.
	Handler bot.Handler
	// Suggester completes "/digest search" queries; nil for none.
	Suggester Suggester
	// InChannel makes replies visible to everyone in the channel; by
	// default only the user who typed the command sees them (ephemeral).
	InChannel bool
	Logger    *slog.Logger
	// Now is the clock the signature's age is checked against.
	Now func() time.Time
	// InlineWait is how long the handler may take before the answer is
	// deferred and sent later as an edit (default 2s; Discord allows 3s).
	InlineWait time.Duration
	// APIURL and HTTPClient are used for follow-ups (deferred answers);
	// see Options.
	APIURL     string
	HTTPClient *http.Client
	// AppID is the application id for follow-ups; default: the one each
	// interaction carries.
	AppID string
	// Seen, when set, keeps accepted signatures in the store, so that a
	// replay is refused after a restart and by other replicas too; nil:
	// in memory only.
	Seen bot.SeenStore
}

// InteractionHandler is the http.Handler for POST /discord/interactions.
type InteractionHandler struct {
	key ed25519.PublicKey
	x   *interactions
	now func() time.Time
	log *slog.Logger
	// replays refuses a signed request accepted before (Discord does not
	// check: VerifyInteraction accepts the same request twice).
	replays *bot.Replays
}

// NewInteractionHandler returns the handler for Discord's interactions
// endpoint (mount it at POST /discord/interactions and enter its public
// URL in the Developer Portal). Every request must carry a valid Ed25519
// signature by the application's key, made within the last five minutes;
// anything else gets 401 and does nothing.
func NewInteractionHandler(opts InteractionOptions) (*InteractionHandler, error) {
	key, err := hex.DecodeString(strings.TrimSpace(opts.PublicKey))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, errors.New("discord: public key: want the 64 hex digits of the application's public key (Developer Portal, General Information): set DIGESTBOT_DISCORD_PUBLIC_KEY")
	}
	if opts.Handler == nil {
		return nil, errors.New("discord: interactions endpoint needs a command handler")
	}
	if opts.AppID != "" && !isSnowflake(opts.AppID) {
		return nil, errors.New("discord: the application id must be a number: check DIGESTBOT_DISCORD_APP_ID")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	r, err := newRest(opts.APIURL, "", opts.HTTPClient, now, nil, log)
	if err != nil {
		return nil, err
	}
	return &InteractionHandler{
		key: key, now: now, log: log, replays: &bot.Replays{Platform: "discord", Store: opts.Seen, Logger: log},
		x: newInteractions(opts.Handler, opts.Suggester, opts.InChannel, opts.InlineWait, r, opts.AppID, log),
	}, nil
}

func (e *InteractionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInteractionBytes+1))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if len(body) > maxInteractionBytes {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !verifySignature(e.key, r.Header, body, e.now()) {
		e.log.LogAttrs(r.Context(), slog.LevelWarn, "discord_interaction_rejected",
			slog.String("reason", "bad or stale signature"), slog.String("remote", r.RemoteAddr))
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if !e.fresh(r) {
		e.log.LogAttrs(r.Context(), slog.LevelWarn, "discord_interaction_rejected",
			slog.String("reason", "replayed: this signed request was accepted before"), slog.String("remote", r.RemoteAddr))
		http.Error(w, "request replayed", http.StatusUnauthorized)
		return
	}
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	err = e.x.serve(r.Context(), &in, func(_ context.Context, resp *response) error {
		out, err := json.Marshal(resp)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write(out); err != nil {
			return err
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	})
	if errors.Is(err, errUnsupported) {
		http.Error(w, "unsupported interaction type", http.StatusBadRequest)
	}
}

// Close waits for the commands still being answered, until ctx ends (see
// bot.Replies.Close). Call it after the HTTP server's Shutdown.
func (e *InteractionHandler) Close(ctx context.Context) error { return e.x.replies.Close(ctx) }

// verifySignature checks Discord's Ed25519 signature over timestamp+body
// and that the timestamp is within five minutes of now.
func verifySignature(key ed25519.PublicKey, h http.Header, body []byte, now time.Time) bool {
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	ts := h.Get("X-Signature-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(secs, 0))
	if age > maxSignatureAge || age < -maxSignatureAge {
		return false
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return ed25519.Verify(key, msg, sig)
}

// fresh records the request's signature until it expires and reports
// whether it was new. Call it after verifySignature.
func (e *InteractionHandler) fresh(r *http.Request) bool {
	secs, _ := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	until := time.Unix(secs, 0).Add(maxSignatureAge)
	sig, _ := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
	return e.replays.Fresh(r.Context(), sig, until, e.now())
}
