package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
)

// These tests run several replicas of the bot's poller and outbox in one
// process, each with its own Store (its own connection pool) on one
// database, as separate processes would.

// fakeClock is a clock the tests move by hand; every replica shares it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func noJitter(time.Duration) time.Duration { return 0 }

// chatPlatform is a fake chat platform shared by every replica. Like the
// real adapters it finds an earlier post by Message.Key when Retry says
// one may exist. It makes sends fail, lose their reply, or hang until the
// test ends (the replica is then killed), at random.
type chatPlatform struct {
	mu      sync.Mutex
	rng     *rand.Rand
	refs    map[string]string   // key → ref of the post
	posts   map[string]int      // key → posts made with it (more than 1 is a duplicate)
	order   map[string][]int    // "guid@channel" → Seq of each post, in the order they were made
	leadRef map[string]string   // "guid@channel" → ref of the lead
	parents map[string][]string // problems with ParentRef

	failRate, lostRate, hangRate float64
	maxHangs                     int

	// figures
	made, reconciled, failed, lost, hangs, dups int

	hung    chan string   // replica names whose send hangs: the test kills them
	release chan struct{} // closed at the end: hung sends return
}

func newChatPlatform(seed uint64) *chatPlatform {
	return &chatPlatform{
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		refs:    map[string]string{},
		posts:   map[string]int{},
		order:   map[string][]int{},
		leadRef: map[string]string{},
		parents: map[string][]string{},
		hung:    make(chan string),
		release: make(chan struct{}),
	}
}

// seqOf is a post's Seq in the thread and separate layouts.
func seqOf(p bot.Post) int {
	if p.Part == bot.PartRoundup {
		return p.Item + 1
	}
	return 0
}

// make records a new post; the caller holds mu.
func (p *chatPlatform) make(m bot.Message) string {
	p.made++
	p.posts[m.Key]++
	if p.posts[m.Key] > 1 {
		p.dups++
		return p.refs[m.Key]
	}
	ref := fmt.Sprintf("ref-%d", p.made)
	p.refs[m.Key] = ref
	k := m.Post.Issue.GUID + "@" + m.Channel.ID
	seq := seqOf(m.Post)
	p.order[k] = append(p.order[k], seq)
	if seq == 0 {
		p.leadRef[k] = ref
	} else if m.ParentRef != p.leadRef[k] {
		p.parents[k] = append(p.parents[k], fmt.Sprintf("seq %d has ParentRef %q, want %q", seq, m.ParentRef, p.leadRef[k]))
	}
	return ref
}

func (p *chatPlatform) publish(ctx context.Context, replica string, m bot.Message) (string, error) {
	p.mu.Lock()
	if m.Retry {
		if ref, ok := p.refs[m.Key]; ok {
			p.reconciled++
			p.mu.Unlock()
			return ref, nil
		}
	}
	r := p.rng.Float64()
	switch {
	case r < p.failRate:
		p.failed++
		p.mu.Unlock()
		return "", errors.New("fake platform: 503 service unavailable")
	case r < p.failRate+p.lostRate:
		p.lost++
		p.make(m)
		p.mu.Unlock()
		return "", errors.New("fake platform: connection reset after the request was sent")
	case r < p.failRate+p.lostRate+p.hangRate && p.hangs < p.maxHangs:
		p.hangs++
		if p.rng.IntN(2) == 0 {
			p.make(m) // the post got there; the reply never will
		}
		p.mu.Unlock()
		p.hung <- replica
		<-p.release
		return "", errors.New("fake platform: the replica was killed during the send")
	}
	ref := p.make(m)
	p.mu.Unlock()
	return ref, nil
}

func (p *chatPlatform) edit(context.Context, bot.Message, string) error { return nil }

// replicaPublisher is the platform as one replica sees it.
type replicaPublisher struct {
	p    *chatPlatform
	name string
}

func (r replicaPublisher) Publish(ctx context.Context, m bot.Message) (string, error) {
	return r.p.publish(ctx, r.name, m)
}

func (r replicaPublisher) Edit(ctx context.Context, m bot.Message, ref string) error {
	return r.p.edit(ctx, m, ref)
}

func (r replicaPublisher) Delete(ctx context.Context, m bot.Message, ref string) error {
	return errors.New("fake platform: nothing is ever deleted in this test")
}

// replica is one running outbox with its own store.
type replica struct {
	name   string
	store  *Store
	outbox *bot.Outbox
	cancel context.CancelFunc
	ctx    context.Context
}

