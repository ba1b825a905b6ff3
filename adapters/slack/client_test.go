package slack

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"digestbot/bot"
)

func TestPublishThreadLayout(t *testing.T) {
	f := newFakeSlack(t)
	clk := newFakeClock()
	c := newTestClient(t, f, clk)
	ctx := context.Background()
	is := testIssue()

	var parent string
	for _, p := range bot.PostsFor(is, bot.LayoutThread) {
		m := testMessage(is, bot.LayoutThread, p.Part, p.Item)
		m.ParentRef = parent
		ref, err := c.Publish(ctx, m)
		if err != nil {
			t.Fatalf("Publish %s %d: %v", p.Part, p.Item, err)
		}
		if p.Part == bot.PartLead {
			parent = ref
		}
	}
	posts := f.callsOf("chat.postMessage")
	if got, want := len(posts), 1+len(is.Roundup); got != want {
		t.Fatalf("postMessage calls = %d, want %d", got, want)
	}
	_, leadTS, _ := ParseRef(parent)
	for i, form := range posts {
		wantThread := leadTS
		if i == 0 {
			wantThread = ""
		}
		if got := form.Get("thread_ts"); got != wantThread {
			t.Errorf("post %d thread_ts = %q, want %q", i, got, wantThread)
		}
		var md struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(form.Get("metadata")), &md); err != nil {
			t.Fatalf("post %d metadata: %v", i, err)
		}
		part, item := bot.PartLead, 0
		if i > 0 {
			part, item = bot.PartRoundup, i-1
		}
		wantKey := testMessage(is, bot.LayoutThread, part, item).Key
		if md.EventType != "digest_post" || md.EventPayload["key"] != wantKey ||
			md.EventPayload["guid"] != is.GUID || md.EventPayload["part"] != string(part) || md.EventPayload["item"] != nil {
			t.Errorf("post %d metadata = %+v, want key %s part %s and no item index (it changes when a sibling goes)", i, md, wantKey, part)
		}
		if form.Get("blocks") == "" || form.Get("text") == "" {
			t.Errorf("post %d: blocks or text missing", i)
		}
		if form.Get("unfurl_links") != "false" || form.Get("parse") != "none" {
			t.Errorf("post %d: unfurl_links=%q parse=%q, want false and none", i, form.Get("unfurl_links"), form.Get("parse"))
		}
	}
	// Three posts to one channel: paced one second apart, without real sleeps.
	if got := clk.Sleeps(); len(got) != 2 || got[0] != time.Second || got[1] != time.Second {
		t.Errorf("pacing sleeps = %v, want [1s 1s]", got)
	}
}

func TestPublishSeparateAndCombinedAreTopLevel(t *testing.T) {
	for _, layout := range []bot.Layout{bot.LayoutSeparate, bot.LayoutCombined} {
		t.Run(string(layout), func(t *testing.T) {
			f := newFakeSlack(t)
			c := newTestClient(t, f, newFakeClock())
			is := testIssue()
			parent := ""
			for _, p := range bot.PostsFor(is, layout) {
				m := testMessage(is, layout, p.Part, p.Item)
				m.ParentRef = parent
				ref, err := c.Publish(context.Background(), m)
				if err != nil {
					t.Fatalf("Publish: %v", err)
				}
				parent = ref
			}
			want := 3
			if layout == bot.LayoutCombined {
				want = 2
			}
			posts := f.callsOf("chat.postMessage")
			if len(posts) != want {
				t.Fatalf("posts = %d, want %d", len(posts), want)
			}
			for i, p := range posts {
				if p.Get("thread_ts") != "" {
					t.Errorf("post %d has thread_ts %q in layout %s", i, p.Get("thread_ts"), layout)
				}
			}
		})
	}
}

func TestPublishRetryFindsEarlierPost(t *testing.T) {
	tests := []struct {
		name   string
		part   bot.Part
		thread bool
	}{
		{"lead in channel history", bot.PartLead, false},
		{"roundup in thread replies", bot.PartRoundup, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			c := newTestClient(t, f, newFakeClock())
			ctx := context.Background()
			is := testIssue()
			parent := ""
			if tt.thread {
				ref, err := c.Publish(ctx, testMessage(is, bot.LayoutThread, bot.PartLead, 0))
				if err != nil {
					t.Fatal(err)
				}
				parent = ref
			}
			m := testMessage(is, bot.LayoutThread, tt.part, 0)
			m.ParentRef = parent
			first, err := c.Publish(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			before := len(f.callsOf("chat.postMessage"))
			// The process "crashed" before recording first: retry.
			m.Retry = true
			again, err := c.Publish(ctx, m)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if again != first {
				t.Errorf("retry ref = %q, want the first post's %q", again, first)
			}
			if after := len(f.callsOf("chat.postMessage")); after != before {
				t.Errorf("postMessage calls went from %d to %d: posted twice", before, after)
			}
			method := "conversations.history"
			if tt.thread {
				method = "conversations.replies"
			}
			calls := f.callsOf(method)
			if len(calls) != 1 || calls[0].Get("include_all_metadata") != "1" {
				t.Errorf("%s calls = %v, want one with include_all_metadata=1", method, calls)
			}
		})
	}
}

