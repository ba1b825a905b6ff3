package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"digestbot/adapters/console"
	"digestbot/bot"
	"digestbot/config"
	"digestbot/feeds"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printIssue prints an issue's posts as the console channel would.
func printIssue(w io.Writer, is *bot.Issue) {
	ch := bot.Channel{ID: "preview", Platform: "console", Layout: bot.LayoutThread}
	for _, p := range bot.PostsFor(is, ch.Layout) {
		io.WriteString(w, console.FormatPost(p, ch, ""))
	}
}

func cmdPreview(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "preview", "[--json | --explain] FEED...")
	asJSON := fs.Bool("json", false, "print a JSON array, one object per feed item")
	explain := fs.Bool("explain", false, "print, for each issue, which marker or heading started which section and which rule dropped which paragraph")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	// Preview needs no valid configuration, only its fetch settings.
	cfg, err := config.Load(*cfgPath, e.lookup)
	if err != nil {
		return err
	}
	plans, _ := cfg.Resolve()
	f := newFetcher(cfg, plans, nil)
	if *explain {
		return explainFeeds(ctx, e.stdout, f, fs.Args())
	}
	out := []feeds.PreviewIssue{}
	for _, url := range fs.Args() {
		res, err := f.Fetch(ctx, bot.FeedState{URL: url})
		if err != nil {
			return err
		}
		for i := range res.Issues {
			if *asJSON {
				out = append(out, feeds.Preview(res.Issues[i]))
			} else {
				printIssue(e.stdout, &res.Issues[i])
			}
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	return nil
}

// explainFeeds prints how each issue of the feeds was split.
func explainFeeds(ctx context.Context, w io.Writer, f *feeds.Fetcher, urls []string) error {
	for _, url := range urls {
		res, exps, err := f.Explain(ctx, url)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "feed %s: %q, %d issues\n", feeds.RedactURL(url), res.Title, len(res.Issues))
		for i, ex := range exps {
			fmt.Fprintf(w, "\nissue %d: %q (guid %s)\n", i+1, ex.Title, ex.GUID)
			for _, n := range ex.Notes {
				fmt.Fprintf(w, "  %s\n", n)
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}

// withStore loads the configuration and opens the store for a command.
func withStore(ctx context.Context, e env, cfgPath string, validate bool, f func(*config.Config, bot.Store) error) error {
	var (
		cfg *config.Config
		err error
	)
	if validate {
		cfg, err = loadConfig(cfgPath, e)
	} else {
		cfg, err = config.Load(cfgPath, e.lookup)
	}
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	return f(cfg, st)
}

// withReadStore is withStore for commands that only read: the database is
// opened read-only (nothing written, no migration; a SQLite file on a
// read-only volume works), and a schema other than this binary's is
// refused (openReadStore).
func withReadStore(ctx context.Context, e env, cfgPath string, f func(*config.Config, bot.Store) error) error {
	cfg, err := config.Load(cfgPath, e.lookup)
	if err != nil {
		return err
	}
	st, err := openReadStore(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return fmt.Errorf("open database %s (DIGESTBOT_DB): %w", cfg.DB, err)
	}
	defer st.Close()
	return f(cfg, st)
}

// searchHit is one line of `search --json`.
type searchHit struct {
	IssueGUID  string `json:"issue_guid"`
	IssueTitle string `json:"issue_title"`
	Published  string `json:"published"`
	Part       string `json:"part"`
	Text       string `json:"text"`
	Snippet    string `json:"snippet"`
	URL        string `json:"url"`
}

func cmdSearch(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "search", "[--json] [--limit N] QUERY")
	asJSON := fs.Bool("json", false, "print a JSON array of hits, best first")
	limit := fs.Int("limit", bot.MaxSearchHits, "at most `N` hits (1-100)")
	// "-word" excludes a word, so only this command's own flags are flags.
	flagArgs, words := splitSearchArgs(fs, args)
	if err := fs.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *limit < 1 || *limit > 100 {
		return fmt.Errorf("--limit %d: give a number from 1 to 100", *limit)
	}
	q := bot.ParseQuery(strings.Join(words, " "))
	if q.Empty() {
		return errors.New(`nothing to search for: give some words, a "quoted phrase", or -word to exclude`)
	}
	return withReadStore(ctx, e, *cfgPath, func(_ *config.Config, st bot.Store) error {
		hits, err := st.Search(ctx, q, *limit)
		if err != nil {
			return err
		}
		if !*asJSON {
			r := bot.SearchReply(q, hits)
			if len(hits) >= *limit {
				r.Note = ""
			}
			_, err := io.WriteString(e.stdout, console.FormatReply(r))
			return err
		}
		out := make([]searchHit, 0, len(hits))
		for _, h := range hits {
			out = append(out, searchHit{
				IssueGUID: h.IssueGUID, IssueTitle: h.IssueTitle, Published: rfc3339(h.Published),
				Part: string(h.Part), Text: h.Text, Snippet: h.Snippet, URL: h.URL,
			})
		}
		return writeJSON(e.stdout, out)
	})
}

// splitSearchArgs separates the flags fs defines (and their values) from
// the query words, which may start with "-".
func splitSearchArgs(fs *flag.FlagSet, args []string) (flagArgs, words []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flagArgs, append(words, args[i+1:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if !strings.HasPrefix(a, "-") || (f == nil && name != "h" && name != "help") {
			words = append(words, a)
			continue
		}
		flagArgs = append(flagArgs, a)
		if f == nil || hasValue || i+1 == len(args) {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			i++
			flagArgs = append(flagArgs, args[i])
		}
	}
	return flagArgs, words
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func cmdLatest(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "latest", "[--json]")
	asJSON := fs.Bool("json", false, "print the issue as JSON (the preview --json shape)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withReadStore(ctx, e, *cfgPath, func(_ *config.Config, st bot.Store) error {
		is, err := st.LatestIssue(ctx)
		if errors.Is(err, bot.ErrNotFound) {
			return errors.New("the archive is empty: run `digestbot run --once` or `digestbot backfill FEED` first")
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, feeds.Preview(*is))
		}
		printIssue(e.stdout, is)
		return nil
	})
}

func cmdStatus(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "status", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withReadStore(ctx, e, *cfgPath, func(cfg *config.Config, st bot.Store) error {
		now := time.Now()
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		states, err := st.Feeds(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "FEED\tISSUES\tLAST POLL\tNEXT POLL\tFAILURES\tLAST ERROR")
		for _, f := range states {
			n, err := st.CountIssues(ctx, f.URL)
			if err != nil {
				return err
			}
			last, next := "never", "-"
			if !f.LastPoll.IsZero() {
				last = bot.Ago(now.Sub(f.LastPoll))
			}
			if !f.NextPoll.IsZero() {
				next = "due"
				if d := f.NextPoll.Sub(now); d > 0 {
					next = "in " + bot.Approx(d)
				}
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d\t%s\n", bot.RedactURL(f.URL), n, last, next, f.ConsecutiveFailures, oneLine(bot.RedactText(f.LastError), 80))
		}
		w.Flush()

		counts, err := st.DeliveryCounts(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nOutbox: %d sent, %d failed, %d removed, %d in flight\n",
			counts[bot.StateSent]+counts[bot.StateEdit], counts[bot.StateFailed], counts[bot.StateRemoved], counts[bot.StatePending])
		if ps, ok := st.(bot.PushStore); ok {
			if pc, err := ps.PushCounts(ctx); err == nil && len(pc) > 0 {
				fmt.Fprintf(e.stdout, "Pushed events (Ghost webhooks, WebSub; last 24 h): %d processed, %d waiting, %d given up\n",
					pc["done"], pc["pending"], pc["failed"])
			}
		}
		_, chans := cfg.Resolve()
		queues, err := bot.Queues(ctx, st, chans, now, 0)
		if err != nil {
			return err
		}
		if len(queues) > 0 {
			fmt.Fprintln(e.stdout, "\nChannels:")
			w = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CHANNEL\tPENDING\tISSUES\tIN PROGRESS\tLAST SENT\tWAITING")
			for _, q := range queues {
				progress, last := "-", "never"
				if q.Issues > 0 {
					progress = oneLine(fmt.Sprintf("#%d %s", q.InProgress.IssueID, q.InProgress.Title), 50)
					if q.InProgress.Withdrawn() {
						progress = fmt.Sprintf("#%d (withdrawn)", q.InProgress.IssueID)
					}
				}
				if !q.LastSent.IsZero() {
					last = bot.Ago(now.Sub(q.LastSent))
				}
				waiting := q.Waiting
				if waiting == "" {
					waiting = "-"
				}
				fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\n", q.Channel, q.Pending, q.Issues, progress, last, oneLine(waiting, 120))
			}
			w.Flush()
		}
		failed, err := st.Deliveries(ctx, 20, bot.StateFailed)
		if err != nil {
			return err
		}
		if len(failed) > 0 {
			fmt.Fprintln(e.stdout, "\nFailed posts (newest first):")
			w = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "DELIVERY\tISSUE\tCHANNEL\tPART\tATTEMPTS\tERROR")
			for _, d := range failed {
				part := string(d.Part)
				if d.Part == bot.PartRoundup {
					part = fmt.Sprintf("roundup %d", d.Item+1)
				}
				fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%d\t%s\n", d.ID, d.IssueID, d.Channel, part, d.Attempts, oneLine(bot.RedactText(d.LastError), 100))
			}
			w.Flush()
		}
		reps, err := st.Replicas(ctx, now.Add(-10*time.Minute))
		if err != nil {
			return err
		}
		if len(reps) > 0 {
			fmt.Fprintln(e.stdout, "\nReplicas seen in the last 10 minutes:")
			w = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "REPLICA\tSTARTED\tHEARTBEAT\tFEEDS\tSENDING\tINFO")
			for _, r := range reps {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.Started.UTC().Format(time.RFC3339), bot.Ago(now.Sub(r.Heartbeat)), r.Feeds, r.Sending, r.Info)
			}
			w.Flush()
		}
		return nil
	})
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func cmdConfig(_ context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "config", "check")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "check" {
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(*cfgPath, e.lookup)
	if err != nil {
		return err
	}
	io.WriteString(e.stdout, cfg.Redacted())
	for _, w := range cfg.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	if unknown := config.UnknownEnv(os.Environ()); len(unknown) > 0 {
		fmt.Fprintf(e.stderr, "warning: unknown variables (typo?): %s\n", strings.Join(unknown, ", "))
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("the configuration has problems:\n%w", err)
	}
	fmt.Fprintln(e.stderr, "configuration OK")
	return nil
}
