package bot

import (
	"math"
	"sort"
	"time"
)

// Search ranking, the one policy of every store: a store's full-text
// engine finds the matches and gives each a raw relevance (SQLite: -bm25;
// PostgreSQL: ts_rank); RankMatches orders them by relevance times a
// recency boost,
//
//	relevance × (1 + RecencyBoost × 2^(-age/RecencyHalfLife)),
//
// age counted from the newest match ranked together, so that a story of
// the latest issue weighs up to 1.5 times an equally relevant old one and
// the best-matching story still comes first when relevance differs
// clearly. Equal scores go to the higher (newer) story id.
const (
	RecencyBoost    = 0.5                  // weight of the newest story over an equally relevant old one, minus 1
	RecencyHalfLife = 180 * 24 * time.Hour // age at which the boost halves
)

// Match is one story a store's full-text search found, with what ranking
// needs.
type Match struct {
	ID        int64     // the story's id
	Relevance float64   // the engine's raw score; higher is better
	Published time.Time // its issue's publication time
}

// RankMatches sorts ms best first (see RecencyBoost) and returns the best
// n. It reorders ms.
func RankMatches(ms []Match, n int) []Match {
	if len(ms) == 0 || n <= 0 {
		return nil
	}
	newest := ms[0].Published
	for _, m := range ms {
		if m.Published.After(newest) {
			newest = m.Published
		}
	}
	type scored struct {
		Match
		score float64
	}
	ss := make([]scored, len(ms))
	for i, m := range ms {
		age := newest.Sub(m.Published)
		ss[i] = scored{m, m.Relevance * (1 + RecencyBoost*math.Exp2(-float64(age)/float64(RecencyHalfLife)))}
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].score != ss[j].score {
			return ss[i].score > ss[j].score
		}
		return ss[i].ID > ss[j].ID
	})
	for i := range ss {
		ms[i] = ss[i].Match
	}
	return ms[:min(n, len(ms))]
}
