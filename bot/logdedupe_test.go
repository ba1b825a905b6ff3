package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDedupeHandler(t *testing.T) {
	var buf bytes.Buffer
	h := NewDedupeHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}), time.Minute)
	log := slog.New(h).With(slog.String("component", "poller"))
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	emit := func(at time.Time, level slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(at, level, msg, 0)
		r.AddAttrs(attrs...)
		if err := log.Handler().Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	disk := errors.New("no space left on device")
	// One error a second for 90 seconds: logged at 0 s and 60 s (with 59 held).
	for i := range 90 {
		emit(t0.Add(time.Duration(i)*time.Second), slog.LevelError, "poll_failed", slog.Any("error", disk), slog.Int("attempt", i))
	}
	// Infos are never held; a different error is its own record.
	emit(t0, slog.LevelInfo, "feed_polled")
	emit(t0, slog.LevelInfo, "feed_polled")
	emit(t0.Add(time.Second), slog.LevelError, "poll_failed", slog.Any("error", errors.New("read-only")))
	out := buf.String()
	if n := strings.Count(out, "no space left"); n != 2 {
		t.Errorf("the repeated error was logged %d times, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "repeated=59") {
		t.Errorf("no count of held repeats:\n%s", out)
	}
	if strings.Count(out, "feed_polled") != 2 || !strings.Contains(out, "read-only") {
		t.Errorf("other records lost:\n%s", out)
	}
	buf.Reset()
	h.Flush(context.Background())
	if out := buf.String(); !strings.Contains(out, "repeated=29") || !strings.Contains(out, "component=poller") {
		t.Errorf("Flush: %q", out)
	}
}
