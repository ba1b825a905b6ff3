package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTransport records what Replies sends, in order.
type fakeTransport struct {
	mu      sync.Mutex
	calls   []string
	later   chan string // each FollowUp, as it happens
	failAck bool
}

func newFakeTransport() *fakeTransport { return &fakeTransport{later: make(chan string, 10)} }

func (f *fakeTransport) add(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeTransport) got() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, " | ")
}

func (f *fakeTransport) Inline(_ context.Context, r *Reply) error {
	if r == nil {
		f.add("inline:nothing")
	} else {
		f.add("inline:" + r.Text)
	}
	if f.failAck {
		return errors.New("gone")
	}
	return nil
}

func (f *fakeTransport) Defer(context.Context) error {
	f.add("defer")
	if f.failAck {
		return errors.New("gone")
	}
	return nil
}

func (f *fakeTransport) FollowUp(_ context.Context, r Reply, first bool) error {
	s := "later:" + r.Text
	if first {
		s = "first:" + r.Text
	}
	f.add(s)
	f.later <- s
	return nil
}

func say(texts ...string) HandlerFunc {
	return func(ctx context.Context, w Responder, c Command) {
		for _, t := range texts {
			_ = w.Respond(ctx, Reply{Text: t})
		}
	}
}

func TestRepliesInline(t *testing.T) {
	p := &Replies{Handler: say("hello", "more"), InlineWait: time.Minute}
	tr := newFakeTransport()
	if err := p.Serve(context.Background(), Command{Name: "x"}, tr); err != nil {
		t.Fatal(err)
	}
	<-tr.later
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := tr.got(), "inline:hello | later:more"; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

func TestRepliesQuickPath(t *testing.T) {
	h := WithQuick(HandlerFunc(func(context.Context, Responder, Command) { t.Error("full handler ran") }),
		func(Command) (Reply, bool) { return Reply{Text: "cached"}, true })
	tr := newFakeTransport()
	p := &Replies{Handler: h}
	_ = p.Serve(context.Background(), Command{Name: "search"}, tr)
	if got := tr.got(); got != "inline:cached" {
		t.Errorf("sent %q", got)
	}
	// A quick path that panics is logged and the full handler answers.
	var log bytes.Buffer
	h = WithQuick(say("full"), func(Command) (Reply, bool) { panic("quick bug") })
	tr = newFakeTransport()
	p = &Replies{Handler: h, InlineWait: time.Minute, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	_ = p.Serve(context.Background(), Command{Name: "search"}, tr)
	_ = p.Close(context.Background())
	if got := tr.got(); got != "inline:full" || !strings.Contains(log.String(), "quick bug") {
		t.Errorf("sent %q, logged %q", got, log.String())
	}
}

func TestRepliesDeferred(t *testing.T) {
	release := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, w Responder, c Command) {
		<-release
		_ = w.Respond(ctx, Reply{Text: "one"})
		_ = w.Respond(ctx, Reply{Text: "two"})
	})
	p := &Replies{Handler: h, InlineWait: time.Nanosecond}
	tr := newFakeTransport()
	if err := p.Serve(context.Background(), Command{Name: "x"}, tr); err != nil {
		t.Fatal(err)
	}
	close(release)
	_ = p.Close(context.Background())
	if got, want := tr.got(), "defer | first:one | later:two"; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// The request's context ending (the client went away) acknowledges at
// once; the handler runs on with a context of its own.
func TestRepliesRequestEnds(t *testing.T) {
	release := make(chan struct{})
	var handlerErr error
	h := HandlerFunc(func(ctx context.Context, w Responder, c Command) {
		<-release
		handlerErr = ctx.Err()
		_ = w.Respond(ctx, Reply{Text: "late"})
	})
	p := &Replies{Handler: h, InlineWait: time.Hour}
	tr := newFakeTransport()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = p.Serve(ctx, Command{Name: "x"}, tr)
	close(release)
	_ = p.Close(context.Background())
	if got, want := tr.got(), "defer | first:late"; got != want || handlerErr != nil {
		t.Errorf("sent %q (want %q), handler's context %v", got, want, handlerErr)
	}
}

func TestRepliesSilence(t *testing.T) {
	nothing := HandlerFunc(func(context.Context, Responder, Command) {})
	t.Run("none: acknowledged with nothing", func(t *testing.T) {
		p := &Replies{Handler: nothing, InlineWait: time.Hour}
		tr := newFakeTransport()
		_ = p.Serve(context.Background(), Command{}, tr)
		if got := tr.got(); got != "inline:nothing" {
			t.Errorf("sent %q", got)
		}
	})
	t.Run("inline", func(t *testing.T) {
		p := &Replies{Handler: nothing, InlineWait: time.Hour, Silence: &Reply{Text: "Nothing to show."}}
		tr := newFakeTransport()
		_ = p.Serve(context.Background(), Command{}, tr)
		if got := tr.got(); got != "inline:Nothing to show." {
			t.Errorf("sent %q", got)
		}
	})
	t.Run("after deferring", func(t *testing.T) {
		release := make(chan struct{})
		p := &Replies{Handler: HandlerFunc(func(context.Context, Responder, Command) { <-release }),
			InlineWait: time.Nanosecond, Silence: &Reply{Text: "Nothing to show."}}
		tr := newFakeTransport()
		_ = p.Serve(context.Background(), Command{}, tr)
		close(release)
		_ = p.Close(context.Background())
		if got := tr.got(); got != "defer | first:Nothing to show." {
			t.Errorf("sent %q", got)
		}
	})
}

// A panicking handler costs its own answer only: the user is told, the
// log has the stack, and Serve returns.
func TestRepliesPanic(t *testing.T) {
	for _, tt := range []struct {
		name string
		wait time.Duration
		h    HandlerFunc
		want string
	}{
		{"before answering, inline", time.Hour, func(context.Context, Responder, Command) { panic("boom") }, "inline:" + PanicReply.Text},
		{"after answering", time.Hour, func(ctx context.Context, w Responder, c Command) {
			_ = w.Respond(ctx, Reply{Text: "partial"})
			panic("boom")
		}, "inline:partial"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			p := &Replies{Handler: tt.h, InlineWait: tt.wait, Logger: slog.New(slog.NewTextHandler(&log, nil))}
			tr := newFakeTransport()
			_ = p.Serve(context.Background(), Command{Name: "latest", Platform: "test"}, tr)
			_ = p.Close(context.Background())
			if got := tr.got(); got != tt.want {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
			if l := log.String(); !strings.Contains(l, "command_panic") || !strings.Contains(l, "boom") || !strings.Contains(l, "replies_test.go") {
				t.Errorf("log %q: want the panic with its stack", l)
			}
		})
	}
	t.Run("after deferring", func(t *testing.T) {
		release := make(chan struct{})
		p := &Replies{Handler: HandlerFunc(func(context.Context, Responder, Command) { <-release; panic("boom") }), InlineWait: time.Nanosecond}
		tr := newFakeTransport()
		_ = p.Serve(context.Background(), Command{Name: "latest"}, tr)
		close(release)
		_ = p.Close(context.Background())
		if got, want := tr.got(), "defer | first:"+PanicReply.Text; got != want {
			t.Errorf("sent %q, want %q", got, want)
		}
	})
}

// Close waits for running handlers; when its context ends first, it
// cancels theirs. Commands after Close are told to come back.
func TestRepliesClose(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	p := &Replies{Handler: HandlerFunc(func(ctx context.Context, w Responder, c Command) {
		defer close(finished)
		select {
		case <-release:
			_ = w.Respond(ctx, Reply{Text: "done"})
		case <-ctx.Done():
		}
	}), InlineWait: time.Nanosecond}
	tr := newFakeTransport()
	_ = p.Serve(context.Background(), Command{}, tr)

	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while a handler ran", err)
	default:
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	<-finished
	if got := tr.got(); got != "defer | first:done" {
		t.Errorf("sent %q", got)
	}

	tr = newFakeTransport()
	_ = p.Serve(context.Background(), Command{}, tr)
	if got := tr.got(); got != "inline:"+closingReply.Text {
		t.Errorf("after Close: sent %q", got)
	}

	// A handler still running when Close's context ends is cancelled.
	finished = make(chan struct{})
	p2 := &Replies{Handler: HandlerFunc(func(ctx context.Context, w Responder, c Command) {
		defer close(finished)
		<-ctx.Done()
	}), InlineWait: time.Nanosecond}
	_ = p2.Serve(context.Background(), Command{}, newFakeTransport())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p2.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close = %v, want context.Canceled", err)
	}
	<-finished
}

