//go:build unix

package feeds

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSplitRatio runs gofeed's parse alone (its defaults, as
// BenchmarkGofeedParse) and the whole parse + split, alternately, on the
// same 15-issue page, and reports the ratio of their process CPU times
// (GC included): the figure the README gives, less sensitive than wall
// time to other processes on a shared machine. Goal: at most 1.5.
func BenchmarkSplitRatio(b *testing.B) {
	data := benchFeed(b)
	s := newSplitter(SplitOptions{})
	var gofeedCPU, splitCPU time.Duration
	for b.Loop() {
		t0 := cpuTime()
		if _, err := gofeed.NewParser().Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		t1 := cpuTime()
		if _, err := parse(data, "https://digest.example.org/rss/", s); err != nil {
			b.Fatal(err)
		}
		t2 := cpuTime()
		gofeedCPU += t1 - t0
		splitCPU += t2 - t1
	}
	if gofeedCPU > 0 {
		b.ReportMetric(float64(splitCPU)/float64(gofeedCPU), "ratio")
		b.ReportMetric(float64(gofeedCPU.Microseconds())/float64(b.N), "gofeed-µs/op")
		b.ReportMetric(float64(splitCPU.Microseconds())/float64(b.N), "split-µs/op")
	}
}
