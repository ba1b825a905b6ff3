package slack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/bot"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

var testNow = time.Unix(1700000000, 0)

func commandBody(text, responseURL string) string {
	v := url.Values{
		"token":        {"legacy-verification-token"},
		"team_id":      {"T1"},
		"channel_id":   {"C0CHAN"},
		"user_id":      {"U0USER"},
		"command":      {"/digest"},
		"text":         {text},
		"response_url": {responseURL},
		"trigger_id":   {"1.2.3"},
	}
	return v.Encode()
}

func signedRequest(secret string, ts time.Time, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sts := strconv.FormatInt(ts.Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", sts)
	r.Header.Set("X-Slack-Signature", Sign(secret, sts, []byte(body)))
	return r
}

// replyHandler answers every command at once with a reply naming it.
func replyHandler(got chan<- bot.Command) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
		if got != nil {
			got <- c
		}
		_ = w.Respond(ctx, bot.Reply{Title: "Latest issue", Text: "Answer to " + c.Name + " " + c.Args,
			Sections: []bot.Section{{Title: "Issue 42", URL: "https://news.example.org/42", Meta: "14 March 2025", Text: "Pier reopens."}}})
	})
}

func TestCommandSignatures(t *testing.T) {
	body := commandBody("latest", "https://hooks.slack.com/commands/T1/1/abc")
	stale := testNow.Add(-6 * time.Minute)
	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"valid", func() *http.Request { return signedRequest(testSecret, testNow, body) }, http.StatusOK},
		{"valid, clock 4 minutes behind", func() *http.Request { return signedRequest(testSecret, testNow.Add(4*time.Minute), body) }, http.StatusOK},
		{"wrong secret", func() *http.Request { return signedRequest("not-the-secret", testNow, body) }, http.StatusUnauthorized},
		{"stale", func() *http.Request { return signedRequest(testSecret, stale, body) }, http.StatusUnauthorized},
		{"from the future", func() *http.Request { return signedRequest(testSecret, testNow.Add(6*time.Minute), body) }, http.StatusUnauthorized},
		{"missing headers", func() *http.Request {
			r := signedRequest(testSecret, testNow, body)
			r.Header.Del("X-Slack-Signature")
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"missing timestamp", func() *http.Request {
			r := signedRequest(testSecret, testNow, body)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"old signature with a new timestamp", func() *http.Request {
			r := signedRequest(testSecret, stale, body)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(testNow.Unix(), 10))
			return r
		}, http.StatusUnauthorized},
		{"tampered body", func() *http.Request {
			r := signedRequest(testSecret, testNow, body)
			r.Body = io.NopCloser(strings.NewReader(commandBody("search secrets", "https://hooks.slack.com/x")))
			return r
		}, http.StatusUnauthorized},
		{"not hex", func() *http.Request {
			r := signedRequest(testSecret, testNow, body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, http.StatusUnauthorized},
		{"no v0 prefix", func() *http.Request {
			r := signedRequest(testSecret, testNow, body)
			r.Header.Set("X-Slack-Signature", strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}, http.StatusUnauthorized},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/slack/commands", nil) }, http.StatusMethodNotAllowed},
		{"too large", func() *http.Request {
			return signedRequest(testSecret, testNow, body+"&pad="+strings.Repeat("a", 70<<10))
		}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			h := NewCommandHandler(CommandOptions{
				SigningSecret: testSecret,
				Handler: bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
					calls.Add(1)
					_ = w.Respond(ctx, bot.Reply{Text: "ok"})
				}),
				Now:        func() time.Time { return testNow },
				InlineWait: time.Minute,
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req())
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.want, rec.Body.String())
			}
			wantCalls := int32(0)
			if tt.want == http.StatusOK {
				wantCalls = 1
			}
			if got := calls.Load(); got != wantCalls {
				t.Errorf("handler called %d times, want %d", got, wantCalls)
			}
		})
	}
}

func TestCommandReplayRefused(t *testing.T) {
	var calls atomic.Int32
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { calls.Add(1) }),
		Now:           func() time.Time { return testNow },
	})
	body := commandBody("latest", "")
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedRequest(testSecret, testNow, body))
		if rec.Code != want {
			t.Errorf("request %d: status %d, want %d", i, rec.Code, want)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
}

func TestCommandNoSecretRefusesAll(t *testing.T) {
	h := NewCommandHandler(CommandOptions{Handler: replyHandler(nil), Now: func() time.Time { return testNow }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest("", testNow, commandBody("latest", "")))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", rec.Code)
	}
}

