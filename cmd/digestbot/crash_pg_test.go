package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/adapters/postgres"
	"digestbot/adapters/postgres/pgtest"
	"digestbot/bot"
)

// The same crash test on PostgreSQL with two replicas (issue 13): both run
// the real binary on one database and the same channels; the one sending
// is SIGKILLed mid-delivery and the other, left running, must take over
// its channels within 30 s (its heartbeat goes stale after 20 s). The
// short version (one trial) runs in the normal suite;
// DIGESTBOT_CRASH_TRIALS=20 runs 20 and reports the takeover times.

// takeoverLimit is the contract: a dead replica's channels are taken over
// and finished within this of its death.
const takeoverLimit = 30 * time.Second

// TestCrashTakeoverPostgres kills the replica holding the channel leases.
func TestCrashTakeoverPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary against a throwaway PostgreSQL cluster")
	}
	srv := startPostgres(t)
	trials, rng := crashTrials(t, 1)
	var takeovers, finishes []time.Duration
	for i := range trials {
		ok := t.Run(fmt.Sprint("trial", i), func(t *testing.T) {
			// Two issues, a lead and one item each, in each channel, as in
			// TestCrashRestartDeliversOnce.
			r := takeoverTrial(t, rng, srv, 2, 1)
			if r.finish > 0 {
				takeovers = append(takeovers, r.takeover)
				finishes = append(finishes, r.finish)
			}
		})
		if !ok {
			break
		}
	}
	if len(finishes) > 0 {
		tm, tw := meanWorst(takeovers)
		fm, fw := meanWorst(finishes)
		t.Logf("%d of %d trials with channels to take over: kill to the survivor's first call mean %v, worst %v; kill to the dead replica's channels in step mean %v, worst %v",
			len(finishes), trials, tm.Round(time.Millisecond), tw.Round(time.Millisecond), fm.Round(time.Millisecond), fw.Round(time.Millisecond))
	}
}

// startPostgres starts a throwaway cluster for the test (pgtest), stopped
// when it ends, or skips the test saying why there is none.
func startPostgres(t *testing.T) *pgtest.Server {
	srv, stop, skip, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	if srv == nil {
		t.Skip(skip)
	}
	var once sync.Once
	cleanup := func() { once.Do(stop) }
	t.Cleanup(cleanup)
	// -timeout ends the test binary without cleanups: stop the cluster
	// just before, or its processes outlive the test.
	if d, ok := t.Deadline(); ok {
		timer := time.AfterFunc(time.Until(d)-3*time.Second, cleanup)
		t.Cleanup(func() { timer.Stop() })
	}
	return srv
}

// takeoverResult is what one trial measured.
type takeoverResult struct {
	takeover time.Duration // kill → the survivor's first API call in one of the dead replica's channels
	finish   time.Duration // kill → the dead replica's channels in step; 0: it held none with work left
}

// replicaOf returns the replica name a fake saw a token of ("a" or "b").
func replicaOf(token string) string { return token[strings.LastIndex(token, "-")+1:] }