// A failed acknowledgement means no follow-up can reach the user: later
// answers report an error instead of calling the transport.
func TestRepliesAckFailed(t *testing.T) {
	release := make(chan struct{})
	errs := make(chan error, 1)
	p := &Replies{Handler: HandlerFunc(func(ctx context.Context, w Responder, c Command) {
		<-release
		errs <- w.Respond(ctx, Reply{Text: "lost"})
	}), InlineWait: time.Nanosecond}
	tr := newFakeTransport()
	tr.failAck = true
	if err := p.Serve(context.Background(), Command{}, tr); err == nil {
		t.Error("Serve hid the failed acknowledgement")
	}
	close(release)
	if err := <-errs; err == nil {
		t.Error("Respond after a failed acknowledgement succeeded")
	}
	_ = p.Close(context.Background())
	if got := tr.got(); got != "defer" {
		t.Errorf("sent %q", got)
	}
}

// bot.Mux recovers its handlers' panics itself, as net/http's server does.
func TestMuxRecoversPanics(t *testing.T) {
	var log bytes.Buffer
	m := NewMux()
	m.SetLogger(slog.New(slog.NewTextHandler(&log, nil)))
	var observed []string
	m.Observe(func(platform, name string, _ time.Duration) { observed = append(observed, name) })
	m.HandleFunc("boom", "", "", func(context.Context, Responder, Command) { panic("kaboom") })
	m.HandleFunc("half", "", "", func(ctx context.Context, w Responder, c Command) {
		_ = w.Respond(ctx, Reply{Text: "partial"})
		panic("kaboom")
	})
	w := &recorder{}
	m.ServeCommand(context.Background(), w, Command{Name: "boom"})
	if len(w.replies) != 1 || w.replies[0].Text != PanicReply.Text {
		t.Errorf("replies %+v, want the panic reply", w.replies)
	}
	w = &recorder{}
	m.ServeCommand(context.Background(), w, Command{Name: "half"})
	if len(w.replies) != 1 || w.replies[0].Text != "partial" {
		t.Errorf("replies %+v, want only the handler's own answer", w.replies)
	}
	if l := log.String(); strings.Count(l, "command_panic") != 2 || !strings.Contains(l, "kaboom") || !strings.Contains(l, "stack=") {
		t.Errorf("log %q", l)
	}
	if strings.Join(observed, ",") != "boom,half" {
		t.Errorf("observed %v", observed)
	}
}
