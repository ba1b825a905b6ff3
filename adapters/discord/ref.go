package discord

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// ref is the reference Publish returns for a message: the channel it is in
// (a thread's id for messages inside threads and forum posts), its id, and
// whether that channel is a thread. Serialised as "channel/message" or
// "channel/message/t".
//
// A lead's ref tells where its roundup goes: a lead in a text channel
// ("C/M") gets its thread started on M, whose id is M; a forum post's lead
// ("T/M/t") already is in its thread T.
type ref struct {
	channel, message string
	inThread         bool
}

func (r ref) String() string {
	s := r.channel + "/" + r.message
	if r.inThread {
		s += "/t"
	}
	return s
}

// thread is the thread a lead's roundup goes into.
func (r ref) thread() string {
	if r.inThread {
		return r.channel
	}
	return r.message
}

func parseRef(s string) (ref, error) {
	parts := strings.Split(s, "/")
	if (len(parts) == 2 || (len(parts) == 3 && parts[2] == "t")) &&
		isSnowflake(parts[0]) && isSnowflake(parts[1]) {
		return ref{channel: parts[0], message: parts[1], inThread: len(parts) == 3}, nil
	}
	return ref{}, fmt.Errorf("discord: message reference %q: want channel/message ids", cut(s, 60))
}

// messagePayload is the body of a message create or edit, by the bot or a
// webhook. discordgo's MessageSend has no nonce fields and sends
// allowed_mentions with extra members; this sends exactly what we mean.
type messagePayload struct {
	Content         string                    `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions allowedMentions           `json:"allowed_mentions"`
	Nonce           string                    `json:"nonce,omitempty"`
	EnforceNonce    bool                      `json:"enforce_nonce,omitempty"`
	ThreadName      string                    `json:"thread_name,omitempty"` // webhook into a forum
	Flags           int                       `json:"flags,omitempty"`
	// Components are a reply's Share buttons; omitted (left as they are
	// on an edit) when there are none.
	Components []discordgo.MessageComponent `json:"components,omitempty"`
}

// allowedMentions with an empty (not null) parse list: nobody is pinged,
// whatever the text says.
type allowedMentions struct {
	Parse []string `json:"parse"`
}

func noMentions() allowedMentions { return allowedMentions{Parse: []string{}} }

// nonceFor returns the delivery key as a Discord nonce (at most 25
// characters; longer keys are hashed).
func nonceFor(key string) string {
	if len(key) <= maxNonce {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "dk" + hex.EncodeToString(sum[:])[:22]
}

// threadName is a thread or forum post name made from a title.
func threadName(title string) string {
	name := cut(oneLine(plainText(title)), maxThreadName)
	if name == "" {
		return "Roundup"
	}
	return name
}
