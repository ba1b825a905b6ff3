package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Reply sizes: results are cut to these and a note says so.
const (
	MaxSearchHits   = 5
	maxSnippetRunes = 300
	maxLeadRunes    = 600
	maxRoundupLinks = 10
	maxLinkRunes    = 120
)

// Service answers the /digest commands from the archive. Its Mux is what
// the Slack, Discord and console adapters hand commands to.
type Service struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// CacheTTL is how long a search reply is reused for the same query;
	// 0 means 30 seconds, negative disables the cache.
	CacheTTL time.Duration
	// Feeds are the configured feeds: /digest feeds shows which post to
	// the channel it is typed in, and chat cannot change them.
	Feeds []FeedPlan
	// Finder checks the URLs of /digest subscribe (egress policy, feed
	// discovery); nil disables subscriptions from chat.
	Finder FeedFinder
	// Subscribed is called (and must not block) after a subscription was
	// added, so the poller looks at the new feed at once.
	Subscribed func()
	// CanPost reports whether the bot can post to channels of a platform
	// by id; nil means it can.
	CanPost func(platform string) bool
	// Shared is called (and must not block) after a story was shared with
	// a "Share in channel" button, so the outbox posts it at once.
	Shared func()

	mux   *Mux
	cache *replyCache
}

// ArchiveChanged tells the service that issues were archived or updated,
// so cached search replies are dropped. The poller's Queued hook calls it.
func (s *Service) ArchiveChanged() {
	if s.cache != nil {
		s.cache.reset()
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Mux returns the command router with every command registered. It is
// built once; later calls return the same Mux.
func (s *Service) Mux() *Mux {
	if s.mux != nil {
		return s.mux
	}
	m := NewMux()
	m.SetLogger(s.log())
	m.HandleFunc("latest", "", "the newest issue: its lead story and roundup", s.latest)
	m.Handle("search", "<words>", `search every issue; "quoted phrase", -exclude`, WithQuick(HandlerFunc(s.search), s.quickSearch))
	m.HandleFunc("issue", "<date or number>", "one issue, by date (2025-11-20) or number (#12)", s.issue)
	m.HandleFunc("feeds", "", "this channel's feeds: last poll, last error, next poll, who subscribed", s.channelFeeds)
	m.HandleFunc("subscribe", "<feed or site URL> [thread|separate|combined]", "admins: this channel receives that feed from now on", s.subscribe)
	m.HandleFunc("unsubscribe", "<feed URL>", "admins: this channel stops receiving a feed it subscribed to", s.unsubscribe)
	m.HandleFunc("follow", "<words>", "a direct message for each new story that matches (same words as search)", s.follow)
	m.HandleFunc("unfollow", "<words>", "stop one of your follows", s.unfollow)
	m.HandleFunc("following", "", "what you follow", s.following)
	m.HandleFunc("catchup", "[days]", "the stories since you last asked (first time: the last 7 days)", s.catchup)
	m.HandleFunc("help", "", "this list", s.help)
	m.HandleHidden(ShareCommand, HandlerFunc(s.share))
	m.Fallback(HandlerFunc(s.help))
	switch {
	case s.CacheTTL == 0:
		s.cache = newReplyCache(4096, 30*time.Second)
	case s.CacheTTL > 0:
		s.cache = newReplyCache(4096, s.CacheTTL)
	}
	s.mux = m
	return m
}

func (s *Service) fail(ctx context.Context, w Responder, c Command, what string, err error) {
	s.log().Error("command_failed", slog.String("command", c.Name), slog.String("platform", c.Platform), slog.String("error", RedactText(err.Error())))
	_ = w.Respond(ctx, Reply{Text: "Sorry, " + what + " failed. The error is in the bot's log; please try again later.", Error: true})
}

func (s *Service) latest(ctx context.Context, w Responder, c Command) {
	is, err := s.Store.LatestIssue(ctx)
	if errors.Is(err, ErrNotFound) {
		_ = w.Respond(ctx, Reply{Text: "No issue has been archived yet. The first one arrives with the next poll of the feed."})
		return
	}
	if err != nil {
		s.fail(ctx, w, c, "looking up the latest issue", err)
		return
	}
	_ = w.Respond(ctx, IssueReply(is))
}

func (s *Service) issue(ctx context.Context, w Responder, c Command) {
	arg := strings.TrimSpace(c.Args)
	if arg == "" {
		_ = w.Respond(ctx, Reply{Text: "Which issue? Give a date like 2025-11-20 or a number like #12 (1 is the oldest).", Error: true})
		return
	}
	var (
		is  *Issue
		err error
	)
	if n, ok := issueNumber(arg); ok {
		is, err = s.Store.IssueByNumber(ctx, n)
	} else if day, ok := parseDay(arg); ok {
		is, err = s.Store.IssueOn(ctx, day)
	} else {
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("%q is neither a date (2025-11-20, 20 Nov 2025) nor an issue number (#12).", cut(arg, 40)), Error: true})
		return
	}
	if errors.Is(err, ErrNotFound) {
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("No issue matches %q. Try /digest latest or /digest search.", cut(arg, 40))})
		return
	}
	if err != nil {
		s.fail(ctx, w, c, "looking up the issue", err)
		return
	}
	_ = w.Respond(ctx, IssueReply(is))
}

