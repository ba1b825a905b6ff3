package discord

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

const (
	// tokenLifetime is how long an interaction token accepts follow-ups.
	tokenLifetime = 15 * time.Minute
	flagEphemeral = 1 << 6
)

// Interaction response types.
const (
	respPong         = 1
	respMessage      = 4
	respDeferred     = 5
	respAutocomplete = 8
)

// response is an interaction response (the initial answer).
type response struct {
	Type int `json:"type"`
	Data any `json:"data,omitempty"`
}

type choice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// interactions answers interactions, from the HTTP endpoint or the gateway:
// one logic, two ways in. Commands go through the bot's reply path
// (bot.Replies: quick path, deadline, panics, shutdown); this package only
// carries their answers.
type interactions struct {
	replies   *bot.Replies
	suggester Suggester
	ephemeral bool
	rest      *rest  // follow-ups; no bot token needed
	appID     string // "" to use the interaction's
	log       *slog.Logger
}

func newInteractions(h bot.Handler, s Suggester, inChannel bool, wait time.Duration, r *rest, appID string, log *slog.Logger) *interactions {
	if wait <= 0 {
		wait = bot.DefaultInlineWait // Discord wants an answer within 3 seconds
	}
	return &interactions{
		replies: &bot.Replies{Handler: h, InlineWait: wait, Timeout: tokenLifetime,
			Silence: &bot.Reply{Text: "Nothing to show."}, Logger: log},
		suggester: s, ephemeral: !inChannel, rest: r, appID: appID, log: log,
	}
}

// errUnsupported is returned by serve for an interaction type it does not
// answer.
var errUnsupported = errors.New("discord: unsupported interaction type")

// serve answers i. send delivers the initial response (the HTTP response's
// body, or a REST callback for the gateway); its error is returned.
func (x *interactions) serve(ctx context.Context, i *discordgo.Interaction, send func(context.Context, *response) error) error {
	switch i.Type {
	case discordgo.InteractionPing:
		return send(ctx, &response{Type: respPong})
	case discordgo.InteractionApplicationCommandAutocomplete:
		return send(ctx, x.autocomplete(ctx, i))
	case discordgo.InteractionApplicationCommand:
		return x.replies.Serve(ctx, commandFrom(i), &transport{x: x, i: i, send: send, private: x.ephemeral})
	case discordgo.InteractionMessageComponent:
		// A Share button or menu: the command runs like a typed one and
		// only the presser sees the answer.
		c, ok := componentCommand(i)
		if !ok {
			x.log.LogAttrs(ctx, slog.LevelInfo, "discord_unknown_component", slog.String("interaction", i.ID))
			return send(ctx, &response{Type: respMessage, Data: x.messageData(unknownComponent, true)})
		}
		return x.replies.Serve(ctx, c, &transport{x: x, i: i, send: send, private: true})
	}
	return errUnsupported
}

// autocomplete answers with the suggester's completions of the option being
// typed: at most 25, each at most 100 characters.
func (x *interactions) autocomplete(ctx context.Context, i *discordgo.Interaction) *response {
	choices := []choice{}
	if x.suggester != nil {
		ctx, cancel := context.WithTimeout(ctx, x.replies.InlineWait)
		defer cancel()
		names, err := x.suggester.Suggest(ctx, focused(i), maxChoices)
		if err != nil {
			x.log.LogAttrs(ctx, slog.LevelWarn, "discord_autocomplete_failed", slog.Any("error", err))
		}
		seen := map[string]bool{}
		for _, n := range names {
			n = oneLine(strings.ToValidUTF8(n, ""))
			if n == "" || textLen(n) > maxChoiceName || seen[n] {
				continue
			}
			seen[n] = true
			choices = append(choices, choice{Name: n, Value: n})
			if len(choices) == maxChoices {
				break
			}
		}
	}
	return &response{Type: respAutocomplete, Data: map[string]any{"choices": choices}}
}

// messageData renders a reply as interaction message data: ephemeral when
// private (or the reply is Private), and then with a Share button for each
// story it shows. A reply seen by the whole channel has no buttons.
func (x *interactions) messageData(r bot.Reply, private bool) messagePayload {
	d := messagePayload{Embeds: RenderReply(r), AllowedMentions: noMentions()}
	if private || r.Private {
		d.Flags = flagEphemeral
		d.Components = shareComponents(shownSections(r))
	}
	return d
}

// transport is the bot.ReplyTransport of one command interaction: the
// initial response carries the first answer or defers ("thinking…"); the
// first answer after that edits the deferred response, later ones are
// follow-up messages.
type transport struct {
	x    *interactions
	i    *discordgo.Interaction
	send func(context.Context, *response) error
	// private: the answers are ephemeral (replies: ephemeral, or a
	// component's answer, which only the presser sees).
	private bool
}

// Inline implements bot.ReplyTransport.
func (t *transport) Inline(ctx context.Context, r *bot.Reply) error {
	if r == nil {
		r = &bot.Reply{Text: "Nothing to show."}
	}
	return t.send(ctx, &response{Type: respMessage, Data: t.x.messageData(*r, t.private)})
}

// Defer implements bot.ReplyTransport.
func (t *transport) Defer(ctx context.Context) error {
	var data any
	if t.private {
		data = map[string]int{"flags": flagEphemeral}
	}
	return t.send(ctx, &response{Type: respDeferred, Data: data})
}

// FollowUp implements bot.ReplyTransport.
func (t *transport) FollowUp(ctx context.Context, r bot.Reply, first bool) error {
	if first {
		return t.editOriginal(ctx, r)
	}
	return t.followUp(ctx, r)
}

func (t *transport) webhookPath() string {
	app := t.x.appID
	if app == "" {
		app = t.i.AppID
	}
	return "webhooks/" + app + "/" + t.i.Token
}

// editOriginal replaces the deferred response with the reply.
func (t *transport) editOriginal(ctx context.Context, r bot.Reply) error {
	d := t.x.messageData(r, t.private)
	d.Flags = 0 // an edit cannot change flags
	if !t.private {
		d.Components = nil // the deferred response is in the channel: no buttons
	}
	return t.x.rest.do(ctx, call{method: http.MethodPatch, path: t.webhookPath() + "/messages/@original",
		body: d, interaction: true, what: "edit response to interaction " + t.i.ID}, nil)
}

// followUp sends a further message after the response.
func (t *transport) followUp(ctx context.Context, r bot.Reply) error {
	return t.x.rest.do(ctx, call{method: http.MethodPost, path: t.webhookPath(),
		body: t.x.messageData(r, t.private), interaction: true, what: "follow up interaction " + t.i.ID}, nil)
}
