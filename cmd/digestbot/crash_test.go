package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary as a child process against fake Slack
// and Discord APIs, kill it with SIGKILL at random points, restart it and
// check that every post is there once, in order, promptly.
//
// The short version runs in the normal suite; DIGESTBOT_CRASH_TRIALS=50
// runs 50 trials (and reports the restart-to-done times).

// crashPost is one message a fake platform received.
type crashPost struct {
	channel string // the configured channel: "slack" or "discord"
	key     string // the idempotency key (Slack metadata, Discord nonce)
	issue   int
	lead    bool
	by      string // the token it was sent with: which process sent it
	at      time.Time
}

// crashCall is one API call a fake platform answered.
type crashCall struct {
	channel string // "slack" or "discord"
	by      string // the token it came with
	at      time.Time
}

// caller returns the token a request came with (Slack: Bearer header or
// token field; Discord: "Bot" header).
func caller(r *http.Request) string {
	a := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "Bot "} {
		if t, ok := strings.CutPrefix(a, p); ok {
			return t
		}
	}
	return r.FormValue("token")
}

// crashChat fakes Slack's chat.postMessage, conversations.history and
// conversations.replies, and Discord's channel lookup, message create,
// thread start and message list. Neither deduplicates anything: a
// duplicate shows as two posts. hold, when set, makes the next post wait
// after it is recorded (the reply is lost when the process is killed).
type crashChat struct {
	mu    sync.Mutex
	posts []crashPost
	slack []map[string]any // stored Slack messages (newest last)
	disc  []map[string]any // stored Discord messages (newest last)
	seq   int
	calls []crashCall // every API call, lookups included
	hold  chan struct{}
	held  chan crashPost // receives the post held, when one is
	added chan struct{}  // receives (without blocking) when an API call is recorded

	slackSrv, discordSrv *httptest.Server
}

var issueNumber = regexp.MustCompile(`(?i)issue (\d+)`)

func newCrashChat(t testing.TB) *crashChat {
	c := &crashChat{held: make(chan crashPost, 1), added: make(chan struct{}, 1)}
	c.slackSrv = httptest.NewServer(http.HandlerFunc(c.serveSlack))
	c.discordSrv = httptest.NewServer(http.HandlerFunc(c.serveDiscord))
	t.Cleanup(func() {
		c.release()
		c.slackSrv.Close()
		c.discordSrv.Close()
	})
	return c
}

// release lets a held post answer.
func (c *crashChat) release() {
	c.mu.Lock()
	h := c.hold
	c.hold = nil
	c.mu.Unlock()
	if h != nil {
		close(h)
	}
}

// record records a post (c.mu held).
func (c *crashChat) record(p crashPost) crashPost {
	p.at = time.Now()
	c.posts = append(c.posts, p)
	return p
}

// called records an API call (c.mu held) and wakes waitFor.
func (c *crashChat) called(channel string, r *http.Request) {
	c.calls = append(c.calls, crashCall{channel: channel, by: caller(r), at: time.Now()})
	select {
	case c.added <- struct{}{}:
	default:
	}
}

// waitFor waits until cond (called with c.mu held) holds, looking again
// after every API call, or until the deadline passes. It reports whether
// cond held.
func (c *crashChat) waitFor(deadline time.Time, cond func() bool) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-c.added:
		case <-timer.C:
			return false
		}
	}
}

// waitPosts waits until n posts were recorded or the deadline passes.
func (c *crashChat) waitPosts(n int, deadline time.Time) {
	c.waitFor(deadline, func() bool { return len(c.posts) >= n })
}

// wait blocks the caller of post p (holding no lock) when a hold is armed.
func (c *crashChat) wait(p crashPost) {
	c.mu.Lock()
	h := c.hold
	c.mu.Unlock()
	if h == nil {
		return
	}
	select {
	case c.held <- p:
	default:
	}
	<-h
}

