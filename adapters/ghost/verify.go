// Package ghost receives a Ghost site's webhooks: it verifies their
// signature (X-Ghost-Signature), refuses replays and stale requests, tells
// the events apart from the payload alone (Ghost does not name the event)
// and hands each one, as a bot.PushEvent, to the bot, which records it
// before the request is answered. It also reads posts from Ghost's Content
// API for backfill.
//
// The payload carries the authors' email addresses: it is never logged,
// never stored; only the issue built from the post is.
package ghost

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// MaxSkew is how far a signed request's timestamp may be from now.
const MaxSkew = 5 * time.Minute

// Verification failures. Every one is answered 401.
var (
	ErrNoSignature  = errors.New("no X-Ghost-Signature header")
	ErrMalformed    = errors.New("malformed X-Ghost-Signature header (want sha256=<64 hex>, t=<milliseconds>)")
	ErrBadSignature = errors.New("signature matches no configured secret")
	ErrLegacy       = errors.New("signed the pre-2024 way (body only, timestamp unsigned): upgrade Ghost, or set ghost.legacy_signatures: true")
	ErrStale        = errors.New("timestamp more than 5 minutes away from now")
	ErrReplay       = errors.New("request already received (replay)")
)

// Signature is a parsed X-Ghost-Signature header.
type Signature struct {
	MAC []byte // the HMAC-SHA256, 32 bytes
	T   string // the timestamp digits as sent (milliseconds since the epoch)
}

// ParseSignature parses "sha256=<64 hex>, t=<digits>".
func ParseSignature(h string) (Signature, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return Signature{}, ErrNoSignature
	}
	var sig Signature
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Signature{}, ErrMalformed
		}
		switch k {
		case "sha256":
			if len(v) != 64 || sig.MAC != nil {
				return Signature{}, ErrMalformed
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				return Signature{}, ErrMalformed
			}
			sig.MAC = b
		case "t":
			if v == "" || len(v) > 16 || sig.T != "" {
				return Signature{}, ErrMalformed
			}
			for _, c := range v {
				if c < '0' || c > '9' {
					return Signature{}, ErrMalformed
				}
			}
			sig.T = v
		default:
			return Signature{}, ErrMalformed
		}
	}
	if sig.MAC == nil || sig.T == "" {
		return Signature{}, ErrMalformed
	}
	return sig, nil
}

// Time returns the signature's timestamp.
func (s Signature) Time() time.Time {
	ms, _ := strconv.ParseInt(s.T, 10, 64)
	return time.UnixMilli(ms)
}

// Key identifies the request for replay refusal: the MAC and the
// timestamp.
func (s Signature) Key() string {
	return "ghost:" + hex.EncodeToString(s.MAC) + ":" + s.T
}

// Sign returns the X-Ghost-Signature Ghost sends for body at t with
// secret: HMAC-SHA256 over the raw body followed directly by the
// timestamp's digits.
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.UnixMilli(), 10)
	return "sha256=" + hex.EncodeToString(mac(secret, body, ts)) + ", t=" + ts
}

// SignLegacy returns the header Ghost versions before mid-2024 sent: the
// HMAC over the body alone, the timestamp beside it unsigned.
func SignLegacy(secret string, body []byte, t time.Time) string {
	return "sha256=" + hex.EncodeToString(mac(secret, body, "")) + ", t=" + strconv.FormatInt(t.UnixMilli(), 10)
}

func mac(secret string, body []byte, ts string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	m.Write([]byte(ts))
	return m.Sum(nil)
}

// Verify checks a request's signature header against the secrets and
// returns the index of the secret that signed it. The timestamp must be
// within MaxSkew of now. The pre-2024 scheme is accepted only when legacy
// is set.
func Verify(header string, body []byte, secrets []string, now time.Time, legacy bool) (int, Signature, error) {
	sig, err := ParseSignature(header)
	if err != nil {
		return -1, sig, err
	}
	matched, legacyMatch := -1, false
	for i, s := range secrets {
		if s == "" {
			continue
		}
		if hmac.Equal(sig.MAC, mac(s, body, sig.T)) {
			matched = i
			break
		}
		if hmac.Equal(sig.MAC, mac(s, body, "")) {
			matched, legacyMatch = i, true
			break
		}
	}
	switch {
	case matched < 0:
		return -1, sig, ErrBadSignature
	case legacyMatch && !legacy:
		return -1, sig, ErrLegacy
	}
	if d := now.Sub(sig.Time()); d > MaxSkew || d < -MaxSkew {
		return -1, sig, ErrStale
	}
	return matched, sig, nil
}