func TestCommandInlineReply(t *testing.T) {
	for _, inChannel := range []bool{false, true} {
		t.Run("in_channel="+strconv.FormatBool(inChannel), func(t *testing.T) {
			got := make(chan bot.Command, 1)
			h := NewCommandHandler(CommandOptions{
				SigningSecret: testSecret, Handler: replyHandler(got), InChannel: inChannel,
				Now: func() time.Time { return testNow }, InlineWait: time.Minute,
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("  Search  <!here> pier ", "https://hooks.slack.com/x")))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			c := <-got
			want := bot.Command{Name: "search", Args: "<!here> pier", Platform: "slack", User: "U0USER", Channel: "C0CHAN"}
			if c != want {
				t.Errorf("command = %+v, want %+v", c, want)
			}
			var p struct {
				ResponseType string           `json:"response_type"`
				Text         string           `json:"text"`
				Blocks       []map[string]any `json:"blocks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			wantType := "ephemeral"
			if inChannel {
				wantType = "in_channel"
			}
			if p.ResponseType != wantType || p.Text == "" || len(p.Blocks) == 0 {
				t.Errorf("reply = %+v, want response_type %s with text and blocks", p, wantType)
			}
			if strings.Contains(rec.Body.String(), "<!here>") || strings.Contains(rec.Body.String(), `\u003c!here`) {
				t.Errorf("user text echoed unescaped: %s", rec.Body.String())
			}
		})
	}
}

// responseSink is a stand-in for Slack's response_url endpoint.
func responseSink(t *testing.T) (*httptest.Server, chan map[string]any) {
	t.Helper()
	got := make(chan map[string]any, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			t.Errorf("response_url body: %v", err)
		}
		got <- v
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func allowHost(srv *httptest.Server) func(*url.URL) bool {
	host := strings.TrimPrefix(srv.URL, "http://")
	return func(u *url.URL) bool { return u.Host == host }
}

func TestCommandSlowHandlerUsesResponseURL(t *testing.T) {
	sink, posted := responseSink(t)
	release := make(chan struct{})
	respondErr := make(chan error, 1)
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler: bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
			<-release
			respondErr <- w.Respond(ctx, bot.Reply{Title: "Search results", Text: "Found 1."})
		}),
		Now:              func() time.Time { return testNow },
		InlineWait:       time.Millisecond,
		ResponseClient:   sink.Client(),
		AllowResponseURL: allowHost(sink),
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("search pier", sink.URL+"/commands/T1/1/abc")))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), workingText) {
		t.Fatalf("ack = %d %q, want 200 with %q", rec.Code, rec.Body.String(), workingText)
	}
	close(release)
	if err := <-respondErr; err != nil {
		t.Fatalf("Respond: %v", err)
	}
	p := <-posted
	if p["response_type"] != "ephemeral" || p["blocks"] == nil {
		t.Errorf("response_url got %v", p)
	}
}

func TestCommandResponseURLMustBeSlack(t *testing.T) {
	sink, posted := responseSink(t)
	release := make(chan struct{})
	respondErr := make(chan error, 1)
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler: bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
			<-release
			respondErr <- w.Respond(ctx, bot.Reply{Text: "late"})
		}),
		Now:            func() time.Time { return testNow },
		InlineWait:     time.Millisecond,
		ResponseClient: sink.Client(),
		// default check: https on slack.com only
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("latest", sink.URL+"/steal")))
	close(release)
	if err := <-respondErr; err == nil {
		t.Error("Respond to a non-Slack response_url succeeded")
	}
	select {
	case p := <-posted:
		t.Errorf("posted to a non-Slack URL: %v", p)
	default:
	}
	for _, tt := range []struct {
		u    string
		want bool
	}{
		{"https://hooks.slack.com/commands/1", true},
		{"https://slack.com/x", true},
		{"http://hooks.slack.com/commands/1", false},
		{"https://hooks.slack.com.evil.example/x", false},
		{"https://evilslack.com/x", false},
		{"https://u:p@hooks.slack.com/x", false},
	} {
		u, _ := url.Parse(tt.u)
		if got := SlackResponseURL(u); got != tt.want {
			t.Errorf("SlackResponseURL(%s) = %v, want %v", tt.u, got, tt.want)
		}
	}
}

func TestCommandHandlerWithoutAnswer(t *testing.T) {
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) {}),
		Now:           func() time.Time { return testNow },
		InlineWait:    time.Minute,
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("latest", "")))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("got %d %q, want 200 and an empty body", rec.Code, rec.Body.String())
	}
}

func TestCommandHandlerPanicAnswersError(t *testing.T) {
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret,
		Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { panic("boom") }),
		Now:           func() time.Time { return testNow },
		InlineWait:    time.Minute,
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("latest", "")))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Something went wrong") {
		t.Errorf("got %d %q, want an error reply", rec.Code, rec.Body.String())
	}
}

func TestCommandSSLCheck(t *testing.T) {
	h := NewCommandHandler(CommandOptions{SigningSecret: testSecret, Handler: replyHandler(nil), Now: func() time.Time { return testNow }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(testSecret, testNow, "ssl_check=1&token=x"))
	if rec.Code != http.StatusOK {
		t.Errorf("ssl_check status %d", rec.Code)
	}
}

func FuzzCommandRequest(f *testing.F) {
	f.Add(commandBody("latest", "https://hooks.slack.com/x"), "1700000000", "v0=00")
	f.Add("text=%ZZ", "x", "")
	f.Fuzz(func(t *testing.T, body, ts, sig string) {
		var calls atomic.Int32
		h := NewCommandHandler(CommandOptions{
			SigningSecret: testSecret,
			Handler:       bot.HandlerFunc(func(context.Context, bot.Responder, bot.Command) { calls.Add(1) }),
			Now:           func() time.Time { return testNow },
		})
		r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusUnauthorized || calls.Load() != 0 {
			t.Errorf("forged request got %d and %d handler calls", rec.Code, calls.Load())
		}
	})
}

// A shared reply (bot.Reply.Key set) is rendered once and reused; a reply
// with another Key, or none, is rendered from its own content.
func TestCommandSharedReplyRenderedOnce(t *testing.T) {
	var reply atomic.Value
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret, Now: func() time.Time { return testNow }, InlineWait: time.Minute,
		Handler: bot.HandlerFunc(func(ctx context.Context, w bot.Responder, c bot.Command) {
			_ = w.Respond(ctx, reply.Load().(bot.Reply))
		}),
	})
	ask := func(i int) string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody("search pier "+strconv.Itoa(i), "https://hooks.slack.com/x")))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
			t.Errorf("Content-Length %s, body %s bytes", got, want)
		}
		return rec.Body.String()
	}
	reply.Store(bot.Reply{Title: "Search: pier", Text: "first answer", Key: "search/1"})
	first := ask(1)
	if !strings.Contains(first, "first answer") {
		t.Fatalf("first reply %s", first)
	}
	// Same Key: the adapter may reuse its rendering (the bot promises the
	// content is identical, so a different Text here proves the reuse).
	reply.Store(bot.Reply{Title: "Search: pier", Text: "changed answer", Key: "search/1"})
	if got := ask(2); got != first {
		t.Errorf("same Key rendered anew: %s", got)
	}
	reply.Store(bot.Reply{Title: "Search: pier", Text: "second answer", Key: "search/2"})
	if got := ask(3); !strings.Contains(got, "second answer") {
		t.Errorf("new Key served an old rendering: %s", got)
	}
	reply.Store(bot.Reply{Title: "Search: pier", Text: "unshared answer"})
	if got := ask(4); !strings.Contains(got, "unshared answer") {
		t.Errorf("reply without Key: %s", got)
	}
}

// A handler's quick path (bot.Quick) answers inline without the full
// handler; when it declines or panics, the full handler runs.
func TestCommandQuickPath(t *testing.T) {
	full := make(chan bot.Command, 4)
	quickCalls := 0
	h := NewCommandHandler(CommandOptions{
		SigningSecret: testSecret, Now: func() time.Time { return testNow }, InlineWait: time.Minute,
		Handler: bot.WithQuick(replyHandler(full), func(c bot.Command) (bot.Reply, bool) {
			quickCalls++
			switch c.Args {
			case "cached":
				return bot.Reply{Text: "from memory"}, true
			case "boom":
				panic("quick path bug")
			}
			return bot.Reply{}, false
		}),
	})
	for i, tc := range []struct{ text, want string }{
		{"search cached", "from memory"},
		{"search fresh", "Answer to search fresh"},
		{"search boom", "Answer to search boom"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedRequest(testSecret, testNow, commandBody(tc.text, "https://hooks.slack.com/"+strconv.Itoa(i))))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%q: %d %s, want %q", tc.text, rec.Code, rec.Body, tc.want)
		}
	}
	if quickCalls != 3 {
		t.Errorf("quick path asked %d times, want 3", quickCalls)
	}
	close(full)
	var ran []string
	for c := range full {
		ran = append(ran, c.Args)
	}
	if strings.Join(ran, ",") != "fresh,boom" {
		t.Errorf("full handler ran for %v, want fresh and boom", ran)
	}
}
