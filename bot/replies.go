package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// ReplyTransport carries one command's answers back to the platform that
// sent it. Each chat adapter implements it for each way commands arrive
// (Slack's HTTP endpoint and Socket Mode, Discord's interactions endpoint
// and gateway); Replies decides which method is called, and when.
//
// Inline and Defer return an error only when the platform cannot take
// further answers for the command (Discord: the initial response did not
// arrive, so no edit or follow-up is possible); failures a transport can
// live with it logs itself and reports nil. FollowUp's error goes back to
// the handler's Respond.
type ReplyTransport interface {
	// Inline answers the command's request itself. r is nil when the
	// handler ended without a word and Replies has no Silence: the
	// transport acknowledges the request with nothing. Called at most once,
	// on the goroutine that called Serve, before any other method.
	Inline(ctx context.Context, r *Reply) error
	// Defer acknowledges the request before any answer: the platform
	// shows that work is under way (Slack "Working on it…", Discord
	// "thinking…"). The answers follow through FollowUp.
	Defer(ctx context.Context) error
	// FollowUp sends an answer given after the request was acknowledged.
	// first is true for the command's first answer after Defer (Discord
	// edits its deferred response with it); later answers have it false.
	FollowUp(ctx context.Context, r Reply, first bool) error
}

// Defaults of Replies.
const (
	DefaultInlineWait   = 2 * time.Second
	DefaultReplyTimeout = 5 * time.Minute
	// ShutdownGrace is how long a stopping bot lets the answers under way
	// finish before it cancels them.
	ShutdownGrace = 15 * time.Second
)

// PanicReply is what the user sees when a handler panics before answering.
var PanicReply = Reply{Text: "Something went wrong; please try again later.", Error: true}

// closingReply answers commands that arrive while the bot shuts down.
var closingReply = Reply{Text: "The bot is restarting; please try again in a minute.", Error: true}

// Replies answers chat commands within a platform's deadline (Slack and
// Discord want a first answer within three seconds): it is the reply path
// every chat adapter shares, so that no adapter writes deadline code.
//
// For each command it asks the handler's quick path (Quick) on the
// caller's goroutine; failing that it runs the handler on a goroutine of
// its own, bounded by Timeout, and waits up to InlineWait for its first
// answer. An answer in time goes inline; otherwise the request is
// acknowledged (Defer) and the answers follow (FollowUp). A handler that
// panics is recovered: the user gets PanicReply, the log the stack, and
// the process lives on. Close waits for the handlers still running, so a
// server that shuts down does not cut their answers off.
//
// Set the fields before the first Serve; a Replies must not be copied
// after first use.
type Replies struct {
	Handler Handler
	// InlineWait is how long Serve waits for the handler's first answer
	// before acknowledging the request; 0 means DefaultInlineWait.
	InlineWait time.Duration
	// Timeout bounds a handler's run (its context ends then); 0 means
	// DefaultReplyTimeout. Discord's interaction tokens, for one, accept
	// answers for 15 minutes.
	Timeout time.Duration
	// Silence is the answer given for a handler that ends without a word;
	// nil for none: the request is acknowledged with nothing, and a
	// deferred one is left as it is.
	Silence *Reply
	// Logger receives panics (with their stacks); nil discards.
	Logger *slog.Logger

	once    sync.Once
	stop    context.Context // ends when Close gives up waiting
	cancel  context.CancelFunc
	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

func (p *Replies) init() {
	p.once.Do(func() { p.stop, p.cancel = context.WithCancel(context.Background()) })
}

func (p *Replies) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Serve answers c through t. It returns once the request has been
// answered or acknowledged, with the error of that first transport call;
// the handler may run on, answering through t.FollowUp. ctx is the
// request's: when it ends before the handler's first answer, the request
// is acknowledged at once. The handler's context keeps ctx's values but
// not its end: it ends after Timeout, or when Close gives up waiting.
func (p *Replies) Serve(ctx context.Context, c Command, t ReplyTransport) error {
	p.init()
	if p.Handler == nil {
		return errors.New("bot: Replies has no Handler")
	}
	if r, ok, err := AnswerQuick(p.Handler, c); err != nil {
		p.logPanic(ctx, c, err)
	} else if ok {
		return t.Inline(ctx, &r)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return t.Inline(ctx, &closingReply)
	}
	p.running.Add(1)
	p.mu.Unlock()

	rs := &replyState{t: t, first: make(chan Reply, 1), sent: make(chan struct{})}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout())
	stopped := context.AfterFunc(p.stop, cancel)
	done := make(chan struct{})
	go func() {
		defer p.running.Done()
		defer cancel()
		defer stopped()
		defer close(done)
		if err := ServeRecovered(hctx, p.Handler, rs, c); err != nil {
			p.logPanic(hctx, c, err)
			if !rs.hasAnswered() {
				_ = rs.Respond(hctx, PanicReply)
			}
		}
		rs.finish(hctx, p.Silence)
	}()

	timer := time.NewTimer(p.inlineWait())
	defer timer.Stop()
	var got *Reply
	select {
	case r := <-rs.first:
		got = &r
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
	}
	return rs.acknowledge(ctx, got, done, p.Silence)
}

