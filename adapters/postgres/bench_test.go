package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/storetest"

	"github.com/jackc/pgx/v5"
)

// benchStories is the size of the search benchmark's archive.
const benchStories = 100_000

var (
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
)

// loadCorpus archives storetest.Corpus(benchStories, 1) in a new database
// with COPY, reporting progress on stderr, once per test binary.
func loadCorpus(b *testing.B) *Store {
	benchOnce.Do(func() {
		dsn := newDatabase(b)
		ctx := context.Background()
		start := time.Now()
		corpus := storetest.Corpus(benchStories, 1)
		fmt.Fprintf(os.Stderr, "corpus: %d issues generated in %v\n", len(corpus), time.Since(start).Round(time.Millisecond))
		s, err := Open(ctx, dsn, nil)
		if err != nil {
			benchErr = err
			return
		}
		benchStore = s
		benchErr = copyCorpus(ctx, s, corpus)
		fmt.Fprintf(os.Stderr, "corpus: loaded in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatalf("load corpus: %v", benchErr)
	}
	return benchStore
}

// copyCorpus writes the issues, then their stories, with COPY: the same
// rows SaveIssue writes, without deliveries.
func copyCorpus(ctx context.Context, s *Store, corpus []bot.Issue) error {
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"issues"},
		[]string{"feed", "guid", "newsletter", "title", "link", "published", "standfirst", "image", "split", "hash"},
		pgx.CopyFromSlice(len(corpus), func(i int) ([]any, error) {
			is := &corpus[i]
			return []any{is.Feed, is.GUID, is.Newsletter, is.Title, is.Link, dbTime(is.Published),
				is.Standfirst, is.Image, is.Split, is.Hash()}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy issues: %w", err)
	}
	ids := map[[2]string]int64{}
	rows, err := s.pool.Query(ctx, `SELECT id, feed, guid FROM issues`)
	if err != nil {
		return err
	}
	var id int64
	var feed, guid string
	if _, err := pgx.ForEachRow(rows, []any{&id, &feed, &guid}, func() error {
		ids[[2]string{feed, guid}] = id
		return nil
	}); err != nil {
		return err
	}
	src := &storySource{corpus: corpus, ids: ids, start: time.Now()}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"stories"},
		[]string{"issue_id", "part", "item", "text", "rich", "url"}, src); err != nil {
		return fmt.Errorf("copy stories: %w", err)
	}
	_, err = s.pool.Exec(ctx, `VACUUM ANALYZE issues, stories`)
	return err
}

// storySource feeds COPY every story of the corpus in archive order and
// prints progress.
type storySource struct {
	corpus []bot.Issue
	ids    map[[2]string]int64
	i, j   int // issue, story within it (0 is the lead)
	n      int
	start  time.Time
	row    []any
	err    error
}

func (s *storySource) Next() bool {
	for s.i < len(s.corpus) {
		is := &s.corpus[s.i]
		if s.j > len(is.Roundup) {
			s.i, s.j = s.i+1, 0
			continue
		}
		st, part, item := is.Lead, bot.PartLead, 0
		if s.j > 0 {
			st, part, item = is.Roundup[s.j-1], bot.PartRoundup, s.j-1
		}
		s.j++
		rich, err := json.Marshal(st)
		if err != nil {
			s.err = err
			return false
		}
		s.row = []any{s.ids[[2]string{is.Feed, is.GUID}], string(part), item, st.Text(), string(rich), st.URL}
		s.n++
		if s.n%20_000 == 0 {
			fmt.Fprintf(os.Stderr, "corpus: %d stories copied (%v)\n", s.n, time.Since(s.start).Round(time.Millisecond))
		}
		return true
	}
	return false
}

func (s *storySource) Values() ([]any, error) { return s.row, nil }
func (s *storySource) Err() error             { return s.err }

// BenchmarkSearch measures Search over 100,000 stories for the query
// classes of storetest.CorpusQueries, cycling through each class's
// queries, and reports the median and 99th-percentile latency.
//
//	go test -run '^$' -bench BenchmarkSearch -benchtime 200x ./adapters/postgres/
func BenchmarkSearch(b *testing.B) {
	s := loadCorpus(b)
	ctx := context.Background()
	for _, class := range storetest.CorpusQueries() {
		queries := make([]bot.Query, len(class.Queries))
		for i, q := range class.Queries {
			queries[i] = bot.ParseQuery(q)
		}
		b.Run(class.Name, func(b *testing.B) {
			var took []time.Duration
			hits := 0
			for i := 0; b.Loop(); i++ {
				t := time.Now()
				hs, err := s.Search(ctx, queries[i%len(queries)], bot.MaxSearchHits)
				took = append(took, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				hits += len(hs)
			}
			b.StopTimer()
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			pct := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(hits)/float64(len(took)), "hits/op")
		})
	}
}
