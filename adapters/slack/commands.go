package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

const (
	maxCommandBody  = 64 << 10
	signatureWindow = 5 * time.Minute
)

// CommandOptions configures the slash command endpoint.
type CommandOptions struct {
	// SigningSecret is the app's signing secret (Basic Information page).
	// Required: without it every request is refused.
	SigningSecret string
	// Handler answers commands, usually a *bot.Mux. Required.
	Handler bot.Handler
	// InChannel makes answers visible to the whole channel; by default only
	// the user who typed the command sees them.
	InChannel bool
	// Logger receives refusals and failures; nil discards.
	Logger *slog.Logger
	// Now is the clock for the signature's time window; nil means time.Now.
	Now func() time.Time
	// InlineWait is how long to wait for the handler before acknowledging
	// and answering through response_url; 0 means 2.5 s (Slack allows 3 s).
	InlineWait time.Duration
	// ResponseClient posts late answers to response_url; nil means a client
	// with a 10 s timeout.
	ResponseClient *http.Client
	// AllowResponseURL checks response_url before anything is posted to it;
	// nil means SlackResponseURL (https on a slack.com host). For tests.
	AllowResponseURL func(*url.URL) bool
}

// NewCommandHandler returns the handler for Slack's slash command requests
// (mount it at POST /slack/commands). Every request must carry a valid
// Slack signature made in the last five minutes; any other gets 401 and
// does no work.
func NewCommandHandler(opts CommandOptions) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &commandHandler{
		secret: []byte(opts.SigningSecret),
		now:    now,
		log:    log,
		d:      newDispatcher(opts.Handler, opts.InChannel, opts.InlineWait, opts.ResponseClient, opts.AllowResponseURL, log),
		seen:   map[string]struct{}{},
	}
}

type commandHandler struct {
	secret []byte
	now    func() time.Time
	log    *slog.Logger
	d      *dispatcher

	mu   sync.Mutex
	seen map[string]struct{} // signatures accepted within the window
	// expiry lists seen signatures in the order they were accepted, with
	// when each may be forgotten (acceptance + 2 windows: monotonic, so
	// pruning pops from the front and costs O(1) per request).
	expiry []seenSig
}

// Errors of signature verification, for logs.
var (
	errNoSecret     = errors.New("no signing secret configured: set DIGESTBOT_SLACK_SIGNING_SECRET")
	errMissingSig   = errors.New("missing signature headers")
	errStale        = errors.New("timestamp outside the five-minute window")
	errBadSignature = errors.New("signature does not match")
	errReplayed     = errors.New("request replayed")
)

func (h *commandHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCommandBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	if err := h.verify(r.Header, body); err != nil {
		h.log.Warn("slack_command_refused", slog.Any("error", err), slog.String("remote_addr", r.RemoteAddr))
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if h.d.handler == nil {
		http.Error(w, "commands are not configured", http.StatusServiceUnavailable)
		return
	}
	sc := slack.SlashCommand{
		Text:        form.Get("text"),
		UserID:      form.Get("user_id"),
		ChannelID:   form.Get("channel_id"),
		ResponseURL: form.Get("response_url"),
		Command:     form.Get("command"),
	}
	cmd := commandFrom(sc)
	h.log.Debug("slack_command", slog.String("command", cmd.Name), slog.String("user", cmd.User), slog.String("channel", cmd.Channel))
	// The handler outlives this request when it is slow.
	kind, reply := h.d.run(context.WithoutCancel(r.Context()), cmd, sc.ResponseURL)
	switch kind {
	case ackReply:
		writeJSON(w, h.d.payload(reply))
	case ackWorking:
		writeJSON(w, h.d.working())
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// verify checks Slack's v0 signature over the timestamp and body, the
// timestamp's window and that the request was not seen before.
func (h *commandHandler) verify(hdr http.Header, body []byte) error {
	if len(h.secret) == 0 {
		return errNoSecret
	}
	sig := hdr.Get("X-Slack-Signature")
	ts := hdr.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return errMissingSig
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errStale
	}
	now := h.now()
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > signatureWindow || d < -signatureWindow {
		return errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return errBadSignature
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// A signature is valid while its timestamp is within one window of now,
	// so it can be forgotten two windows after it was accepted.
	for len(h.expiry) > 0 && now.After(h.expiry[0].until) {
		delete(h.seen, h.expiry[0].sig)
		h.expiry = h.expiry[1:]
	}
	if _, dup := h.seen[sig]; dup {
		return errReplayed
	}
	h.seen[sig] = struct{}{}
	h.expiry = append(h.expiry, seenSig{sig: sig, until: now.Add(2 * signatureWindow)})
	return nil
}

type seenSig struct {
	sig   string
	until time.Time
}

// Sign returns the X-Slack-Signature value Slack would send for body at
// timestamp ts (Unix seconds, as sent in X-Slack-Request-Timestamp). For
// tests and local tools.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
