package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"digestbot/bot"
)

// Over Socket Mode as over HTTP, a panicking handler costs its own answer,
// never the process: the ack or response_url carries the error reply, the
// log the stack.
func TestSocketCommandPanicIsAnswered(t *testing.T) {
	sink, posted := responseSink(t)
	var logs bytes.Buffer
	c, err := New(Options{Token: testToken, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sc := slack.SlashCommand{Command: "/digest", Text: "latest", UserID: "U1", ChannelID: "C1", ResponseURL: sink.URL + "/r"}
	req := socketmode.Request{EnvelopeID: "env", Type: "slash_commands"}

	boom := bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { panic("handler bug") })
	d := newDispatcher(boom, false, time.Minute, sink.Client(), allowHost(sink), c.log)
	ack := &fakeAcker{got: make(chan struct{}, 1)}
	c.serveSocketCommand(context.Background(), ack, d, req, sc)
	<-ack.got
	b, _ := json.Marshal(ack.acks[0])
	if !strings.Contains(string(b), "Something went wrong") {
		t.Errorf("ack = %s, want the error reply", b)
	}

	release := make(chan struct{})
	late := bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { <-release; panic("late bug") })
	d = newDispatcher(late, false, time.Nanosecond, sink.Client(), allowHost(sink), c.log)
	ack = &fakeAcker{got: make(chan struct{}, 1)}
	c.serveSocketCommand(context.Background(), ack, d, req, sc)
	<-ack.got
	close(release)
	if p := <-posted; !strings.Contains(p["text"].(string), "Something went wrong") {
		t.Errorf("response_url got %v, want the error reply", p)
	}
	if err := d.replies.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "handler bug") || !strings.Contains(l, "late bug") || !strings.Contains(l, "stack=") {
		t.Errorf("log %q: want both panics with their stacks", l)
	}
}
