package discord

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

const (
	// defaultInlineWait is how long a handler may take before the
	// interaction is deferred: Discord wants an answer within 3 seconds.
	defaultInlineWait = 2 * time.Second
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
// one logic, two ways in.
type interactions struct {
	handler   bot.Handler
	suggester Suggester
	ephemeral bool
	wait      time.Duration
	rest      *rest  // follow-ups; no bot token needed
	appID     string // "" to use the interaction's
	log       *slog.Logger
	bg        sync.WaitGroup // handlers still running after the initial answer
}

// answer decides the initial response to i. bg is the context the handler
// runs in: it may outlive ctx, the request's. The caller must call sent
// once the response has reached Discord (true) or failed to (false): a
// deferred handler waits for it before editing the response.
func (x *interactions) answer(ctx, bg context.Context, i *discordgo.Interaction) (resp *response, sent func(ok bool)) {
	noop := func(bool) {}
	switch i.Type {
	case discordgo.InteractionPing:
		return &response{Type: respPong}, noop
	case discordgo.InteractionApplicationCommandAutocomplete:
		return x.autocomplete(ctx, i), noop
	case discordgo.InteractionApplicationCommand:
		if r, ok := x.quick(commandFrom(i)); ok {
			return &response{Type: respMessage, Data: x.messageData(r)}, noop
		}
		return x.command(ctx, bg, i)
	}
	return nil, noop
}

// autocomplete answers with the suggester's completions of the option being
// typed: at most 25, each at most 100 characters.
func (x *interactions) autocomplete(ctx context.Context, i *discordgo.Interaction) *response {
	choices := []choice{}
	if x.suggester != nil {
		ctx, cancel := context.WithTimeout(ctx, x.wait)
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

// quick asks the handler for an answer from memory (bot.Quick) on the
// caller's goroutine: a cached search needs no goroutine, timer or
// follow-up bookkeeping.
func (x *interactions) quick(cmd bot.Command) (bot.Reply, bool) {
	r, ok, err := bot.AnswerQuick(x.handler, cmd)
	if err != nil {
		x.log.Error("discord_command_panic", slog.String("command", cmd.Name), slog.Any("error", err))
	}
	return r, ok
}

// command runs the handler. If it answers within the inline wait, its
// reply is the response; otherwise the response defers (Discord shows
// "thinking…") and the reply later edits it.
func (x *interactions) command(ctx, bg context.Context, i *discordgo.Interaction) (*response, func(bool)) {
	rs := &responder{x: x, i: i, first: make(chan bot.Reply, 1), sent: make(chan struct{})}
	cmd := commandFrom(i)
	hctx, cancel := context.WithTimeout(bg, tokenLifetime)
	done := make(chan struct{})
	x.bg.Add(1)
	go func() {
		defer x.bg.Done()
		defer cancel()
		defer close(done)
		x.handler.ServeCommand(hctx, rs, cmd)
		rs.finish(hctx)
	}()

	timer := time.NewTimer(x.wait)
	defer timer.Stop()
	var reply *bot.Reply
	select {
	case r := <-rs.first:
		reply = &r
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if reply == nil {
		select {
		case r := <-rs.first: // answered just as the wait ended
			reply = &r
		default:
		}
	}
	if reply != nil {
		return &response{Type: respMessage, Data: x.messageData(*reply)}, rs.markSent
	}
	if !rs.answered && isClosed(done) {
		// The handler ended without a word.
		rs.answered = true
		return &response{Type: respMessage, Data: x.messageData(bot.Reply{Text: "Nothing to show."})}, rs.markSent
	}
	rs.deferred = true
	var data any
	if x.ephemeral {
		data = map[string]int{"flags": flagEphemeral}
	}
	return &response{Type: respDeferred, Data: data}, rs.markSent
}

// messageData renders a reply as interaction message data.
func (x *interactions) messageData(r bot.Reply) messagePayload {
	d := messagePayload{Embeds: RenderReply(r), AllowedMentions: noMentions()}
	if x.ephemeral {
		d.Flags = flagEphemeral
	}
	return d
}

// responder is the bot.Responder a handler writes to. The first reply is
// the interaction's response (inline, or an edit of the deferred one);
// later replies are follow-up messages.
type responder struct {
	x        *interactions
	i        *discordgo.Interaction
	first    chan bot.Reply // the first reply, while the response is pending
	sent     chan struct{}  // closed once the initial response went out
	mu       sync.Mutex
	answered bool // the first reply was given
	deferred bool // the initial response was "deferred"
	failed   bool // the initial response did not reach Discord
}

func (rs *responder) markSent(ok bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if isClosed(rs.sent) {
		return
	}
	rs.failed = !ok
	close(rs.sent)
}

// Respond implements bot.Responder.
func (rs *responder) Respond(ctx context.Context, r bot.Reply) error {
	rs.mu.Lock()
	if !rs.answered {
		rs.answered = true
		if !rs.deferred {
			rs.first <- r
			rs.mu.Unlock()
			return nil
		}
		rs.mu.Unlock()
		return rs.editOriginal(ctx, r)
	}
	rs.mu.Unlock()
	return rs.followUp(ctx, r)
}

// finish completes a deferred response the handler never answered.
func (rs *responder) finish(ctx context.Context) {
	rs.mu.Lock()
	pending := rs.deferred && !rs.answered
	if pending {
		rs.answered = true
	}
	rs.mu.Unlock()
	if pending {
		if err := rs.editOriginal(ctx, bot.Reply{Text: "Nothing to show."}); err != nil {
			rs.x.log.LogAttrs(ctx, slog.LevelWarn, "discord_interaction_reply_failed", slog.Any("error", err))
		}
	}
}

// waitSent waits for the initial response before a follow-up call, which
// Discord would refuse earlier.
func (rs *responder) waitSent(ctx context.Context) error {
	select {
	case <-rs.sent:
	case <-ctx.Done():
		return ctx.Err()
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.failed {
		return errors.New("discord: the interaction's initial response failed: no follow-up possible")
	}
	return nil
}

func (rs *responder) webhookPath() string {
	app := rs.x.appID
	if app == "" {
		app = rs.i.AppID
	}
	return "webhooks/" + app + "/" + rs.i.Token
}

// editOriginal replaces the deferred response with the reply.
func (rs *responder) editOriginal(ctx context.Context, r bot.Reply) error {
	if err := rs.waitSent(ctx); err != nil {
		return err
	}
	d := rs.x.messageData(r)
	d.Flags = 0 // an edit cannot change flags
	return rs.x.rest.do(ctx, call{method: http.MethodPatch, path: rs.webhookPath() + "/messages/@original",
		body: d, what: "edit response to interaction " + rs.i.ID}, nil)
}

// followUp sends a further message after the response.
func (rs *responder) followUp(ctx context.Context, r bot.Reply) error {
	if err := rs.waitSent(ctx); err != nil {
		return err
	}
	return rs.x.rest.do(ctx, call{method: http.MethodPost, path: rs.webhookPath(),
		body: rs.x.messageData(r), what: "follow up interaction " + rs.i.ID}, nil)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
