package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"digestbot/bot"
	"digestbot/config"
	"digestbot/feeds"
)

// ghostAPIPage is how many posts backfill asks the Content API for at once.
const ghostAPIPage = 50

// ghostNoKeyHint is what backfill says after reading a Ghost feed without
// a Content API key.
const ghostNoKeyHint = `This looks like a Ghost site: its feed holds only the newest 15 issues and has no page 2, so older issues were not archived.
To archive every issue, give backfill the site's Content API key: in Ghost Admin, Settings → Integrations → Add custom integration (e.g. "digestbot"), copy its Content API key, then run
  digestbot backfill --ghost-key KEY FEED
or set ghost.content_api_key (DIGESTBOT_GHOST_CONTENT_API_KEY) and run backfill again.
`

// ghostContentKey returns the Content API key for a feed: the flag, else
// the feed's own ghost.content_api_key, else the ghost section's.
func ghostContentKey(cfg *config.Config, feed, flag string) string {
	if flag != "" {
		return flag
	}
	return cfg.GhostCredentials(feed).ContentAPIKey.Value()
}

// isGhostFeedPath reports whether a feed address has Ghost's shape
// (…/rss/).
func isGhostFeedPath(feed string) bool {
	u, err := url.Parse(feed)
	return err == nil && (strings.HasSuffix(u.Path, "/rss/") || strings.HasSuffix(u.Path, "/rss"))
}

// backfillGhost archives every published post of a Ghost site, read page
// by page from its Content API, the way backfill archives feed pages
// (bot.Poller.Backfill: nothing is posted).
func backfillGhost(ctx context.Context, e env, poller *bot.Poller, f *feeds.Fetcher, feed, key string, maxPages int) error {
	newsletter := ""
	if fs, err := poller.Store.Feed(ctx, feed); err == nil && fs.Title != "" {
		newsletter = fs.Title
	} else if res, err := f.Fetch(ctx, bot.FeedState{URL: feed}); err == nil {
		newsletter = res.Title
	}
	prog := newProgress(e.stderr)
	var total, inserted, updated int
	for page := 1; page <= maxPages; page++ {
		gp, err := f.GhostPosts(ctx, feed, key, page, ghostAPIPage)
		if err != nil {
			prog.done()
			if errors.Is(err, feeds.ErrGhostKey) {
				return fmt.Errorf("backfill %s: %w", bot.RedactURL(feed), err)
			}
			return fmt.Errorf("backfill %s: Content API page %d: %w", bot.RedactURL(feed), page, err)
		}
		if len(gp.Posts) == 0 {
			break // past the last page
		}
		res := &bot.FetchResult{Title: newsletter}
		for _, p := range gp.Posts {
			is, err := f.GhostIssue(feed, p)
			if err != nil {
				prog.done()
				return fmt.Errorf("backfill %s: post %s: %w", bot.RedactURL(feed), p.ID, err)
			}
			res.Issues = append(res.Issues, is)
		}
		r, err := poller.Backfill(ctx, feed, res)
		total += r.Issues - r.Duplicates
		inserted += r.Inserted
		updated += r.Updated
		prog.show("page %d: %d issues read, %d new, %d updated", page, total, inserted, updated)
		if err != nil {
			prog.done()
			return err
		}
		if gp.Next == 0 {
			break
		}
	}
	prog.done()
	fmt.Fprintf(e.stdout, "backfill %s (Ghost Content API): %d issues read, %d archived, %d updated; nothing was posted\n",
		bot.RedactURL(feed), total, inserted, updated)
	return nil
}
