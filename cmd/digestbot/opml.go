package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"digestbot/bot"
	"digestbot/config"
	"digestbot/feeds"
)

// cmdFeeds is `digestbot feeds export` and `digestbot feeds import`.
func cmdFeeds(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: digestbot feeds export > subs.opml\n       digestbot feeds import FILE --channel slack:C0123ABCD|discord:112233445566778899 [--layout thread|separate|combined]")
		return errUsage
	}
	switch args[0] {
	case "export":
		return feedsExport(ctx, e, args[1:])
	case "import":
		return feedsImport(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "digestbot feeds: unknown subcommand %q: want export or import\n", args[0])
	return errUsage
}

// feedsExport writes every feed, configured and subscribed from chat, as
// OPML 2.0 on standard output.
func feedsExport(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "feeds export", "> subs.opml")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStore(ctx, e, *cfgPath, false, func(cfg *config.Config, st bot.Store) error {
		titles := map[string]string{}
		states, err := st.Feeds(ctx)
		if err != nil {
			return err
		}
		for _, f := range states {
			titles[f.URL] = f.Title
		}
		var out []feeds.OPMLFeed
		seen := map[string]bool{}
		add := func(u, name string) {
			if seen[u] || !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return // local files mean nothing elsewhere
			}
			seen[u] = true
			if name == "" {
				name = titles[u]
			}
			out = append(out, feeds.OPMLFeed{URL: u, Title: name})
		}
		cfeeds, _ := cfg.Resolve()
		for _, f := range cfeeds {
			add(f.URL, f.Name)
		}
		if ss, ok := st.(bot.SubscriptionStore); ok {
			subs, err := ss.Subscriptions(ctx, "")
			if err != nil {
				return err
			}
			for _, s := range subs {
				add(s.Feed, "")
			}
		}
		return feeds.WriteOPML(e.stdout, "digestbot feeds", out, time.Now())
	})
}

// parseChannel reads --channel: slack:C0123ABCD or discord:112233445566778899.
func parseChannel(s string) (platform, target string, err error) {
	platform, target, _ = strings.Cut(strings.TrimSpace(s), ":")
	if !config.ValidTarget(platform, target) {
		return "", "", fmt.Errorf("--channel %q: want slack:C0123ABCD (a Slack channel id) or discord:112233445566778899 (a Discord channel id)", s)
	}
	return platform, target, nil
}

// feedsImport subscribes a channel to every feed of an OPML file, as
// /digest subscribe would (without fetching them now: the poller does,
// under the egress policy for feeds added from chat).
func feedsImport(ctx context.Context, e env, args []string) error {
	fs, cfgPath := flags(e, "feeds import", "FILE --channel slack:C0123ABCD|discord:112233445566778899 [--layout thread|separate|combined]")
	channel := fs.String("channel", "", "the channel that receives the feeds: slack:<channel id> or discord:<channel id>")
	layout := fs.String("layout", "thread", "how the roundup is posted: thread, separate or combined")
	// The file may come before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" || *channel == "" {
		fs.Usage()
		return errUsage
	}
	platform, target, err := parseChannel(*channel)
	if err != nil {
		return err
	}
	if !bot.Layout(*layout).Valid() {
		return fmt.Errorf("--layout %q: want thread, separate or combined", *layout)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	list, perr := feeds.ParseOPML(f)
	if perr != nil && len(list) == 0 {
		return perr
	}
	by := "digestbot feeds import"
	if u, err := user.Current(); err == nil && u.Username != "" {
		by += " (" + u.Username + ")"
	}
	return withStore(ctx, e, *cfgPath, true, func(cfg *config.Config, st bot.Store) error {
		ss, ok := st.(bot.SubscriptionStore)
		if !ok {
			return errors.New("this database cannot keep subscriptions")
		}
		created, changed := 0, 0
		for _, fd := range list {
			sub := bot.Subscription{Feed: fd.URL, Platform: platform, Target: target, Layout: bot.Layout(*layout), AddedBy: by, AddedAt: time.Now()}
			isNew, err := ss.Subscribe(ctx, sub)
			if err == nil {
				err = st.EnsureFeed(ctx, fd.URL)
			}
			if err != nil {
				return fmt.Errorf("subscribe %s to %s: %w", *channel, bot.RedactURL(fd.URL), err)
			}
			if isNew {
				created++
			} else {
				changed++
			}
			fmt.Fprintf(e.stdout, "%s → %s (%s)\n", bot.RedactURL(fd.URL), *channel, *layout)
		}
		fmt.Fprintf(e.stdout, "%d subscribed, %d already were (layout set to %s). The running bot polls them within a minute; each first poll posts only the newest issue.\n", created, changed, *layout)
		if perr != nil {
			fmt.Fprintf(e.stderr, "skipped: %v\n", perr)
		}
		return nil
	})
}
