package bot_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"digestbot/adapters/sqlite"
	"digestbot/bot"
)

// ttlSource serves an empty feed that asks for an hour between polls, as
// every Ghost feed does with <ttl>60</ttl>.
type ttlSource struct{}

func (ttlSource) Fetch(ctx context.Context, f bot.FeedState) (*bot.FetchResult, error) {
	return &bot.FetchResult{Title: "T", ETag: `W/"1"`, TTL: time.Hour}, nil
}

func TestConfiguredIntervalWinsOverTTL(t *testing.T) {
	for _, c := range []struct {
		respect bool
		want    time.Duration
	}{{false, 5 * time.Minute}, {true, time.Hour}} {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		clk := &pushClock{t: pushT0}
		p := &bot.Poller{Store: st, Source: ttlSource{}, Owner: "t", Now: clk.Now, Jitter: func(time.Duration) time.Duration { return 0 },
			Feeds: []bot.FeedPlan{{URL: "https://n.example.org/rss/", Interval: 5 * time.Minute, RespectTTL: c.respect}}}
		if err := p.Register(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, err := p.PollDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("PollDue = %d, %v", n, err)
		}
		f, err := st.Feed(context.Background(), "https://n.example.org/rss/")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.NextPoll.Sub(pushT0); got != c.want {
			t.Errorf("respect_ttl=%v: next poll in %s, want %s", c.respect, got, c.want)
		}
	}
}
