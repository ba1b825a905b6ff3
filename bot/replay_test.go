package bot

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

const replayWindow = 5 * time.Minute // Slack's and Discord's

// A signature is remembered for as long as its timestamp is in the window
// (a replay at the window's last second is refused) and forgotten after.
func TestReplaysForgetOnlyStaleSignatures(t *testing.T) {
	var r Replays
	ctx := context.Background()
	sig := func(i int) []byte { return append(make([]byte, 31), byte(i)) }
	stamps := []int64{1699999980, 1700000000, 1700000039, 1700000040, 1700000099} // edges of two minutes
	now := time.Unix(1700000100, 0)
	for i, ts := range stamps {
		if !r.Fresh(ctx, sig(i), time.Unix(ts, 0).Add(replayWindow), now) {
			t.Fatalf("ts %d: first request refused", ts)
		}
	}
	if n := r.remembered(); n != len(stamps) {
		t.Fatalf("remembering %d signatures, want %d", n, len(stamps))
	}
	// Each is still valid at ts+window (the endpoints accept |now-ts| <=
	// window), so a replay then is refused.
	for i, ts := range stamps {
		at := time.Unix(ts, 0).Add(replayWindow)
		if r.Fresh(ctx, sig(i), at, at) {
			t.Errorf("ts %d: replay accepted at the window's last second", ts)
		}
	}
	// Long after: every bucket is dropped when the next request arrives.
	late := time.Unix(1700009999, 0)
	if !r.Fresh(ctx, sig(99), late.Add(replayWindow), late) {
		t.Fatal("fresh request refused")
	}
	if n := r.remembered(); n != 1 {
		t.Errorf("remembering %d signatures after the window passed, want 1", n)
	}
}

// seenMem is a SeenStore in memory that can fail.
type seenMem struct {
	mu   sync.Mutex
	keys map[string]time.Time
	err  error
}

func (m *seenMem) SeenRequest(_ context.Context, key string, until, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	if m.keys == nil {
		m.keys = map[string]time.Time{}
	}
	if u, ok := m.keys[key]; ok && !u.Before(now) {
		return true, nil
	}
	m.keys[key] = until
	return false, nil
}

// Signatures of any length (Slack's 32-byte HMAC, Discord's 64-byte
// Ed25519) are refused when replayed to the same memory, and, through the
// store, to another process sharing it (a restart, a replica), under the
// key "<platform>:<hex signature>". A failing store lets a request through
// on the memory alone.
func TestReplaysMemoryAndStore(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	until := now.Add(replayWindow)
	hmacSig := make([]byte, 32)
	edSig := make([]byte, 64)
	edSig[63] = 1 // its first 32 bytes are hmacSig's: no collision
	store := &seenMem{}
	first := &Replays{Platform: "discord", Store: store}
	for _, sig := range [][]byte{hmacSig, edSig} {
		if !first.Fresh(ctx, sig, until, now) {
			t.Fatalf("first request with signature %x refused", sig)
		}
		if first.Fresh(ctx, sig, until, now.Add(time.Minute)) {
			t.Errorf("replay of %x to the same process accepted", sig)
		}
		if restarted := (&Replays{Platform: "discord", Store: store}); restarted.Fresh(ctx, sig, until, now.Add(time.Minute)) {
			t.Errorf("replay of %x after a restart accepted", sig)
		}
	}
	if _, ok := store.keys["discord:"+hex.EncodeToString(edSig)]; !ok {
		t.Errorf("store keys %v, want discord:<hex signature>", store.keys)
	}

	failing := &Replays{Platform: "slack", Store: &seenMem{err: errors.New("database is locked")}}
	sig := []byte("another signature of 32 bytes..!")
	if !failing.Fresh(ctx, sig, until, now) {
		t.Error("a store failure refused a new request")
	}
	if failing.Fresh(ctx, sig, until, now) {
		t.Error("with the store failing, the memory let a replay through")
	}
}

// BenchmarkReplaysFresh: the memory alone, as a busy Slack endpoint uses
// it: a new 32-byte signature per request, timestamps advancing a second
// every 1,000 requests, so buckets fill and are dropped.
func BenchmarkReplaysFresh(b *testing.B) {
	var r Replays
	ctx := context.Background()
	sig := make([]byte, sha256.Size)
	start := time.Unix(1700000000, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		binary.LittleEndian.PutUint64(sig, uint64(i))
		now := start.Add(time.Duration(i/1000) * time.Second)
		if !r.Fresh(ctx, sig, now.Add(replayWindow), now) {
			b.Fatal("new signature refused")
		}
	}
}

// batchStore is a SeenBatchStore that holds its first batch until
// release is closed, so that the requests arriving meanwhile queue up.
type batchStore struct {
	mu      sync.Mutex
	keys    map[string]bool
	batches [][]string
	first   chan struct{} // closed when the first batch is being written
	release chan struct{}
}

func (s *batchStore) SeenRequest(ctx context.Context, key string, until, now time.Time) (bool, error) {
	panic("a SeenBatchStore is written in batches")
}

func (s *batchStore) SeenRequests(ctx context.Context, keys []SeenKey, now time.Time) ([]bool, error) {
	s.mu.Lock()
	n := len(s.batches)
	var names []string
	for _, k := range keys {
		names = append(names, k.Key)
	}
	s.batches = append(s.batches, names)
	s.mu.Unlock()
	if n == 0 {
		close(s.first)
		<-s.release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make([]bool, len(keys))
	for i, k := range keys {
		seen[i] = s.keys[k.Key]
		s.keys[k.Key] = true
	}
	return seen, nil
}

// Requests that arrive while a batch is being written go to the store
// together in the next one, and each gets its own answer: a signature the
// store knew (another replica took it) is refused, the others accepted.
func TestReplaysBatchRequestsWhileWriting(t *testing.T) {
	st := &batchStore{keys: map[string]bool{"slack:" + hex.EncodeToString(sigOf(99)): true},
		first: make(chan struct{}), release: make(chan struct{})}
	r := &Replays{Platform: "slack", Store: st}
	now := time.Unix(1_700_000_000, 0)
	ctx := context.Background()
	firstDone := make(chan bool)
	go func() { firstDone <- r.Fresh(ctx, sigOf(1), now.Add(replayWindow), now) }()
	<-st.first // the first batch is in the store; the next requests queue

	const n = 8
	var wg sync.WaitGroup
	results := make([]bool, n+1)
	queued := make(chan struct{}, n+1)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sig := sigOf(uint64(10 + i))
			if i == n {
				sig = sigOf(99) // seen by another replica
			}
			queued <- struct{}{}
			results[i] = r.Fresh(ctx, sig, now.Add(replayWindow), now)
		}()
	}
	for range n + 1 {
		<-queued
	}
	// Wait until all of them are in the queue (the writer is busy).
	for {
		r.bmu.Lock()
		q := len(r.queue)
		r.bmu.Unlock()
		if q == n+1 {
			break
		}
		runtime.Gosched()
	}
	close(st.release)
	if !<-firstDone {
		t.Error("the first request was refused")
	}
	wg.Wait()
	for i, ok := range results {
		if ok != (i != n) {
			t.Errorf("request %d: fresh = %v, want %v", i, ok, i != n)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.batches) != 2 || len(st.batches[1]) != n+1 {
		t.Errorf("batches %d (sizes %v), want the first alone and the %d others together", len(st.batches), st.batches, n+1)
	}
}

// sigOf returns a 32-byte signature made from n.
func sigOf(n uint64) []byte {
	sig := make([]byte, sha256.Size)
	binary.BigEndian.PutUint64(sig, n)
	return sig
}