func TestPublishRetryPostsWhenNotFound(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f, newFakeClock())
	is := testIssue()
	m := testMessage(is, bot.LayoutSeparate, bot.PartLead, 0)
	m.Retry = true
	if _, err := c.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := len(f.callsOf("chat.postMessage")); got != 1 {
		t.Errorf("postMessage calls = %d, want 1", got)
	}
}

func TestPublishRateLimited(t *testing.T) {
	t.Run("waits Retry-After then succeeds", func(t *testing.T) {
		f := newFakeSlack(t)
		clk := newFakeClock()
		c := newTestClient(t, f, clk)
		f.fail("chat.postMessage", failure{status: 429, retryAfter: "7"})
		ref, err := c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if ref == "" {
			t.Error("empty ref")
		}
		if got := clk.Sleeps(); len(got) != 1 || got[0] != 7*time.Second {
			t.Errorf("sleeps = %v, want [7s]", got)
		}
		if got := len(f.callsOf("chat.postMessage")); got != 2 {
			t.Errorf("calls = %d, want 2", got)
		}
	})
	t.Run("gives up after MaxRateLimitWaits", func(t *testing.T) {
		f := newFakeSlack(t)
		clk := newFakeClock()
		c, err := New(Options{Token: testToken, APIURL: f.url(), Now: clk.Now, Sleep: clk.Sleep, MaxRateLimitWaits: 2})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			f.fail("chat.postMessage", failure{status: 429, retryAfter: "30"})
		}
		_, err = c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0))
		after, ok := bot.RetryAfter(err)
		if !ok || after != 30*time.Second {
			t.Fatalf("err = %v, RetryAfter = %v %v; want a 30s RateLimitError", err, after, ok)
		}
		if errors.Is(err, bot.ErrPermanent) {
			t.Error("rate limit marked permanent")
		}
		if got := len(f.callsOf("chat.postMessage")); got != 3 {
			t.Errorf("calls = %d, want 3", got)
		}
	})
	t.Run("context cancelled while waiting", func(t *testing.T) {
		f := newFakeSlack(t)
		c, err := New(Options{Token: testToken, APIURL: f.url()}) // real clock
		if err != nil {
			t.Fatal(err)
		}
		f.fail("chat.postMessage", failure{status: 429, retryAfter: "3600"})
		ctx, cancel := context.WithCancel(context.Background())
		c.sleep = func(ctx context.Context, d time.Duration) error {
			if d > time.Minute {
				cancel()
			}
			return bot.Sleep(ctx, d)
		}
		_, err = c.Publish(ctx, testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestPublishErrors(t *testing.T) {
	tests := []struct {
		name      string
		fail      failure
		permanent bool
		contains  string
	}{
		{"server error", failure{status: 503}, false, "HTTP 503"},
		{"bad gateway", failure{status: 502}, false, "will retry"},
		{"not in channel", failure{code: "not_in_channel"}, true, "/invite @digestbot"},
		{"channel not found", failure{code: "channel_not_found"}, true, "invite the bot"},
		{"archived", failure{code: "is_archived"}, true, "archived"},
		{"revoked", failure{code: "token_revoked"}, true, "reinstall"},
		{"missing scope", failure{code: "missing_scope"}, true, "scope"},
		{"too long", failure{code: "msg_too_long"}, true, "bug"},
		{"internal error", failure{code: "internal_error"}, false, "internal_error"},
		{"unknown method path", failure{status: 404}, true, "DIGESTBOT_SLACK_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			c := newTestClient(t, f, newFakeClock())
			f.fail("chat.postMessage", tt.fail)
			_, err := c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, bot.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (err %v)", got, tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.contains) || !strings.HasPrefix(err.Error(), "slack: ") {
				t.Errorf("err = %q, want prefix \"slack: \" and %q", err, tt.contains)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "secretpart") {
				t.Errorf("error reveals the token: %q", err)
			}
		})
	}
}

func TestWrongTokenIsPermanentAndRedacted(t *testing.T) {
	f := newFakeSlack(t)
	c, err := New(Options{Token: "xoxb-wrong-token-value", APIURL: f.url(), Sleep: newFakeClock().Sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0))
	if !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("err = %v, want permanent invalid_auth", err)
	}
	if strings.Contains(err.Error(), "xoxb-wrong-token-value") {
		t.Errorf("error reveals the token: %q", err)
	}
}

