package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
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
	// Seen, when set, keeps accepted signatures in the store, so that a
	// replay is refused after a restart and by other replicas too.
	Seen bot.SeenStore
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
// does no work. Close it on shutdown, after the HTTP server's Shutdown, to
// let the answers under way finish.
func NewCommandHandler(opts CommandOptions) *CommandHandler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	secret := []byte(opts.SigningSecret)
	return &CommandHandler{
		secret:  secret,
		macs:    sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }},
		now:     now,
		log:     log,
		replays: &bot.Replays{Platform: "slack", Store: opts.Seen, Logger: log},
		d:       newDispatcher(opts.Handler, opts.InChannel, opts.InlineWait, opts.ResponseClient, opts.AllowResponseURL, log),
	}
}

// CommandHandler is the http.Handler of POST /slack/commands.
type CommandHandler struct {
	secret []byte
	now    func() time.Time
	log    *slog.Logger
	d      *dispatcher

	macs    sync.Pool    // of HMAC-SHA256 keyed with secret
	replays *bot.Replays // shared by /slack/commands and /slack/interactions
}

// Errors of signature verification, for logs.
var (
	errNoSecret     = errors.New("no signing secret configured: set DIGESTBOT_SLACK_SIGNING_SECRET")
	errMissingSig   = errors.New("missing signature headers")
	errStale        = errors.New("timestamp outside the five-minute window")
	errBadSignature = errors.New("signature does not match")
	errReplayed     = errors.New("request replayed")
)

func (h *CommandHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, ok := h.readSigned(w, r, "slack_command_refused")
	if !ok {
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if h.d.replies.Handler == nil {
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
	_ = h.d.replies.Serve(r.Context(), cmd, httpTransport{followUp: followUp{d: h.d, url: sc.ResponseURL}, w: w})
}

// readSigned reads a signed form request from Slack, as both endpoints
// take them: POST only, at most maxCommandBody bytes, the signature
// verified (window, replays) before anything else is looked at, then the
// form parsed. When ok is false the response has been written (405, 413,
// 400, or 401 logged as refused).
func (h *CommandHandler) readSigned(w http.ResponseWriter, r *http.Request, refused string) (form url.Values, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := readBody(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return nil, false
	}
	if err := h.verify(r.Header, body); err != nil {
		h.log.Warn(refused, slog.Any("error", err), slog.String("remote_addr", r.RemoteAddr))
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	form, err = url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return nil, false
	}
	return form, true
}

// httpTransport answers a slash command over its HTTP request: inline in
// the response body, later to response_url.
type httpTransport struct {
	followUp
	w http.ResponseWriter
}

// Inline implements bot.ReplyTransport.
func (t httpTransport) Inline(_ context.Context, r *bot.Reply) error {
	if r == nil {
		t.w.WriteHeader(http.StatusOK)
		return nil
	}
	b, err := t.d.encode(*r)
	if err != nil {
		http.Error(t.w, "cannot encode reply", http.StatusInternalServerError)
		return nil // response_url takes further answers all the same
	}
	writeBody(t.w, b)
	return nil
}

// Defer implements bot.ReplyTransport.
func (t httpTransport) Defer(context.Context) error {
	writeJSON(t.w, t.d.working())
	return nil
}

// Close waits for the commands still being answered, until ctx ends (see
// bot.Replies.Close).
func (h *CommandHandler) Close(ctx context.Context) error { return h.d.replies.Close(ctx) }

// readBody reads the request body, at most maxCommandBody bytes, in one
// allocation when the length is declared.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxCommandBody)
	if n := r.ContentLength; n > 0 && n <= maxCommandBody {
		buf := make([]byte, n)
		got, err := io.ReadFull(body, buf)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil // shorter than declared: the signature check decides
		}
		return buf[:got], err
	}
	return io.ReadAll(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode reply", http.StatusInternalServerError)
		return
	}
	writeBody(w, b)
}

func writeBody(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	_, _ = w.Write(b)
}

var jsonContentType = []string{"application/json; charset=utf-8"}

// verify checks Slack's v0 signature over the timestamp and body, the
// timestamp's window and that the request was not seen before.
func (h *CommandHandler) verify(hdr http.Header, body []byte) error {
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
	mac := h.macs.Get().(hash.Hash)
	mac.Reset()
	var sum [sha256.Size]byte
	_, _ = io.WriteString(mac, "v0:")
	_, _ = io.WriteString(mac, ts)
	_, _ = io.WriteString(mac, ":")
	mac.Write(body)
	ok = hmac.Equal(mac.Sum(sum[:0]), got)
	h.macs.Put(mac)
	if !ok {
		return errBadSignature
	}
	// A request's context is not needed: the store's check has its own
	// deadline and must not be cut short by the client.
	if !h.replays.Fresh(context.Background(), got, at.Add(signatureWindow), now) {
		return errReplayed
	}
	return nil
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
