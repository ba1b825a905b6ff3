package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/storetest"
)

// benchStories is the size of the benchmark archive: about 100,000, and
// 127 stories after the recent index was last optimized (every 128th
// story), the worst moment for tier 1.
const benchStories = 100095

var bench struct {
	once sync.Once
	dir  string
	s    *Store
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.s != nil {
		bench.s.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchStore returns the benchmark archive, built once per test binary run
// in a temporary file: storetest.Corpus(benchStories, 1), saved issue by
// issue through SaveIssue, as the poller would. With DIGESTBOT_BENCH_DB set
// to a file name, the archive is built there and reused by later runs
// (delete the file after changing the corpus or the schema).
func benchStore(b *testing.B) *Store {
	b.Helper()
	bench.once.Do(func() {
		ctx := context.Background()
		path := os.Getenv("DIGESTBOT_BENCH_DB")
		if path == "" {
			bench.dir, bench.err = os.MkdirTemp("", "digestbot-sqlite-bench-")
			if bench.err != nil {
				return
			}
			path = filepath.Join(bench.dir, "bench.db")
		}
		bench.s, bench.err = Open(ctx, path, nil)
		if bench.err != nil {
			return
		}
		if n, err := bench.s.CountIssues(ctx, ""); err != nil || n > 0 {
			bench.err = err
			fmt.Fprintf(os.Stderr, "reusing the archive in %s (%d issues)\n", path, n)
			return
		}
		corpus := storetest.Corpus(benchStories, 1)
		fmt.Fprintf(os.Stderr, "building the %d-story archive (%d issues)\n", benchStories, len(corpus))
		bench.err = storetest.Load(ctx, bench.s, corpus, os.Stderr)
		corpus = nil
		runtime.GC() // not during the first measurements
	})
	if bench.err != nil {
		b.Fatalf("benchmark archive: %v", bench.err)
	}
	return bench.s
}

// searchNaive is baseline (a): FTS5 ranking every match by bm25 over the
// full index.
func (s *Store) searchNaive(ctx context.Context, q bot.Query, limit int) ([]bot.Hit, error) {
	fq, ok := buildQuery(q)
	if !ok {
		return nil, nil
	}
	var hits []bot.Hit
	err := s.read(ctx, func(tx *sql.Tx) error {
		ids, err := queryIDs(ctx, tx, `SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?
			ORDER BY bm25(stories_fts) LIMIT ?`, fq.match, limit)
		if err != nil {
			return err
		}
		hits, err = loadHits(ctx, tx, fq, candidatesOf(ids))
		return err
	})
	return hits, err
}

// searchLike is baseline (b): a LIKE '%word%' scan of every story,
// newest first.
func (s *Store) searchLike(ctx context.Context, q bot.Query, limit int) ([]bot.Hit, error) {
	fq, ok := buildQuery(q)
	if !ok {
		return nil, nil
	}
	var conds []string
	var args []any
	for _, w := range q.Terms {
		conds = append(conds, `s.text LIKE ?`)
		args = append(args, "%"+w+"%")
	}
	for _, p := range q.Phrases {
		conds = append(conds, `s.text LIKE ?`)
		args = append(args, "%"+strings.Join(p, " ")+"%")
	}
	args = append(args, limit)
	var hits []bot.Hit
	err := s.read(ctx, func(tx *sql.Tx) error {
		ids, err := queryIDs(ctx, tx, `SELECT s.id FROM stories s JOIN issues i ON i.id = s.issue_id
			WHERE `+strings.Join(conds, " AND ")+` ORDER BY i.published DESC, s.id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		hits, err = loadHits(ctx, tx, fq, candidatesOf(ids))
		return err
	})
	return hits, err
}

func candidatesOf(ids []int64) []candidate {
	cs := make([]candidate, len(ids))
	for i, id := range ids {
		cs[i].ID = id
	}
	return cs
}

// BenchmarkSearch measures Search ("tiered") against the two baselines
// over a 100,095-story archive, for each query class of
// storetest.CorpusQueries (sub-benchmarks method/class), cycling through
// the class's queries. Besides ns/op it reports the median
// and 99th percentile of single queries (p50-ms, p99-ms) and hits/op.
//
//	go test -run '^$' -bench BenchmarkSearch -benchtime 200x ./adapters/sqlite
func BenchmarkSearch(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	methods := []struct {
		name   string
		search func(context.Context, bot.Query, int) ([]bot.Hit, error)
	}{
		{"tiered", s.Search},
		{"naive_bm25", s.searchNaive},
		{"like", s.searchLike},
	}
	// Method by method, so that the baselines' full scans do not evict
	// the pages the tiered search keeps warm.
	for _, m := range methods {
		for _, class := range storetest.CorpusQueries() {
			queries := make([]bot.Query, len(class.Queries))
			for i, q := range class.Queries {
				queries[i] = bot.ParseQuery(q)
			}
			b.Run(m.name+"/"+class.Name, func(b *testing.B) {
				for _, q := range queries { // warm the page cache
					if _, err := m.search(ctx, q, 5); err != nil {
						b.Fatal(err)
					}
				}
				durations := make([]time.Duration, 0, b.N)
				hits := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					hs, err := m.search(ctx, queries[i%len(queries)], 5)
					durations = append(durations, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					hits += len(hs)
				}
				b.StopTimer()
				sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
				pct := func(p float64) float64 {
					d := durations[min(len(durations)-1, int(p*float64(len(durations))))]
					return float64(d) / float64(time.Millisecond)
				}
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.99), "p99-ms")
				b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
			})
		}
	}
}