func (c *crashChat) serveSlack(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	c.mu.Lock()
	c.called("slack", r)
	switch method {
	case "chat.postMessage":
		c.seq++
		ts := fmt.Sprintf("1772400000.%06d", c.seq)
		var md struct {
			Payload map[string]any `json:"event_payload"`
		}
		json.Unmarshal([]byte(r.FormValue("metadata")), &md)
		key, _ := md.Payload["key"].(string)
		part, _ := md.Payload["part"].(string)
		n := 0
		if m := issueNumber.FindStringSubmatch(r.FormValue("blocks") + r.FormValue("text")); m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		p := c.record(crashPost{channel: "slack", key: key, issue: n, lead: part == "lead", by: caller(r)})
		msg := map[string]any{"type": "message", "ts": ts, "text": r.FormValue("text"),
			"metadata": json.RawMessage(r.FormValue("metadata"))}
		if th := r.FormValue("thread_ts"); th != "" {
			msg["thread_ts"] = th
		}
		c.slack = append(c.slack, msg)
		c.mu.Unlock()
		c.wait(p)
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.FormValue("channel"), ts)
		return
	case "conversations.history", "conversations.replies":
		thread := r.FormValue("ts")
		var msgs []map[string]any
		for i := len(c.slack) - 1; i >= 0; i-- {
			m := c.slack[i]
			th, _ := m["thread_ts"].(string)
			if (method == "conversations.history" && th == "") || (method == "conversations.replies" && (th == thread || m["ts"] == thread)) {
				msgs = append(msgs, m)
			}
		}
		c.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": msgs, "has_more": false})
		return
	}
	c.mu.Unlock()
	fmt.Fprint(w, `{"ok":true}`)
}

func (c *crashChat) serveDiscord(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	path := strings.TrimPrefix(r.URL.Path, "/api/v10/")
	parts := strings.Split(path, "/")
	c.mu.Lock()
	c.called("discord", r)
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "channels":
		c.mu.Unlock()
		fmt.Fprintf(w, `{"id":%q,"type":0,"guild_id":"111111111111111111"}`, parts[1])
		return
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		c.seq++
		id := fmt.Sprintf("13%016d", c.seq)
		raw, _ := json.Marshal(body["embeds"])
		nonce, _ := body["nonce"].(string)
		n := 0
		if m := issueNumber.FindStringSubmatch(string(raw)); m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		p := c.record(crashPost{channel: "discord", key: nonce, issue: n, lead: strings.Contains(string(raw), `"title"`), by: caller(r)})
		msg := map[string]any{"id": id, "channel_id": parts[1], "embeds": body["embeds"], "author": map[string]any{"bot": true}}
		c.disc = append(c.disc, msg)
		c.mu.Unlock()
		c.wait(p)
		json.NewEncoder(w).Encode(msg)
		return
	case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "messages":
		var msgs []map[string]any
		for i := len(c.disc) - 1; i >= 0; i-- {
			if c.disc[i]["channel_id"] == parts[1] {
				msgs = append(msgs, c.disc[i])
			}
		}
		c.mu.Unlock()
		json.NewEncoder(w).Encode(msgs)
		return
	case r.Method == http.MethodPost && len(parts) == 5 && parts[4] == "threads":
		c.mu.Unlock()
		fmt.Fprintf(w, `{"id":%q,"type":11}`, parts[3])
		return
	}
	c.mu.Unlock()
	fmt.Fprint(w, `{}`)
}

// snapshot returns a copy of the posts received.
func (c *crashChat) snapshot() []crashPost {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]crashPost(nil), c.posts...)
}

