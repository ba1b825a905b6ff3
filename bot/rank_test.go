package bot

import (
	"fmt"
	"testing"
	"time"
)

func TestRankMatches(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	ids := func(ms []Match) string {
		s := ""
		for _, m := range ms {
			s += fmt.Sprint(m.ID, " ")
		}
		return s
	}
	for _, tt := range []struct {
		name string
		in   []Match
		n    int
		want string
	}{
		{"equal relevance: the newer first, whatever its id", []Match{{1, 1, day(180)}, {2, 1, day(0)}}, 5, "1 2 "},
		{"clearly more relevant old story first", []Match{{1, 1, day(365)}, {2, 2, day(0)}}, 5, "2 1 "},
		// 1.0×1.5 = 1.5 against 1.3×(1+0.5×0.5) = 1.625 and 1.25×1.25 = 1.5625
		{"half-life", []Match{{1, 1, day(180)}, {2, 1.3, day(0)}, {3, 1.25, day(0)}, {4, 1.1, day(0)}}, 5, "2 3 1 4 "},
		{"equal scores: the higher id", []Match{{4, 1, day(1)}, {7, 1, day(1)}}, 5, "7 4 "},
		{"best n", []Match{{1, 1, day(0)}, {2, 3, day(0)}, {3, 2, day(0)}}, 2, "2 3 "},
		{"none", nil, 5, ""},
	} {
		if got := ids(RankMatches(tt.in, tt.n)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