// TestReplicasDeliverExactlyOnce runs three replicas' outboxes against one
// database while sends fail, lose their replies, or hang and get their
// replica killed (context cancelled, connections closed, the send never
// recorded), and replicas restart at random. Every post must reach the
// platform exactly once, in Seq order per issue and channel.
func TestReplicasDeliverExactlyOnce(t *testing.T) {
	const (
		seed     = 7
		replicas = 3
		issues   = 50
	)
	dsn := newDatabase(t)
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)}
	rng := rand.New(rand.NewPCG(seed, 1))
	plat := newChatPlatform(seed)
	plat.failRate, plat.lostRate, plat.hangRate, plat.maxHangs = 0.04, 0.04, 0.03, 12
	channels := []bot.Channel{
		{ID: "slack:C1", Platform: "fake", Target: "C1", Layout: bot.LayoutThread},
		{ID: "discord:D1", Platform: "fake", Target: "D1", Layout: bot.LayoutSeparate},
	}

	// Archive the issues with their deliveries, as a poller would.
	seeder, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{} // every post's key
	posts := map[string]int{} // "guid@channel" → posts
	for i := range issues {
		is := replicaIssue(i, clock.Now().Add(time.Duration(i-issues)*time.Hour), 3+rng.IntN(4))
		ds := bot.Deliveries(is, channels)
		if _, err := seeder.SaveIssue(ctx, is, ds); err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			want[bot.DeliveryKey(is, d.Channel, d.Part, d.Item)] = true
			posts[is.GUID+"@"+d.Channel]++
		}
	}
	seeder.Close()

	gen := map[int]int{}
	start := func(i int) *replica {
		gen[i]++
		name := fmt.Sprintf("r%d.%d", i, gen[i])
		st, err := Open(ctx, dsn, nil)
		if err != nil {
			t.Fatalf("open replica %s: %v", name, err)
		}
		rctx, cancel := context.WithCancel(ctx)
		return &replica{name: name, store: st, ctx: rctx, cancel: cancel, outbox: &bot.Outbox{
			Store:       st,
			Publishers:  map[string]bot.Publisher{"fake": replicaPublisher{plat, name}},
			Channels:    channels,
			Owner:       name,
			MaxAttempts: 1000,
			Now:         clock.Now,
			Jitter:      noJitter,
			Grace:       time.Hour, // a killed replica's hung send stays hung
		}}
	}
	live := make([]*replica, replicas)
	for i := range live {
		live[i] = start(i)
	}
	var zombies sync.WaitGroup // SendDue calls of killed replicas, stuck in a hung send
	kills, restarts, rounds := 0, 0, 0
	defer func() {
		close(plat.release)
		zombies.Wait()
		for _, r := range live {
			r.cancel()
			r.store.Close()
		}
	}()

	for ; rounds < 300; rounds++ {
		// One round: every replica sends until nothing is due for it.
		type result struct {
			i   int
			r   *replica
			err error
		}
		done := make(chan result, replicas)
		running := map[int]*replica{}
		for i, r := range live {
			running[i] = r
			zombies.Add(1)
			go func() {
				defer zombies.Done()
				_, err := r.outbox.SendDue(r.ctx)
				done <- result{i, r, err}
			}()
		}
		for len(running) > 0 {
			select {
			case res := <-done:
				if running[res.i] != res.r {
					continue // a killed replica, released
				}
				if res.err != nil {
					t.Errorf("replica %s: SendDue: %v", res.r.name, res.err)
				}
				delete(running, res.i)
			case name := <-plat.hung:
				// Kill the replica whose send hangs: no more work, no more
				// writes; its leases must expire for others to take over.
				for i, r := range running {
					if r.name == name {
						r.cancel()
						r.store.Close()
						delete(running, i)
						live[i] = start(i)
						kills++
					}
				}
			}
		}
		if t.Failed() {
			return
		}
		c, err := live[0].store.DeliveryCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dirty, err := live[0].store.Targets(ctx, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(dirty) == 0 {
			if c[bot.StateFailed] != 0 || c[bot.StatePending] != 0 || c[bot.StateSent] != len(want) {
				t.Errorf("delivery counts %v, want %d sent", c, len(want))
			}
			break
		}
		// Between rounds: restart a replica now and then, and move the
		// clock past the channel lease (and the backoff) so hung sends'
		// leases expire.
		if rng.IntN(4) == 0 {
			i := rng.IntN(replicas)
			live[i].cancel()
			live[i].store.Close()
			live[i] = start(i)
			restarts++
		}
		clock.Add(11 * time.Minute)
	}

	plat.mu.Lock()
	defer plat.mu.Unlock()
	t.Logf("%d posts to %d (issue, channel) pairs in %d rounds: %d platform calls made a post, %d failed, %d lost their reply, %d hung (replica killed), %d reconciled on retry; %d kills, %d restarts",
		len(want), len(posts), rounds+1, plat.made, plat.failed, plat.lost, plat.hangs, plat.reconciled, kills, restarts)
	if rounds == 300 {
		t.Errorf("deliveries not done after %d rounds", rounds)
	}
	if plat.dups != 0 {
		t.Errorf("%d duplicate posts reached the platform", plat.dups)
	}
	for k := range want {
		if plat.posts[k] != 1 {
			t.Errorf("post %s reached the platform %d times, want 1", k, plat.posts[k])
		}
	}
	for k, n := range posts {
		got := plat.order[k]
		wantSeq := make([]int, n)
		for i := range wantSeq {
			wantSeq[i] = i
		}
		if !slices.Equal(got, wantSeq) {
			t.Errorf("%s: posts made in Seq order %v, want %v", k, got, wantSeq)
		}
	}
	for k, errs := range plat.parents {
		t.Errorf("%s: %v", k, errs)
	}
	// The test must have exercised what it is about.
	if kills == 0 || plat.reconciled == 0 || plat.lost == 0 {
		t.Errorf("kills %d, reconciled %d, lost replies %d: want some of each (change the seed or rates)", kills, plat.reconciled, plat.lost)
	}
}

// replicaIssue is an invented issue with a lead and n roundup items.
func replicaIssue(i int, published time.Time, n int) *bot.Issue {
	para := func(s string) bot.Paragraph { return bot.Paragraph{Spans: []bot.Span{{Text: s}}} }
	is := &bot.Issue{
		Feed:      "https://digest.example.org/rss/",
		GUID:      fmt.Sprintf("issue-%03d", i),
		Title:     fmt.Sprintf("Issue %d: inspectors visit the harbour", i),
		Link:      fmt.Sprintf("https://digest.example.org/%03d/", i),
		Published: published,
		Lead:      bot.Story{Paragraphs: []bot.Paragraph{para(fmt.Sprintf("Lead story of issue %d about port audits.", i))}},
		Split:     true,
	}
	for j := range n {
		is.Roundup = append(is.Roundup, bot.Story{Paragraphs: []bot.Paragraph{para(fmt.Sprintf("Item %d of issue %d.", j, i))}})
	}
	return is
}