// crashFeed writes a feed of n issues with items roundup items each.
func crashFeed(t testing.TB, dir string, n, items int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Crash Digest</title><link>https://digest.example.org/</link>`)
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := n; i >= 1; i-- {
		fmt.Fprintf(&b, `<item><title>Issue %d headline</title><link>https://digest.example.org/%d/</link><guid isPermaLink="false">crash-%d</guid><pubDate>%s</pubDate><description>Standfirst of issue %d.</description><content:encoded><![CDATA[`,
			i, i, i, base.AddDate(0, 0, 7*i).Format(time.RFC1123Z), i)
		fmt.Fprintf(&b, `<p>Lead story of issue %d about harbour inspections, long enough to be a lead.</p>`, i)
		b.WriteString(`<p>Here's a roundup of other noteworthy news and initiatives:</p>`)
		for j := 1; j <= items; j++ {
			fmt.Fprintf(&b, `<p><a href="https://src%d.example.com/%d">Source %d</a> reports item %d of issue %d.</p>`, j, i, j, j, i)
		}
		b.WriteString(`]]></content:encoded></item>`)
	}
	b.WriteString(`</channel></rss>`)
	path := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildBinary builds digestbot once per test process.
func buildBinary(t testing.TB) string {
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "digestbot-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "digestbot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// child is one running digestbot process.
type child struct {
	cmd  *exec.Cmd
	logs *lockedWriter // standard output and error, together
}

// String returns what the process printed so far.
func (c *child) String() string {
	c.logs.mu.Lock()
	defer c.logs.mu.Unlock()
	return c.logs.w.(*bytes.Buffer).String()
}

func startChild(t testing.TB, bin string, vars map[string]string) *child {
	cmd := exec.Command(bin, "run")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &child{cmd: cmd, logs: logs}
}

// kill sends SIGKILL and reaps the process (a zombie would look alive).
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.kill()
	}
}

// crashVars configures the child: one Slack channel (thread layout) and
// one Discord channel (separate), both fakes, and the feed file.
func crashVars(dir, feed, db string, chat *crashChat) map[string]string {
	return map[string]string{
		"DIGESTBOT_FEED_URL":           feed,
		"DIGESTBOT_DB":                 db,
		"DIGESTBOT_HTTP_ADDR":          "off",
		"DIGESTBOT_DELIVER_NEWEST":     "100",
		"DIGESTBOT_SLACK_BOT_TOKEN":    "xoxb-crash-test",
		"DIGESTBOT_SLACK_CHANNEL":      "C0CRASH01",
		"DIGESTBOT_SLACK_LAYOUT":       "thread",
		"DIGESTBOT_SLACK_COMMANDS":     "off",
		"DIGESTBOT_SLACK_API_URL":      chat.slackSrv.URL + "/api/",
		"DIGESTBOT_DISCORD_BOT_TOKEN":  "discord-crash-test",
		"DIGESTBOT_DISCORD_CHANNEL_ID": "123456789012345678",
		"DIGESTBOT_DISCORD_LAYOUT":     "separate",
		"DIGESTBOT_DISCORD_COMMANDS":   "off",
		"DIGESTBOT_DISCORD_API_URL":    chat.discordSrv.URL + "/api/v10/",
		"DIGESTBOT_LOG_FORMAT":         "text",
		"DIGESTBOT_LOG_LEVEL":          "info",
	}
}

// checkPosts checks that each channel got every post once, grouped by
// issue in issue order, each issue's lead first.
func checkPosts(t testing.TB, posts []crashPost, issues, perIssue int) {
	t.Helper()
	for _, ch := range []string{"slack", "discord"} {
		seen := map[string]bool{}
		var seq []int
		lastIssue, inIssue := 0, 0
		for _, p := range posts {
			if p.channel != ch {
				continue
			}
			if seen[p.key] {
				t.Errorf("%s: post %s (issue %d) reached the platform twice", ch, p.key, p.issue)
			}
			seen[p.key] = true
			seq = append(seq, p.issue)
			if p.issue != lastIssue {
				if p.issue < lastIssue || !p.lead || (lastIssue != 0 && inIssue != perIssue) {
					t.Errorf("%s: issue %d starts after %d posts of issue %d (lead %v): issues interleave or are out of order", ch, p.issue, inIssue, lastIssue, p.lead)
				}
				lastIssue, inIssue = p.issue, 0
			}
			inIssue++
		}
		if len(seen) != issues*perIssue {
			t.Errorf("%s: %d distinct posts %v, want %d", ch, len(seen), seq, issues*perIssue)
		}
	}
}