func issueNumber(s string) (int, bool) {
	s = strings.TrimPrefix(s, "#")
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n < 1_000_000
}

var dayLayouts = []string{"2006-01-02", "2 Jan 2006", "2 January 2006", "Jan 2 2006", "January 2 2006", "2006/01/02", "02.01.2006"}

func parseDay(s string) (time.Time, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	for _, l := range dayLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// IssueReply describes an issue: its lead summary and its roundup's
// headlines with links, each story with its Share button (when is comes
// from the archive: is.ID set).
func IssueReply(is *Issue) Reply {
	meta := []string{}
	if is.Newsletter != "" {
		meta = append(meta, is.Newsletter)
	}
	if !is.Published.IsZero() {
		meta = append(meta, is.Published.UTC().Format("2 Jan 2006"))
	}
	text := is.Standfirst
	if paras := is.Lead.PlainParagraphs(); len(paras) > 0 {
		if text != "" {
			text += "\n\n"
		}
		text += cut(paras[0], maxLeadRunes)
	}
	lead := Section{Title: is.Title, URL: is.Link, Meta: strings.Join(meta, " · "), Text: text,
		Share: RefFor(is, PartLead, 0)}
	r := Reply{Sections: []Section{lead}}
	if len(is.Roundup) > 0 {
		round := Section{Title: fmt.Sprintf("Roundup (%d)", len(is.Roundup))}
		for i, st := range is.Roundup {
			if i == maxRoundupLinks {
				r.Note = fmt.Sprintf("%d more roundup items in the full issue.", len(is.Roundup)-maxRoundupLinks)
				break
			}
			round.Links = append(round.Links, Link{Text: headline(st.Text()), URL: st.URL,
				Share: RefFor(is, PartRoundup, i)})
		}
		r.Sections = append(r.Sections, round)
	}
	return r
}

// headline returns a story's first sentence, cut to fit a link.
func headline(s string) string {
	for _, sep := range []string{". ", "? ", "! "} {
		if i := strings.Index(s, sep); i > 20 {
			s = s[:i+1]
			break
		}
	}
	return cut(s, maxLinkRunes)
}

func (s *Service) search(ctx context.Context, w Responder, c Command) {
	q := ParseQuery(c.Args)
	if q.Empty() {
		_ = w.Respond(ctx, emptySearchReply)
		return
	}
	search := func() (Reply, error) {
		hits, err := s.Store.Search(ctx, q, MaxSearchHits+1)
		if err != nil {
			return Reply{}, err
		}
		return SearchReply(q, hits), nil
	}
	var (
		r   Reply
		err error
	)
	if s.cache != nil {
		r, err = s.cache.do(ctx, q.String(), s.now, search)
	} else {
		r, err = search()
	}
	if err != nil {
		s.fail(ctx, w, c, "searching", err)
		return
	}
	_ = w.Respond(ctx, r)
}

var emptySearchReply = Reply{Text: `Search for what? Type some words, e.g. /digest search cambodia, a "quoted phrase", or -word to exclude.`, Error: true}

// quickSearch answers a search from the reply cache, or an empty query
// with its hint; anything else needs the store.
func (s *Service) quickSearch(c Command) (Reply, bool) {
	q := ParseQuery(c.Args)
	if q.Empty() {
		return emptySearchReply, true
	}
	if s.cache == nil {
		return Reply{}, false
	}
	return s.cache.get(q.String(), s.now())
}

// SearchReply describes search hits (at most MaxSearchHits are shown; one
// more means there are more).
func SearchReply(q Query, hits []Hit) Reply {
	r := Reply{Title: "Search: " + q.String()}
	if len(hits) == 0 {
		r.Text = "No stories match. Try fewer or different words."
		return r
	}
	if len(hits) > MaxSearchHits {
		hits = hits[:MaxSearchHits]
		r.Note = fmt.Sprintf("Showing the top %d. Add words, a \"phrase\" or -word to narrow it down.", MaxSearchHits)
	}
	for _, h := range hits {
		r.Sections = append(r.Sections, hitSection(q, h))
	}
	return r
}

// hitSection shows one hit: a lead under its issue's headline, a roundup
// item under its own opening words (or link text) linking to its source;
// the issue's title and date in the context line; the matched words bold.
func hitSection(q Query, h Hit) Section {
	date := ""
	if !h.Published.IsZero() {
		date = h.Published.UTC().Format("2 Jan 2006")
	}
	snippet := h.Snippet
	if snippet == "" {
		snippet = h.Text
	}
	text := cut(snippet, maxSnippetRunes)
	sec := Section{Text: text, Bold: Highlight(q, text), Share: hitRef(h)}
	if h.Part == PartLead {
		sec.Title, sec.URL = h.IssueTitle, h.IssueLink
		sec.Meta = joinMeta("Lead story", date)
		if h.URL != "" && h.URL != h.IssueLink {
			sec.Links = []Link{{Text: "Source", URL: h.URL}}
		}
		return sec
	}
	if len(h.Story.Paragraphs) > 0 {
		sec.Title = ItemTitle(h.Story)
	} else {
		sec.Title = openingWords(h.Text)
	}
	sec.URL = h.URL
	sec.Meta = joinMeta(fmt.Sprintf("Roundup item %d of %s", h.Item+1, cut(h.IssueTitle, 100)), date)
	if h.IssueLink != "" && h.IssueLink != h.URL {
		sec.Links = []Link{{Text: "Read the issue", URL: h.IssueLink}}
	}
	return sec
}

func joinMeta(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

func (s *Service) feeds(ctx context.Context, w Responder, c Command) {
	states, err := s.Store.Feeds(ctx)
	if err != nil {
		s.fail(ctx, w, c, "listing feeds", err)
		return
	}
	_ = w.Respond(ctx, FeedsReply(states, s.now()))
}

// FeedsReply describes each feed's last poll, last error and next poll.
func FeedsReply(states []FeedState, now time.Time) Reply {
	r := Reply{Title: "Feeds"}
	if len(states) == 0 {
		r.Text = "No feeds are configured."
		return r
	}
	for _, f := range states {
		title := f.Title
		shown := RedactURL(f.URL)
		if title == "" {
			title = shown
		}
		link := ""
		if shown == f.URL {
			link = httpURL(f.URL) // a link only when it shows no secret
		}
		var meta []string
		if f.LastPoll.IsZero() {
			meta = append(meta, "never polled")
		} else {
			meta = append(meta, "last poll "+Ago(now.Sub(f.LastPoll)))
		}
		if !f.NextPoll.IsZero() {
			if d := f.NextPoll.Sub(now); d > 0 {
				meta = append(meta, "next poll in "+Approx(d))
			} else {
				meta = append(meta, "poll due now")
			}
		}
		sec := Section{Title: title, URL: link, Meta: strings.Join(meta, " · ")}
		if f.LastError != "" {
			sec.Text = fmt.Sprintf("Failing (%d in a row): %s", f.ConsecutiveFailures, cut(RedactText(f.LastError), 300))
		} else if !f.LastSuccess.IsZero() {
			sec.Text = "OK"
		}
		r.Sections = append(r.Sections, sec)
	}
	return r
}

func (s *Service) help(ctx context.Context, w Responder, c Command) {
	r := Reply{Title: "digestbot commands"}
	if c.Name != "" && c.Name != "help" {
		r.Text = fmt.Sprintf("Unknown command %q. These are the ones I know:", cut(c.Name, 30))
		r.Error = true
	}
	for _, h := range s.Mux().Commands() {
		usage := "/digest " + h.Name
		if h.Usage != "" {
			usage += " " + h.Usage
		}
		r.Sections = append(r.Sections, Section{Title: usage, Text: h.Summary})
	}
	_ = w.Respond(ctx, r)
}

// Suggest returns issue titles and story headlines matching what a user has
// typed so far, for autocomplete.
func (s *Service) Suggest(ctx context.Context, prefix string, limit int) ([]string, error) {
	q := ParseQuery(prefix)
	if q.Empty() {
		return nil, nil
	}
	hits, err := s.Store.Search(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, h := range hits {
		if t := cut(h.IssueTitle, 100); !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// Ago renders a past duration for people: "just now", "3 min ago".
func Ago(d time.Duration) string {
	if d < time.Minute {
		return "just now"
	}
	return Approx(d) + " ago"
}

// Approx renders a duration roughly: "45 s", "3 min", "2 h", "4 days".
func Approx(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
}

func httpURL(s string) string {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return s
	}
	return ""
}

// cut shortens s to at most n runes, ending with "…" when cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
