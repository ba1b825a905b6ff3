package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Command is one "/digest ..." invocation, whatever platform it came from.
type Command struct {
	Name     string // first word, lowercased: "latest", "search"...; "" for none
	Args     string // the rest, trimmed
	Platform string // "slack", "discord", "console"
	User     string // platform user id, for logs
	Channel  string // platform channel id, for logs
	// The caller, as the platform tells it.
	UserName string // display name, for logs and "shared by"; "" when unknown
	// Admin is true when the caller may manage the bot's feeds: a Slack
	// workspace admin or owner, a Discord member with Manage Server or
	// Manage Channels, a user listed in slack.admins or discord.admins, or
	// the console. Adapters set it; Slack's only for AdminOnly commands.
	Admin bool
	// Button is true when the command comes from a pressed button (a
	// "Share in channel" button: Name ShareCommand), not typed text.
	Button bool
	// CannotPost is true when the platform says the caller may not post
	// messages in Channel (a Discord member without Send Messages there,
	// overwrites included, as in a read-only announcements channel): the
	// bot then posts nothing there on the caller's behalf (Share). The zero
	// value means "may post": Slack tells nothing of the kind, and the
	// console posts nowhere.
	CannotPost bool
}

// FromChat reports whether the command came from a chat platform, whose
// users and channels have ids (every platform but the console): only
// there can a user follow stories or a channel subscribe to a feed. A new
// chat platform needs no change here.
func (c Command) FromChat() bool { return c.Platform != "" && c.Platform != "console" }

// ParseCommand splits the text typed after "/digest" into a Command.
func ParseCommand(text string) Command {
	text = strings.TrimSpace(text)
	name, args, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(name, "\t\n\r"); i >= 0 {
		name, args = name[:i], name[i:]+" "+args
	}
	return Command{Name: strings.ToLower(name), Args: strings.TrimSpace(args)}
}

// Reply is a command's answer, described once and rendered by each
// platform's adapter (Block Kit, embeds, console text). Text is plain: the
// adapters escape it for their markup.
type Reply struct {
	Title    string    // a heading, plain text
	Text     string    // an introduction or the whole message, plain text
	Sections []Section // results: issues, hits, feeds, commands
	Note     string    // a footer, e.g. "Showing 5 of 23 results."
	Error    bool      // the command failed: adapters may style it as a warning
	// Private replies are shown to the caller only, even where command
	// answers are posted in the channel (replies: in_channel).
	Private bool
	// Key is set on replies that are shared, such as cached search answers:
	// two replies with the same non-empty Key are identical, so an adapter
	// may render one once and reuse the result. "" for one-off replies.
	Key string
}

// Section is one result inside a Reply.
type Section struct {
	Title string // plain text
	URL   string // where Title links to (http or https), "" for none
	Meta  string // a context line: date, part, status
	Text  string // body, plain text; paragraphs separated by blank lines
	Links []Link // further links, e.g. roundup items' sources
	// Bold lists byte ranges of Text to show in bold: the words a search
	// matched. Adapters that cut Text keep the ranges that remain whole.
	Bold []Range
	// Share names the story the section shows, for a "Share in channel"
	// button; the zero StoryRef for none.
	Share StoryRef
}

// Link is a labelled URL inside a Section.
type Link struct {
	Text  string
	URL   string
	Share StoryRef // the story the link stands for, for a Share button; zero for none
}

// Responder is how a handler answers. Each adapter implements it: inline
// response, response_url, interaction follow-up, stdout.
type Responder interface {
	Respond(ctx context.Context, r Reply) error
}

// ResponderFunc adapts a function to Responder.
type ResponderFunc func(ctx context.Context, r Reply) error

// Respond calls f.
func (f ResponderFunc) Respond(ctx context.Context, r Reply) error { return f(ctx, r) }

// Handler answers one command, like net/http's Handler.
type Handler interface {
	ServeCommand(ctx context.Context, w Responder, c Command)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, w Responder, c Command)

// ServeCommand calls f.
func (f HandlerFunc) ServeCommand(ctx context.Context, w Responder, c Command) { f(ctx, w, c) }

// Quick is implemented by handlers that can sometimes answer a command at
// once from memory, without I/O: a cached search, a malformed query.
// Adapters that must answer within a deadline (Slack's and Discord's three
// seconds) call ServeQuick on the request's own goroutine first, and start
// ServeCommand on a goroutine of their own, with a timer, only when it
// reports false. ServeQuick must not block.
type Quick interface {
	ServeQuick(c Command) (Reply, bool)
}

// AnswerQuick asks h for a quick answer when h has a quick path. A panic
// there is recovered and returned as err, a *PanicError (with ok false),
// so that the caller can log it and run the full handler, which answers
// either way.
func AnswerQuick(h Handler, c Command) (r Reply, ok bool, err error) {
	q, isQuick := h.(Quick)
	if !isQuick {
		return Reply{}, false, nil
	}
	defer func() {
		if p := recover(); p != nil {
			r, ok, err = Reply{}, false, &PanicError{Command: c.Name, Value: p, Stack: debug.Stack()}
		}
	}()
	r, ok = q.ServeQuick(c)
	return r, ok, nil
}

// WithQuick pairs a handler with its quick path: the result implements
// Handler and Quick.
func WithQuick(h Handler, quick func(c Command) (Reply, bool)) Handler {
	return quickHandler{Handler: h, quick: quick}
}

type quickHandler struct {
	Handler
	quick func(Command) (Reply, bool)
}

func (q quickHandler) ServeQuick(c Command) (Reply, bool) { return q.quick(c) }

