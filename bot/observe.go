package bot

import "time"

// Observer receives the events that metrics are made of. cmd/digestbot
// implements it with Prometheus; the zero value of Poller and Outbox use a
// no-op one.
type Observer interface {
	// Polled is called after every poll with its result: "ok",
	// "not_modified" or "error".
	Polled(feed, result string, d time.Duration)
	// Delivered is called after every send or edit attempt with its result:
	// "sent", "edited", "retry" or "failed".
	Delivered(platform, result string)
	// Commanded is called after every command, name "" for unknown ones.
	Commanded(platform, name string, d time.Duration)
}

// NopObserver ignores every event.
type NopObserver struct{}

func (NopObserver) Polled(string, string, time.Duration)    {}
func (NopObserver) Delivered(string, string)                {}
func (NopObserver) Commanded(string, string, time.Duration) {}
