package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Catch-up sizes: a reply lists at most this many issues and stories; a
// note says what was left out.
const (
	DefaultCatchupDays = 7
	MaxCatchupDays     = 90
	maxCatchupIssues   = 8
	maxCatchupStories  = 40
	maxCatchupPerIssue = 12
)

// people returns the store's PeopleStore, or answers that this store
// keeps no per-user state.
func (s *Service) people(ctx context.Context, w Responder, c Command) (PeopleStore, bool) {
	ps, ok := s.Store.(PeopleStore)
	if !ok {
		_ = w.Respond(ctx, Reply{Text: "This bot's store keeps no per-user data, so /digest " + c.Name + " is not available.", Error: true})
		return nil, false
	}
	if c.User == "" || !c.FromChat() {
		_ = w.Respond(ctx, Reply{Text: "/digest " + c.Name + " works for Slack and Discord users: run it there.", Error: true})
		return nil, false
	}
	return ps, true
}

var emptyFollowReply = Reply{Text: `Follow what? Type some words, e.g. /digest follow cambodia, a "quoted phrase", or -word to exclude. ` +
	`I send you a direct message for each new story that matches.`, Error: true}

func (s *Service) follow(ctx context.Context, w Responder, c Command) {
	q := ParseQuery(c.Args)
	if q.Empty() {
		_ = w.Respond(ctx, emptyFollowReply)
		return
	}
	ps, ok := s.people(ctx, w, c)
	if !ok {
		return
	}
	have, err := ps.Follows(ctx, c.Platform, c.User)
	if err != nil {
		s.fail(ctx, w, c, "reading your follows", err)
		return
	}
	for _, f := range have {
		if f.Query == q.String() {
			_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("You already follow %s. /digest following lists what you follow.", quoteQuery(q.String()))})
			return
		}
	}
	if len(have) >= MaxFollowsPerUser {
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("You follow %d topics already, the most I keep per person. /digest unfollow <words> one of them first.", len(have)), Error: true})
		return
	}
	if _, err := ps.AddFollow(ctx, Follow{Platform: c.Platform, User: c.User, Query: q.String(), Created: s.now()}); err != nil {
		s.fail(ctx, w, c, "saving your follow", err)
		return
	}
	s.log().Info("follow_added", "platform", c.Platform, "user", c.User, "query", q.String())
	r := Reply{Text: fmt.Sprintf("You now follow %s. I will send you a direct message for each new story that matches (one message per story, however many of your follows it matches).", quoteQuery(q.String()))}
	if hits, err := s.Store.Search(ctx, q, 3); err == nil && len(hits) > 0 {
		r.Text += " Recent stories that match:"
		for _, h := range hits {
			r.Sections = append(r.Sections, hitSection(q, h))
		}
	}
	r.Note = "/digest following lists your follows; /digest unfollow <words> stops one."
	_ = w.Respond(ctx, r)
}

func (s *Service) unfollow(ctx context.Context, w Responder, c Command) {
	q := ParseQuery(c.Args)
	if q.Empty() {
		_ = w.Respond(ctx, Reply{Text: "Unfollow what? Type the words as you followed them; /digest following lists them.", Error: true})
		return
	}
	ps, ok := s.people(ctx, w, c)
	if !ok {
		return
	}
	removed, err := ps.RemoveFollow(ctx, c.Platform, c.User, q.String())
	if err != nil {
		s.fail(ctx, w, c, "removing your follow", err)
		return
	}
	if removed {
		s.log().Info("follow_removed", "platform", c.Platform, "user", c.User, "query", q.String())
		_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("You no longer follow %s.", quoteQuery(q.String()))})
		return
	}
	have, err := ps.Follows(ctx, c.Platform, c.User)
	if err != nil {
		s.fail(ctx, w, c, "reading your follows", err)
		return
	}
	r := Reply{Text: fmt.Sprintf("You do not follow %s.", quoteQuery(q.String())), Error: true}
	if len(have) == 0 {
		r.Text += " You follow nothing yet."
	} else {
		r.Text += " You follow: " + followList(have) + "."
	}
	_ = w.Respond(ctx, r)
}

func (s *Service) following(ctx context.Context, w Responder, c Command) {
	ps, ok := s.people(ctx, w, c)
	if !ok {
		return
	}
	have, err := ps.Follows(ctx, c.Platform, c.User)
	if err != nil {
		s.fail(ctx, w, c, "reading your follows", err)
		return
	}
	_ = w.Respond(ctx, FollowingReply(have))
}

// FollowingReply lists a user's follows.
func FollowingReply(fs []Follow) Reply {
	r := Reply{Title: "You follow"}
	if len(fs) == 0 {
		r.Text = "Nothing yet. /digest follow <words> sends you a direct message for each new story that matches."
		return r
	}
	for _, f := range fs {
		sec := Section{Title: f.Query}
		if !f.Created.IsZero() {
			sec.Meta = "since " + f.Created.UTC().Format("2 Jan 2006")
		}
		r.Sections = append(r.Sections, sec)
	}
	r.Note = "/digest unfollow <words> stops one."
	return r
}