func (p *Replies) inlineWait() time.Duration {
	if p.InlineWait > 0 {
		return p.InlineWait
	}
	return DefaultInlineWait
}

func (p *Replies) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultReplyTimeout
}

func (p *Replies) logPanic(ctx context.Context, c Command, err error) {
	logPanic(ctx, p.log(), c, err)
}

// logPanic logs a handler's recovered panic with its stack.
func logPanic(ctx context.Context, log *slog.Logger, c Command, err error) {
	attrs := []slog.Attr{slog.String("command", c.Name), slog.String("platform", c.Platform), slog.Any("error", err)}
	var pe *PanicError
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("stack", string(pe.Stack)))
	}
	log.LogAttrs(ctx, slog.LevelError, "command_panic", attrs...)
}

// Close stops taking commands (new ones are told to try again) and waits
// for the handlers still running. When ctx ends first, it cancels their
// contexts and returns ctx's error without waiting further.
func (p *Replies) Close(ctx context.Context) error {
	p.init()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		p.cancel()
		return ctx.Err()
	}
}

// CloseWithin closes p, letting its handlers run for d at most (or until
// ctx ends); the error is Close's. For deferred calls.
func CloseWithin(ctx context.Context, p *Replies, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return p.Close(ctx)
}

// replyState is the Responder of one command: its first answer goes
// inline while the request is open, later ones through FollowUp once the
// request has been answered or acknowledged.
type replyState struct {
	t     ReplyTransport
	first chan Reply    // the first answer, while the request is open; buffered, 1
	sent  chan struct{} // closed once the request was answered or acknowledged

	mu       sync.Mutex
	answered bool // the handler gave an answer (or the silence was sent)
	deferred bool // the request was acknowledged without an answer
	failed   bool // the first transport call failed: no follow-up possible
}

// Respond implements Responder.
func (rs *replyState) Respond(ctx context.Context, r Reply) error {
	rs.mu.Lock()
	first := !rs.answered
	rs.answered = true
	if first && !rs.deferred {
		rs.first <- r
		rs.mu.Unlock()
		return nil
	}
	rs.mu.Unlock()
	select {
	case <-rs.sent:
	case <-ctx.Done():
		return ctx.Err()
	}
	rs.mu.Lock()
	failed := rs.failed
	rs.mu.Unlock()
	if failed {
		return errors.New("bot: the command's request was not answered: no further answer possible")
	}
	return rs.t.FollowUp(ctx, r, first)
}

func (rs *replyState) hasAnswered() bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.answered
}

// acknowledge answers the request: with the first answer if there is one,
// with the silence if the handler is done without one, else by deferring.
func (rs *replyState) acknowledge(ctx context.Context, got *Reply, done <-chan struct{}, silence *Reply) error {
	rs.mu.Lock()
	deferred := false
	if got == nil {
		select {
		case r := <-rs.first: // answered just as the wait ended
			got = &r
		default:
			select {
			case <-done:
				// The handler ended without a word.
				rs.answered = true
				got = silence
			default:
				deferred = true
				rs.deferred = true
			}
		}
	}
	rs.mu.Unlock()
	var err error
	if deferred {
		err = rs.t.Defer(ctx)
	} else {
		err = rs.t.Inline(ctx, got)
	}
	rs.mu.Lock()
	rs.failed = err != nil
	rs.mu.Unlock()
	close(rs.sent)
	return err
}

// finish gives the silence for a deferred request the handler never
// answered.
func (rs *replyState) finish(ctx context.Context, silence *Reply) {
	rs.mu.Lock()
	pending := rs.deferred && !rs.answered && silence != nil
	rs.mu.Unlock()
	if pending {
		_ = rs.Respond(ctx, *silence)
	}
}

// PanicError is a panic recovered from a command handler.
type PanicError struct {
	Command string
	Value   any
	Stack   []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("command %q panicked: %v", e.Command, e.Value)
}

// ServeRecovered runs h for c and recovers a panic, returning it as a
// *PanicError with its stack: like net/http, a bad command costs its own
// answer, never the process.
func ServeRecovered(ctx context.Context, h Handler, w Responder, c Command) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Command: c.Name, Value: v, Stack: debug.Stack()}
		}
	}()
	h.ServeCommand(ctx, w, c)
	return nil
}