// takeoverTrial runs one trial: two replicas, the one sending killed at a
// random point, the survivor left to finish.
func takeoverTrial(t *testing.T, rng *rand.Rand, srv *pgtest.Server, issues, items int) takeoverResult {
	ctx := t.Context()
	bin := buildBinary(t)
	dir := t.TempDir()
	chat := newCrashChat(t)
	feed := crashFeed(t, dir, issues, items)
	dsn, err := srv.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 2 * issues * (1 + items)

	replicas := map[string]*child{}
	for _, n := range []string{"a", "b"} {
		vars := crashVars(dir, feed, dsn, chat)
		vars["DIGESTBOT_REPLICA_ID"] = "replica-" + n
		vars["DIGESTBOT_SLACK_BOT_TOKEN"] = "xoxb-crash-" + n
		vars["DIGESTBOT_DISCORD_BOT_TOKEN"] = "discord-crash-" + n
		replicas[n] = startChild(t, bin, vars)
	}
	var victim string
	logs := func() string {
		var b strings.Builder
		for _, n := range []string{"a", "b"} {
			role := "survivor"
			if n == victim {
				role = "killed"
			}
			fmt.Fprintf(&b, "\nreplica-%s (%s):\n%s", n, role, replicas[n])
		}
		return b.String()
	}
	defer func() {
		for n, c := range replicas {
			if n != victim {
				c.stop()
			}
		}
	}()

	st, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// leased returns the channels with work left that each replica holds.
	leased := func() map[string][]string {
		now := time.Now()
		states, err := st.ChannelStates(ctx, now, now.Add(-bot.DefaultStaleAfter))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, c := range states {
			if c.Dirty > 0 && c.LeaseOwner != "" {
				r := replicaOf(c.LeaseOwner)
				out[r] = append(out[r], c.Channel)
			}
		}
		return out
	}

	// Kill the replica holding the leases at a random point: half the
	// time the sender of the k-th post while the platform holds that post
	// (recorded, the answer never reaches the process), else a random
	// moment after the k-th post, the replica holding most channels with
	// work left (from the store).
	holdPost := rng.IntN(2) == 0
	var k int
	if holdPost {
		k = 1 + rng.IntN(total)
		if !chat.waitFor(time.Now().Add(60*time.Second), func() bool { return len(chat.posts) >= k-1 }) {
			t.Fatalf("only %d of %d posts before the kill; replicas:%s", len(chat.snapshot()), k-1, logs())
		}
		chat.mu.Lock()
		chat.hold = make(chan struct{})
		chat.mu.Unlock()
		select {
		case p := <-chat.held:
			victim = replicaOf(p.by)
		case <-time.After(60 * time.Second):
			t.Fatalf("post %d never came; replicas:%s", k, logs())
		}
	} else {
		k = 1 + rng.IntN(total-1)
		if !chat.waitFor(time.Now().Add(60*time.Second), func() bool { return len(chat.posts) >= k }) {
			t.Fatalf("only %d of %d posts before the kill; replicas:%s", len(chat.snapshot()), k, logs())
		}
		<-time.After(time.Duration(rng.IntN(20)) * time.Millisecond)
		// Between two channels' claims no lease may be held: look again
		// after the next API call.
		for deadline := time.Now().Add(10 * time.Second); victim == ""; {
			l := leased()
			if len(l["a"])+len(l["b"]) > 0 {
				victim = "a"
				if len(l["b"]) > len(l["a"]) || (len(l["b"]) == len(l["a"]) && rng.IntN(2) == 0) {
					victim = "b"
				}
				break
			}
			chat.mu.Lock()
			n := len(chat.calls)
			chat.mu.Unlock()
			if !chat.waitFor(deadline, func() bool { return len(chat.calls) > n }) {
				t.Fatalf("no replica holds a channel with work left after post %d; replicas:%s", k, logs())
			}
		}
	}
	survivor := map[string]string{"a": "b", "b": "a"}[victim]
	replicas[victim].kill()
	killed := time.Now()
	chat.release()
	held := leased()[victim] // its channels with work left, from the store

	// Wait until every channel is in step, noting when each of the dead
	// replica's channels got there. The store is looked at every 50 ms: the
	// last step of a channel (recording it in step) makes no API call to
	// wake on.
	inStep := map[string]time.Time{}
	deadline := killed.Add(2 * takeoverLimit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		now := time.Now()
		states, err := st.ChannelStates(ctx, now, now.Add(-bot.DefaultStaleAfter))
		if err != nil {
			t.Fatal(err)
		}
		dirty := 0
		for _, c := range states {
			dirty += c.Dirty
			if c.Dirty == 0 && inStep[c.Channel].IsZero() {
				inStep[c.Channel] = now
			}
		}
		if dirty == 0 && len(states) > 0 {
			break
		}
		if now.After(deadline) {
			t.Fatalf("%d issues still not in step %v after the kill of replica-%s (holding %v; killed at post %d, post held %v); replicas:%s",
				dirty, now.Sub(killed).Round(time.Millisecond), victim, held, k, holdPost, logs())
		}
		<-tick.C
	}
	posts := chat.snapshot()
	checkPosts(t, posts, issues, 1+items)

	var r takeoverResult
	chat.mu.Lock()
	for _, c := range chat.calls {
		if c.at.After(killed) && slices.Contains(held, c.channel) && replicaOf(c.by) == survivor {
			r.takeover = c.at.Sub(killed)
			break
		}
	}
	chat.mu.Unlock()
	for _, ch := range held {
		if d := inStep[ch].Sub(killed); d > 0 {
			r.finish = max(r.finish, d)
		}
	}
	t.Logf("replica-%s killed at post %d of %d (held %v), holding %v: survivor's first call after %v, its channels in step after %v",
		victim, k, total, holdPost, held, r.takeover.Round(time.Millisecond), r.finish.Round(time.Millisecond))
	if r.finish > takeoverLimit {
		t.Errorf("the dead replica's channels %v were in step %v after the kill, want within %v", held, r.finish.Round(time.Millisecond), takeoverLimit)
	}
	if t.Failed() {
		t.Logf("replicas:%s", logs())
	}
	return r
}
