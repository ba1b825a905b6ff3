package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

// beatStore is a store whose heartbeats are reported on beats and fail
// while refuse is set.
type beatStore struct {
	*sqlite.Store
	beats  chan error
	refuse atomic.Bool
}

func (s *beatStore) Heartbeat(ctx context.Context, id, info string, now time.Time) error {
	var err error
	if s.refuse.Load() {
		err = &bot.StoreRefusedError{Reason: bot.ReasonNoSpace, Hint: bot.HintNoSpace}
	} else {
		err = s.Store.Heartbeat(ctx, id, info, now)
	}
	s.beats <- err
	return err
}

func openBeatStore(t *testing.T) *beatStore {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &beatStore{Store: st, beats: make(chan error)}
}

// Heartbeat.Run beats until its context ends; a store refusing writes
// opens the store incident, the next good beat closes it.
func TestHeartbeatRun(t *testing.T) {
	st := openBeatStore(t)
	alerts := &bot.Alerts{}
	h := &bot.Heartbeat{Store: st, Owner: "r1", Info: "test", Every: time.Millisecond, Now: func() time.Time { return t0 }, Alerts: alerts}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	st.refuse.Store(true)
	go func() { done <- h.Run(ctx) }()
	if err := <-st.beats; !errors.Is(err, bot.ErrStoreRefused) {
		t.Fatalf("first beat: %v", err)
	}
	if re := alerts.StoreError(); re == nil {
		// StoreFailed runs after the send: wait for the next beat to see it.
		<-st.beats
		if re = alerts.StoreError(); re == nil {
			t.Error("no store incident after a refused beat")
		}
	}
	st.refuse.Store(false)
	for err := range st.beats { // a beat may have started before the store recovered
		if err == nil {
			break
		}
	}
	cancel()
	for {
		select {
		case <-st.beats:
			continue
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		}
		break
	}
	if re := alerts.StoreError(); re != nil {
		t.Errorf("store incident still open after a good beat: %v", re)
	}
	reps, err := st.Replicas(context.Background(), t0.Add(-time.Minute))
	if err != nil || len(reps) != 1 || reps[0].ID != "r1" || reps[0].Info != "test" {
		t.Errorf("replicas %+v, %v; want r1 recorded", reps, err)
	}
}

// A refused beat opens the incident (and /readyz's refusal) until a good one.
func TestHeartbeatBeatOpensStoreIncident(t *testing.T) {
	st := openBeatStore(t)
	st.beats = make(chan error, 2)
	alerts := &bot.Alerts{}
	h := &bot.Heartbeat{Store: st, Owner: "r1", Alerts: alerts}
	st.refuse.Store(true)
	if err := h.Beat(context.Background()); err == nil {
		t.Fatal("Beat of a refusing store = nil")
	}
	if re := alerts.StoreError(); re == nil || re.Reason != bot.ReasonNoSpace {
		t.Errorf("StoreError = %v, want the refusal", re)
	}
	st.refuse.Store(false)
	if err := h.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if re := alerts.StoreError(); re != nil {
		t.Errorf("StoreError after a good beat = %v", re)
	}
}

// ReleaseDeadReplicas releases the leases of replicas dead says are gone,
// never its own, and leaves live ones alone.
func TestReleaseDeadReplicas(t *testing.T) {
	st := openBeatStore(t)
	st.beats = make(chan error, 10)
	ctx := context.Background()
	for _, id := range []string{"host-1", "host-2", "host-3"} {
		if err := st.Heartbeat(ctx, id, "", t0); err != nil {
			t.Fatal(err)
		}
	}
	var asked []string
	released := map[string]bool{}
	rs := &releaseStore{beatStore: st, released: released}
	bot.ReleaseDeadReplicas(ctx, rs, "host-1", t0, func(id string) (int, bool) {
		asked = append(asked, id)
		return 2, id == "host-2" || id == "host-1"
	}, nil)
	if !released["host-2"] || released["host-1"] || released["host-3"] {
		t.Errorf("released %v, want host-2 only (host-1 is this process, host-3 lives)", released)
	}
	for _, id := range asked {
		if id == "host-1" {
			t.Error("asked whether this process is dead")
		}
	}
}

type releaseStore struct {
	*beatStore
	released map[string]bool
}

func (s *releaseStore) ReleaseReplica(ctx context.Context, id string) error {
	s.released[id] = true
	return s.beatStore.ReleaseReplica(ctx, id)
}
