package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"digestbot/bot"
	"digestbot/config"
	"digestbot/feeds"
)

func cmdBackfill(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "backfill", "[--pages N] FEED")
	pages := fs.Int("pages", 100, "follow at most `N` pages of the feed's history (Ghost /rss/2/, WordPress ?paged=2)")
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
		f := newFetcher(cfg, log)
		prog := newProgress(e.stderr)
		var total, inserted, updated int
		prevFirst := ""
		for page := 1; page <= *pages; page++ {
			u := pageURL(feed, page)
			if u == "" {
				break
			}
			res, err := f.Fetch(ctx, bot.FeedState{URL: u})
			if err != nil {
				var se *feeds.StatusError
				if page > 1 && errors.As(err, &se) && se.Code == 404 {
					break // past the last page
				}
				prog.done()
				return fmt.Errorf("page %d: %w", page, err)
			}
			if len(res.Issues) == 0 || res.Issues[0].GUID == prevFirst {
				break // past the last page, or a server that ignores the page number
			}
			prevFirst = res.Issues[0].GUID
			for i := range res.Issues {
				is := &res.Issues[i]
				is.Feed = feed
				if is.Newsletter == "" {
					is.Newsletter = res.Title
				}
				r, err := st.SaveIssue(ctx, is, nil)
				if err != nil {
					prog.done()
					return err
				}
				switch r.Status {
				case bot.SaveInserted:
					inserted++
				case bot.SaveUpdated:
					updated++
				}
				total++
				prog.show("page %d: %d issues read, %d new, %d updated", page, total, inserted, updated)
			}
		}
		prog.done()
		fmt.Fprintf(e.stdout, "backfill %s: %d issues read, %d archived, %d updated; nothing was posted\n",
			bot.RedactURL(feed), total, inserted, updated)
		return nil
	})
}

// pageURL returns the address of page n of a feed's history, or "" when
// the feed has no known pagination. Ghost serves /rss/2/, WordPress
// ?paged=2.
func pageURL(feed string, n int) string {
	if n == 1 {
		return feed
	}
	u, err := url.Parse(feed)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	switch {
	case strings.HasSuffix(u.Path, "/rss/") || strings.HasSuffix(u.Path, "/rss"):
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strconv.Itoa(n) + "/"
	case strings.Contains(u.Path, "/feed"):
		q := u.Query()
		q.Set("paged", strconv.Itoa(n))
		u.RawQuery = q.Encode()
	default:
		return ""
	}
	return u.String()
}

// progress shows a one-line progress report, rewritten in place on a
// terminal and printed every 25 updates elsewhere.
type progress struct {
	w     io.Writer
	tty   bool
	n     int
	shown bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) show(format string, args ...any) {
	p.n++
	line := fmt.Sprintf(format, args...)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
	} else if p.n%25 == 0 {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) done() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
	p.shown = false
}