// crashTrial runs one trial: start, kill at a random point, restart, wait
// until every post is there. It returns how long after the restart the
// last post arrived (0 when everything was done before the kill).
func crashTrial(t *testing.T, rng *rand.Rand, issues, items int) time.Duration {
	bin := buildBinary(t)
	dir := t.TempDir()
	chat := newCrashChat(t)
	feed := crashFeed(t, dir, issues, items)
	vars := crashVars(dir, feed, filepath.Join(dir, "bot.db"), chat)
	total := 2 * issues * (1 + items)

	// Kill after k posts, with the k-th post held half the time (the
	// platform has it, the process never learns).
	k := rng.IntN(total)
	holdPost := rng.IntN(2) == 0
	first := startChild(t, bin, vars)
	chat.waitPosts(k, time.Now().Add(60*time.Second))
	if holdPost {
		chat.mu.Lock()
		chat.hold = make(chan struct{})
		chat.mu.Unlock()
		select {
		case <-chat.held:
		case <-time.After(10 * time.Second):
		}
	} else {
		// A random moment after the k-th post: between calls, or inside one.
		<-time.After(time.Duration(rng.IntN(20)) * time.Millisecond)
	}
	first.kill()
	chat.release()
	before := len(chat.snapshot())

	restart := time.Now()
	second := startChild(t, bin, vars)
	defer second.stop()
	chat.waitPosts(total, restart.Add(60*time.Second))
	posts := chat.snapshot()
	checkPosts(t, posts, issues, 1+items)
	if t.Failed() {
		t.Logf("killed after %d posts (held %v); first process:\n%s\nsecond process:\n%s", k, holdPost, first, second)
		return 0
	}
	if before >= total {
		return 0
	}
	took := posts[len(posts)-1].at.Sub(restart)
	if took > 5*time.Second {
		t.Errorf("the last post came %v after the restart, want within 5 s (killed after %d posts, held %v)", took, k, holdPost)
	}
	return took
}

// TestCrashRestartDeliversOnce kills the real binary at random points.
func TestCrashRestartDeliversOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	trials, rng := crashTrials(t, 3)
	var times []time.Duration
	for i := range trials {
		ok := t.Run(fmt.Sprint("trial", i), func(t *testing.T) {
			// Two issues, a lead and one item each, in each channel: at
			// Slack's one message per second the rest of a run fits in 5 s.
			if d := crashTrial(t, rng, 2, 1); d > 0 {
				times = append(times, d)
			}
		})
		if !ok {
			break
		}
	}
	if len(times) > 0 {
		mean, worst := meanWorst(times)
		t.Logf("%d trials: restart to last post mean %v, worst %v", len(times), mean, worst)
	}
}

// crashTrials returns how many trials to run (DIGESTBOT_CRASH_TRIALS, else
// def) and a random source whose seed is logged (to replay a failure).
func crashTrials(t *testing.T, def int) (int, *rand.Rand) {
	trials := def
	if s := os.Getenv("DIGESTBOT_CRASH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("DIGESTBOT_CRASH_TRIALS=%q: %v", s, err)
		}
		trials = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return trials, rand.New(rand.NewPCG(seed, 1))
}

// meanWorst returns the mean and the largest of ds (not empty).
func meanWorst(ds []time.Duration) (mean, worst time.Duration) {
	var sum time.Duration
	for _, d := range ds {
		sum += d
		worst = max(worst, d)
	}
	return sum / time.Duration(len(ds)), worst
}
