package main

import (
	"context"
	"fmt"
	"io"

	"digestbot/bot"
	"digestbot/config"
	"digestbot/feeds"
)

func cmdBackfill(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "backfill", "[--pages N] [--ghost-key KEY] FEED")
	pages := fs.Int("pages", 100, "follow at most `N` pages of the feed's history (Ghost /rss/2/, WordPress ?paged=2, Content API pages of 50)")
	ghostKey := fs.String("ghost-key", "", "a Ghost site's Content API `KEY`: read every post through the Content API instead of the feed (default ghost.content_api_key)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *pages < 1 {
		fs.Usage()
		return errUsage
	}
	feed := fs.Arg(0)
	return withStore(ctx, e, *cfgPath, false, func(cfg *config.Config, st bot.Store) error {
		log := newLogger(cfg, e.stderr)
		if err := st.EnsureFeed(ctx, feed); err != nil {
			return err
		}
		feedPlans, _ := cfg.Resolve()
		poller := &bot.Poller{Store: st, Feeds: feedPlans, Logger: log}
		if ps, ok := st.(bot.PushStore); ok {
			poller.Pushes = ps // issues withdrawn by a push stay out
		}
		f := newFetcher(cfg, feedPlans, log)
		if key := ghostContentKey(cfg, feed, *ghostKey); key != "" {
			return backfillGhost(ctx, e, poller, f, feed, key, *pages)
		}
		prog := newProgress(e.stderr)
		var total, inserted, updated, lastPage int
		err := f.History(ctx, feed, *pages, func(page int, res *bot.FetchResult) error {
			r, err := poller.Backfill(ctx, feed, res)
			total += r.Issues - r.Duplicates
			inserted += r.Inserted
			updated += r.Updated
			lastPage = page
			prog.show("page %d: %d issues read, %d new, %d updated", page, total, inserted, updated)
			return err
		})
		prog.done()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backfill %s: %d issues read, %d archived, %d updated; nothing was posted\n",
			bot.RedactURL(feed), total, inserted, updated)
		if lastPage == 1 && total >= 15 && feeds.IsGhostFeedURL(feed) {
			fmt.Fprint(e.stderr, ghostNoKeyHint)
		}
		return nil
	})
}

// progress shows a one-line progress report, rewritten in place on a
// terminal and printed every update (a page) elsewhere.
type progress struct {
	w     io.Writer
	tty   bool
	shown bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w, tty: isTerminal(w)} }

func (p *progress) show(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) done() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
	p.shown = false
}
