// Command slackload prepares a load test of the Slack slash command
// endpoint: it fills a SQLite archive with the search benchmark's corpus
// (100,000 stories by default) and writes signed `/digest search` requests,
// one per line, for bench/slack-commands.lua to replay with wrk. Each
// request is signed once (the endpoint refuses replays), with the current
// time, so the run must start within five minutes.
//
// With -floor ADDR it instead serves every request with the same fixed
// 2 KB JSON, doing no other work: the load generator and kernel's own
// share of the latency on this machine (FLOOR=1 bash bench/slack-commands.sh).
//
// bench/slack-commands.sh runs the whole benchmark.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"digestbot/adapters/slack"
	"digestbot/adapters/sqlite"
	"digestbot/bot/storetest"
)

func main() {
	db := flag.String("db", "bench.db", "SQLite archive to fill (kept between runs)")
	stories := flag.Int("stories", 100000, "stories in the archive")
	n := flag.Int("requests", 300000, "signed requests to write")
	secret := flag.String("secret", "bench-signing-secret", "Slack signing secret the bot runs with")
	out := flag.String("out", "requests.txt", "file of requests: signature, tab, body")
	floor := flag.String("floor", "", "serve a fixed 2 KB reply on this address instead (the harness's floor)")
	flag.Parse()
	if *floor != "" {
		fmt.Fprintln(os.Stderr, "slackload:", serveFloor(*floor))
		os.Exit(1)
	}
	if err := run(*db, *stories, *n, *secret, *out); err != nil {
		fmt.Fprintln(os.Stderr, "slackload:", err)
		os.Exit(1)
	}
}

func run(db string, stories, n int, secret, out string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	have, err := st.CountIssues(ctx, "")
	if err != nil {
		return err
	}
	if have == 0 {
		fmt.Fprintf(os.Stderr, "slackload: generating %d stories into %s\n", stories, db)
		if err := storetest.Load(ctx, st, storetest.Corpus(stories, 1), os.Stderr); err != nil {
			return err
		}
	}
	// The four query classes of the search benchmark, interleaved.
	var queries []string
	classes := storetest.CorpusQueries()
	for i := 0; len(queries) < 64; i++ {
		c := classes[i%len(classes)]
		queries = append(queries, c.Queries[(i/len(classes))%len(c.Queries)])
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	fmt.Fprintln(w, ts)
	for i := 0; i < n; i++ {
		form := url.Values{
			"token": {"unused"}, "team_id": {"T0BENCH"}, "channel_id": {"C0BENCH"}, "user_id": {"U0BENCH"},
			"command": {"/digest"}, "text": {"search " + queries[i%len(queries)]},
			"response_url": {"https://hooks.slack.com/commands/T0BENCH/" + strconv.Itoa(i)},
			"trigger_id":   {strconv.Itoa(i)},
		}
		body := form.Encode()
		fmt.Fprintf(w, "%s\t%s\n", slack.Sign(secret, ts, []byte(body)), body)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "slackload: wrote %d signed requests to %s\n", n, out)
	return f.Close()
}

// serveFloor answers every request with a fixed JSON body the size of a
// search reply, after reading the request: nothing of digestbot runs.
func serveFloor(addr string) error {
	body := []byte(`{"response_type":"ephemeral","text":"` + strings.Repeat("x", 2000) + `"}`)
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
}