func TestNetworkErrorIsRetryableAndRedacted(t *testing.T) {
	f := newFakeSlack(t)
	u := f.url()
	f.srv.Stop() // nothing listens any more
	c, err := New(Options{Token: testToken, APIURL: u, Sleep: newFakeClock().Sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0))
	if err == nil || errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if _, ok := bot.RetryAfter(err); ok {
		t.Errorf("network error has a RetryAfter: %v", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error reveals the token: %q", err)
	}
}

func TestEdit(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f, newFakeClock())
	is := testIssue()
	m := testMessage(is, bot.LayoutThread, bot.PartLead, 0)
	ref, err := c.Publish(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	is.Title = "Corrected: the pier reopens"
	if err := c.Edit(context.Background(), m, ref); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	ups := f.callsOf("chat.update")
	if len(ups) != 1 {
		t.Fatalf("update calls = %d, want 1", len(ups))
	}
	ch, ts, _ := ParseRef(ref)
	if ups[0].Get("channel") != ch || ups[0].Get("ts") != ts {
		t.Errorf("update channel/ts = %s/%s, want %s/%s", ups[0].Get("channel"), ups[0].Get("ts"), ch, ts)
	}
	if !strings.Contains(ups[0].Get("blocks"), "Corrected: the pier reopens") || ups[0].Get("metadata") == "" {
		t.Errorf("update lacks the new title or metadata: %v", ups[0])
	}
	if err := c.Edit(context.Background(), m, "garbage"); !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("Edit with a bad ref: err = %v, want permanent", err)
	}
}

func TestPublishBadMessages(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f, newFakeClock())
	is := testIssue()
	tests := []struct {
		name string
		m    bot.Message
	}{
		{"no target", func() bot.Message {
			m := testMessage(is, bot.LayoutThread, bot.PartLead, 0)
			m.Channel.Target = ""
			return m
		}()},
		{"item out of range", testMessage(is, bot.LayoutThread, bot.PartRoundup, 9)},
		{"no issue", bot.Message{Key: "k", Channel: bot.Channel{Target: "C1"}, Post: bot.Post{Part: bot.PartLead}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Publish(context.Background(), tt.m); !errors.Is(err, bot.ErrPermanent) {
				t.Errorf("err = %v, want permanent", err)
			}
		})
	}
	if n := len(f.callsOf("chat.postMessage")); n != 0 {
		t.Errorf("postMessage calls = %d, want 0", n)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no token", Options{}},
		{"token with space", Options{Token: "xoxb-1 2"}},
		{"bad api url", Options{Token: "xoxb-1", APIURL: "ftp://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "xoxb-1") {
				t.Errorf("error reveals the token: %v", err)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref, ch, ts string
		ok          bool
	}{
		{"C0123:1700000000.000100", "C0123", "1700000000.000100", true},
		{"C0123", "", "", false},
		{":1.2", "", "", false},
		{"C1:", "", "", false},
		{"C1:1:2", "", "", false},
	}
	for _, tt := range tests {
		ch, ts, err := ParseRef(tt.ref)
		if (err == nil) != tt.ok || ch != tt.ch || ts != tt.ts {
			t.Errorf("ParseRef(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.ref, ch, ts, err, tt.ch, tt.ts, tt.ok)
		}
		if tt.ok && FormatRef(ch, ts) != tt.ref {
			t.Errorf("FormatRef round trip of %q = %q", tt.ref, FormatRef(ch, ts))
		}
	}
}

func FuzzParseRef(f *testing.F) {
	f.Add("C0123:1700000000.000100")
	f.Add("::")
	f.Fuzz(func(t *testing.T, ref string) {
		ch, ts, err := ParseRef(ref)
		if err == nil && FormatRef(ch, ts) != ref {
			t.Errorf("round trip of %q = %q", ref, FormatRef(ch, ts))
		}
	})
}

func TestPublishDropsRefusedImage(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f, newFakeClock())
	f.fail("chat.postMessage", failure{code: "invalid_blocks"})
	if _, err := c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartLead, 0)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	posts := f.callsOf("chat.postMessage")
	if len(posts) != 2 {
		t.Fatalf("calls = %d, want 2", len(posts))
	}
	if !strings.Contains(posts[0].Get("blocks"), `"image"`) || strings.Contains(posts[1].Get("blocks"), `"image"`) {
		t.Errorf("want the image in the first attempt only")
	}
	// Without an image to drop, invalid_blocks stays a permanent error.
	f.fail("chat.postMessage", failure{code: "invalid_blocks"})
	_, err := c.Publish(context.Background(), testMessage(testIssue(), bot.LayoutThread, bot.PartRoundup, 0))
	if !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("err = %v, want permanent", err)
	}
}