// Mux routes commands by name, like net/http's ServeMux. Unknown and empty
// commands go to the fallback (help).
type Mux struct {
	mu       sync.RWMutex
	handlers map[string]muxEntry
	fallback Handler
	observe  func(platform, name string, d time.Duration)
	log      *slog.Logger
}

type muxEntry struct {
	h       Handler
	summary string
	usage   string
	hidden  bool // not listed by Commands: run by a button, never typed
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{handlers: map[string]muxEntry{}} }

// Handle registers h for the command name. usage shows the arguments
// ("<query>"), summary says what it does; both feed the help text. It
// panics if name is empty or already registered: a wiring bug to find at
// start-up.
func (m *Mux) Handle(name, usage, summary string, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if name == "" || h == nil {
		panic("bot: Mux.Handle needs a name and a handler")
	}
	if _, dup := m.handlers[name]; dup {
		panic(fmt.Sprintf("bot: command %q registered twice", name))
	}
	m.handlers[name] = muxEntry{h: h, summary: summary, usage: usage}
}

// HandleHidden registers h for the command name like Handle, but leaves
// it out of Commands (and so out of help): a command that buttons run,
// such as ShareCommand.
func (m *Mux) HandleHidden(name string, h Handler) {
	m.Handle(name, "", "", h)
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.handlers[name]
	e.hidden = true
	m.handlers[name] = e
}

// HandleFunc registers a function as the handler for name.
func (m *Mux) HandleFunc(name, usage, summary string, f func(ctx context.Context, w Responder, c Command)) {
	m.Handle(name, usage, summary, HandlerFunc(f))
}

// Fallback sets the handler for empty and unknown commands.
func (m *Mux) Fallback(h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fallback = h
}

// Observe sets a function called after every command with its platform,
// its name ("" for unknown) and how long it took: the metrics hook.
func (m *Mux) Observe(f func(platform, name string, d time.Duration)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observe = f
}

// SetLogger sets where recovered handler panics are logged (with their
// stacks); by default they are discarded.
func (m *Mux) SetLogger(l *slog.Logger) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = l
}

// CommandHelp describes one registered command.
type CommandHelp struct {
	Name, Usage, Summary string
}

// Commands lists the registered commands by name.
func (m *Mux) Commands() []CommandHelp {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]CommandHelp, 0, len(m.handlers))
	for name, e := range m.handlers {
		if !e.hidden {
			out = append(out, CommandHelp{Name: name, Usage: e.usage, Summary: e.summary})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ServeQuick implements Quick: it asks c's handler for a quick answer when
// that handler has a quick path.
func (m *Mux) ServeQuick(c Command) (Reply, bool) {
	m.mu.RLock()
	e, ok := m.handlers[c.Name]
	observe := m.observe
	m.mu.RUnlock()
	q, quick := e.h.(Quick)
	if !ok || !quick {
		return Reply{}, false
	}
	start := time.Now()
	r, ok := q.ServeQuick(c)
	if ok && observe != nil {
		observe(c.Platform, c.Name, time.Since(start))
	}
	return r, ok
}

// ServeCommand dispatches c to its handler. Like net/http's server, it
// recovers a handler's panic: the user gets PanicReply (unless the
// handler had answered), the log the stack, and the caller goes on.
func (m *Mux) ServeCommand(ctx context.Context, w Responder, c Command) {
	m.mu.RLock()
	e, ok := m.handlers[c.Name]
	fallback, observe, log := m.fallback, m.observe, m.log
	m.mu.RUnlock()
	start := time.Now()
	name := c.Name
	h := e.h
	switch {
	case ok:
	case fallback != nil:
		name, h = "", fallback
	default:
		name = ""
		h = HandlerFunc(func(ctx context.Context, w Responder, c Command) {
			_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("Unknown command %q.", c.Name), Error: true})
		})
	}
	tw := &trackedResponder{w: w}
	if err := ServeRecovered(ctx, h, tw, c); err != nil {
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		logPanic(ctx, log, c, err)
		if !tw.answered.Load() {
			_ = w.Respond(ctx, PanicReply)
		}
	}
	if observe != nil {
		observe(c.Platform, name, time.Since(start))
	}
}

// trackedResponder notes whether a handler answered.
type trackedResponder struct {
	w        Responder
	answered atomic.Bool
}

func (t *trackedResponder) Respond(ctx context.Context, r Reply) error {
	t.answered.Store(true)
	return t.w.Respond(ctx, r)
}

// TextParagraphs returns Text split into paragraphs at blank lines, with
// the Bold ranges as bold spans: what adapters render.
func (s Section) TextParagraphs() []Paragraph {
	var out []Paragraph
	text := s.Text
	for start := 0; start <= len(text); {
		end := strings.Index(text[start:], "\n\n")
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		if strings.TrimSpace(text[start:end]) != "" {
			out = append(out, Paragraph{Spans: boldSpans(text, start, end, s.Bold)})
		}
		start = end + 2
	}
	return out
}

// boldSpans cuts text[start:end] into spans, bold where a range covers it.
// Ranges that are out of order, out of bounds or split a character are
// ignored.
func boldSpans(text string, start, end int, bold []Range) []Span {
	var spans []Span
	at := start
	for _, r := range bold {
		a, b := max(r.Start, at), min(r.End, end)
		if a >= b || r.Start < 0 || r.End > len(text) || !utf8.RuneStart(text[a]) || (b < len(text) && !utf8.RuneStart(text[b])) {
			continue
		}
		if a > at {
			spans = append(spans, Span{Text: text[at:a]})
		}
		spans = append(spans, Span{Text: text[a:b], Bold: true})
		at = b
	}
	if at < end {
		spans = append(spans, Span{Text: text[at:end]})
	}
	return spans
}
