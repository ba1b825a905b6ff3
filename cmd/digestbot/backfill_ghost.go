package main

import (
	"context"
	"fmt"

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

// backfillGhost archives every published post of a Ghost site, read page
// by page from its Content API (feeds.Fetcher.GhostHistory), the way
// backfill archives feed pages (bot.Poller.Backfill: nothing is posted).
func backfillGhost(ctx context.Context, e env, poller *bot.Poller, f *feeds.Fetcher, feed, key string, maxPages int) error {
	newsletter := ""
	if fs, err := poller.Store.Feed(ctx, feed); err == nil && fs.Title != "" {
		newsletter = fs.Title
	} else if res, err := f.Fetch(ctx, bot.FeedState{URL: feed}); err == nil {
		newsletter = res.Title
	}
	prog := newProgress(e.stderr)
	var total, inserted, updated int
	var archiveErr error
	err := f.GhostHistory(ctx, feed, key, newsletter, maxPages, ghostAPIPage, func(page int, res *bot.FetchResult) error {
		r, err := poller.Backfill(ctx, feed, res)
		total += r.Issues - r.Duplicates
		inserted += r.Inserted
		updated += r.Updated
		prog.show("page %d: %d issues read, %d new, %d updated", page, total, inserted, updated)
		archiveErr = err
		return err
	})
	prog.done()
	if err != nil {
		if archiveErr != nil {
			return err
		}
		return fmt.Errorf("backfill %s: %w", bot.RedactURL(feed), err)
	}
	fmt.Fprintf(e.stdout, "backfill %s (Ghost Content API): %d issues read, %d archived, %d updated; nothing was posted\n",
		bot.RedactURL(feed), total, inserted, updated)
	return nil
}
