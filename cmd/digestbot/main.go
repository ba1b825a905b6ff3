// Command digestbot polls a newsletter digest's feed, splits every issue
// into a lead-story post and roundup posts, publishes them to Slack,
// Discord or the console exactly once, archives them and answers /digest
// commands.
//
// This package only wires: flags and environment → config → feeds, store
// and adapters → bot.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, lookup: os.LookupEnv})
	stop()
	os.Exit(code)
}

// env is the outside world a command sees; tests replace it.
type env struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "[--once]", "poll feeds, deliver posts and answer commands until stopped", cmdRun},
		{"preview", "[--json] FEED...", "fetch and split feeds (URL or file) and show the posts, without storing anything", cmdPreview},
		{"search", "[--json] [--limit N] QUERY", "search the archive", cmdSearch},
		{"latest", "[--json]", "show the newest archived issue", cmdLatest},
		{"backfill", "FEED", "archive a feed's issues without posting them", cmdBackfill},
		{"status", "", "feeds, the outbox, failed posts and replicas", cmdStatus},
		{"retry", "ID...", "send failed posts again (ids from status or an alert)", cmdRetry},
		{"feeds", "export|import FILE --channel C", "export every feed as OPML 2.0, or subscribe a channel to an OPML file's feeds", cmdFeeds},
		{"config", "check", "validate the configuration and print it without secrets", cmdConfig},
		{"healthcheck", "[URL]", "GET the running bot's /healthz (default http://127.0.0.1:8080/healthz); for container health checks", cmdHealthcheck},
		{"version", "", "print the version", func(_ context.Context, e env, _ []string) error {
			fmt.Fprintln(e.stdout, "digestbot", version)
			return nil
		}},
	}
}

// errUsage means the command line was wrong; the usage was printed.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(e.stderr, "digestbot %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "digestbot: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: digestbot COMMAND [--config FILE] [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %-28s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration: --config FILE (default digestbot.yaml when present) and DIGESTBOT_* variables; see README.md.")
}

// flags returns a FlagSet for a command with the shared --config flag.
func flags(e env, name, args string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg := fs.String("config", "", "YAML configuration `file` (default digestbot.yaml when present)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: digestbot %s [--config FILE] %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs, cfg
}

// parse parses flags, allowing them after positional arguments too
// ("search cambodia --json").
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}
