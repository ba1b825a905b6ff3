package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

type recorder struct{ replies []Reply }

func (r *recorder) Respond(_ context.Context, rep Reply) error {
	r.replies = append(r.replies, rep)
	return nil
}

func TestParseCommand(t *testing.T) {
	tests := []struct{ in, name, args string }{
		{"", "", ""},
		{"latest", "latest", ""},
		{"  SEARCH  cambodia scams ", "search", "cambodia scams"},
		{"search\tcambodia", "search", "cambodia"},
		{"issue #12", "issue", "#12"},
	}
	for _, tt := range tests {
		c := ParseCommand(tt.in)
		if c.Name != tt.name || c.Args != tt.args {
			t.Errorf("ParseCommand(%q) = %q, %q; want %q, %q", tt.in, c.Name, c.Args, tt.name, tt.args)
		}
	}
}

func TestMuxRoutes(t *testing.T) {
	m := NewMux()
	var got []string
	m.HandleFunc("latest", "", "newest", func(_ context.Context, w Responder, c Command) { got = append(got, "latest:"+c.Args) })
	m.Fallback(HandlerFunc(func(_ context.Context, w Responder, c Command) { got = append(got, "fallback:"+c.Name) }))
	var observed []string
	m.Observe(func(platform, name string, _ time.Duration) { observed = append(observed, platform+"/"+name) })
	w := &recorder{}
	for _, text := range []string{"latest x", "nope", ""} {
		c := ParseCommand(text)
		c.Platform = "slack"
		m.ServeCommand(context.Background(), w, c)
	}
	if want := "latest:x fallback:nope fallback:"; strings.Join(got, " ") != want {
		t.Errorf("routed %q, want %q", strings.Join(got, " "), want)
	}
	if want := "slack/latest slack/ slack/"; strings.Join(observed, " ") != want {
		t.Errorf("observed %q, want %q", strings.Join(observed, " "), want)
	}
}

func TestMuxPanicsOnDuplicate(t *testing.T) {
	m := NewMux()
	m.HandleFunc("x", "", "", func(context.Context, Responder, Command) {})
	defer func() {
		if recover() == nil {
			t.Error("second registration of x did not panic")
		}
	}()
	m.HandleFunc("x", "", "", func(context.Context, Responder, Command) {})
}

func TestMuxWithoutFallback(t *testing.T) {
	w := &recorder{}
	NewMux().ServeCommand(context.Background(), w, Command{Name: "zap"})
	if len(w.replies) != 1 || !w.replies[0].Error || !strings.Contains(w.replies[0].Text, "zap") {
		t.Errorf("got %+v, want one error reply naming the command", w.replies)
	}
}

func TestAnswerQuick(t *testing.T) {
	plain := HandlerFunc(func(context.Context, Responder, Command) {})
	if _, ok, err := AnswerQuick(plain, Command{Name: "search"}); ok || err != nil {
		t.Errorf("handler without a quick path: ok %v, err %v", ok, err)
	}
	quick := WithQuick(plain, func(c Command) (Reply, bool) {
		if c.Args == "boom" {
			panic("bug")
		}
		return Reply{Text: c.Args}, c.Args != ""
	})
	if r, ok, err := AnswerQuick(quick, Command{Name: "search", Args: "x"}); !ok || err != nil || r.Text != "x" {
		t.Errorf("quick answer: %+v %v %v", r, ok, err)
	}
	if _, ok, err := AnswerQuick(quick, Command{Name: "search"}); ok || err != nil {
		t.Errorf("declined: ok %v, err %v", ok, err)
	}
	if _, ok, err := AnswerQuick(quick, Command{Name: "search", Args: "boom"}); ok || err == nil || !strings.Contains(err.Error(), `"search"`) {
		t.Errorf("panic: ok %v, err %v; want an error naming the command", ok, err)
	}
}