func followList(fs []Follow) string {
	qs := make([]string, len(fs))
	for i, f := range fs {
		qs[i] = quoteQuery(f.Query)
	}
	return strings.Join(qs, ", ")
}

// quoteQuery shows a normalised query in running text.
func quoteQuery(q string) string { return "“" + q + "”" }

func (s *Service) catchup(ctx context.Context, w Responder, c Command) {
	arg := strings.TrimSpace(c.Args)
	days := 0
	if arg != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(arg, "days"), "d"))
		if err != nil || n < 1 || n > MaxCatchupDays {
			_ = w.Respond(ctx, Reply{Text: fmt.Sprintf("%q is not a number of days from 1 to %d. /digest catchup alone shows what is new since you last asked.", cut(arg, 30), MaxCatchupDays), Error: true})
			return
		}
		days = n
	}
	ps, ok := s.people(ctx, w, c)
	if !ok {
		return
	}
	now := s.now()
	var since time.Time
	var why string
	switch {
	case days > 0:
		since, why = now.AddDate(0, 0, -days), fmt.Sprintf("in the last %d days", days)
	default:
		last, err := ps.LastCatchup(ctx, c.Platform, c.User)
		if err != nil {
			s.fail(ctx, w, c, "reading when you last caught up", err)
			return
		}
		if last.IsZero() {
			since, why = now.AddDate(0, 0, -DefaultCatchupDays), fmt.Sprintf("in the last %d days", DefaultCatchupDays)
		} else {
			since, why = last, "since you last asked ("+Ago(now.Sub(last))+")"
			if floor := now.AddDate(0, 0, -MaxCatchupDays); since.Before(floor) {
				since = floor
			}
		}
	}
	issues, err := ps.IssuesSince(ctx, since, maxCatchupIssues+1)
	if err != nil {
		s.fail(ctx, w, c, "looking up new issues", err)
		return
	}
	r := CatchupReply(issues, why)
	if err := w.Respond(ctx, r); err != nil {
		return // not shown: do not move the mark
	}
	if err := ps.SetLastCatchup(context.WithoutCancel(ctx), c.Platform, c.User, now); err != nil && !errors.Is(err, context.Canceled) {
		s.log().Warn("catchup_mark_failed", "platform", c.Platform, "user", c.User, "error", err)
	}
}

// CatchupReply lists issues compactly, newest first: each issue's headline
// and date, then its stories as links (titles only). At most
// maxCatchupIssues issues (one more means there are more) and
// maxCatchupStories stories are shown; the note says what was left out.
func CatchupReply(issues []*Issue, why string) Reply {
	r := Reply{Title: "Catch up"}
	if len(issues) == 0 {
		r.Text = "Nothing new " + why + "."
		return r
	}
	moreIssues := 0
	if len(issues) > maxCatchupIssues {
		moreIssues = len(issues) - maxCatchupIssues
		issues = issues[:maxCatchupIssues]
	}
	total, shown := 0, 0
	for _, is := range issues {
		total += 1 + len(is.Roundup)
	}
	for _, is := range issues {
		sec := Section{Title: is.Title, URL: httpURL(is.Link), Share: RefFor(is, PartLead, 0)}
		meta := []string{}
		if is.Newsletter != "" {
			meta = append(meta, is.Newsletter)
		}
		if !is.Published.IsZero() {
			meta = append(meta, is.Published.UTC().Format("2 Jan 2006"))
		}
		meta = append(meta, fmt.Sprintf("%d stories", 1+len(is.Roundup)))
		sec.Meta = strings.Join(meta, " · ")
		shown++
		for i, st := range is.Roundup {
			if i == maxCatchupPerIssue || shown >= maxCatchupStories {
				break
			}
			url := httpURL(st.URL)
			if url == "" {
				url = httpURL(is.Link)
			}
			sec.Links = append(sec.Links, Link{Text: cut(ItemTitle(st), maxLinkRunes), URL: url,
				Share: RefFor(is, PartRoundup, i)})
			shown++
		}
		r.Sections = append(r.Sections, sec)
		if shown >= maxCatchupStories {
			break
		}
	}
	r.Text = fmt.Sprintf("%d %s %s.", len(issues)+moreIssues, plural(len(issues)+moreIssues, "issue", "issues"), why)
	if moreIssues > 0 {
		r.Text = fmt.Sprintf("More than %d issues %s; the newest %d:", maxCatchupIssues, why, maxCatchupIssues)
	}
	if left := total - shown; left > 0 || moreIssues > 0 {
		r.Note = "Cut to fit: "
		if left > 0 {
			r.Note += fmt.Sprintf("%d more %s in these issues", left, plural(left, "story", "stories"))
		}
		if moreIssues > 0 {
			if left > 0 {
				r.Note += ", and "
			}
			r.Note += "older issues"
		}
		r.Note += " not shown. /digest issue <date> shows one issue in full."
	}
	return r
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
