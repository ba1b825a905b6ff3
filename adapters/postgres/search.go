package postgres

// Search design: PostgreSQL full text, ranked like the SQLite store.
//
// stories.tsv is a generated tsvector column, to_tsvector of the story's
// text with the digestbot_english configuration (English stemming, plus
// accent folding when the unaccent extension could be created; see
// migrations/0001_init.sql), with a GIN index.
//
// The query is built from the bot.Query's words only: each term, phrase
// and exclusion is reduced to letters, digits and combining marks and
// handed to phraseto_tsquery as a bound parameter, and the parts are
// combined with the tsquery operators && and !!. phraseto_tsquery has no
// syntax of its own (it parses the text as a document), so nothing a user
// types can make the query fail; words that are stop words ("the", "of")
// drop out, and a query with no positive word left returns nothing. The
// SQL text holds only placeholders.
//
// Ranking every match costs a heap fetch and a ts_rank per matching row:
// for a word in 70% of 100,000 stories that is 70,000 rows, far too slow
// for a chat command. So, as in the SQLite store, a search ranks in two
// tiers by archive order (story id; a story keeps its id when its issue is
// updated):
//
//  1. Recent: the matches among the newest recentStories stories, all
//     ranked. The cost is bounded by the window, not the archive. If it
//     finds at least limit hits, they are the answer.
//  2. Older (only when tier 1 found fewer than limit): the newest
//     oldCandidates matches below the window, found through the GIN index
//     in id order, and ranked. Rare words, the usual reason to reach it,
//     are cheap because they have few matches.
//
// Within a tier the matches are ranked by the bot's one ranking policy,
// bot.RankMatches, fed with ts_rank as relevance: relevance times a
// recency boost, age counted from the newest match of the tier. Tier-1
// hits come before tier-2 hits. ts_rank is normalised by document length
// (normalization 1: divided by 1 + log(length)), so that a short story
// about a word beats a long one that mentions it in passing, as bm25 does.
//
// The trade-off: when the newest recentStories stories hold at least
// limit matches, an older story is never returned even if it matches
// better; users asking for older material add words, which thins tier 1
// and reaches tier 2.
//
// Snippets come from ts_headline without markers (StartSel and StopSel
// empty): one fragment of about snippetWords words around the best match,
// whitespace collapsed, with "…" where the story's text was cut.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

const (
	maxSearchLimit = 100  // hits one Search returns at most
	recentStories  = 2000 // stories in the tier-1 window
	rankDepth      = 50   // tier-1 rows taken by ts_rank before the boost re-ranks them
	oldCandidates  = 200  // tier-2 matches considered
	snippetWords   = 24   // words in a snippet
	maxPhrases     = 2 * bot.MaxQueryWords
	maxSearchRunes = 256 // longer words are cut (ParseQuery keeps 64)
)

// headlineOptions makes ts_headline return plain text: one fragment of up
// to snippetWords words around the best match, with words before it as
// well as after (fragment mode, as FTS5's snippet does). ShortWord=0 lets
// a fragment end on a short word.
var headlineOptions = fmt.Sprintf(`StartSel="", StopSel="", MaxFragments=1, MaxWords=%d, MinWords=%d, ShortWord=0`,
	snippetWords, snippetWords/2)

// tsQuery is a bot.Query made into tsquery expressions over parameters.
type tsQuery struct {
	positive string // SQL expression: every term and phrase, ANDed
	full     string // positive AND NOT each exclusion
	args     []any  // the words, one parameter per term, phrase or exclusion
	npos     int    // how many of args the positive expression uses
}

// searchText reduces words to letters, digits and combining marks joined
// by single spaces; every other rune (quotes, operators, NUL, invalid
// UTF-8) separates words. "" when nothing is left.
func searchText(words []string) string {
	var out []string
	for _, w := range words {
		for _, f := range strings.FieldsFunc(w, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
		}) {
			if r := []rune(f); len(r) > maxSearchRunes {
				f = string(r[:maxSearchRunes])
			}
			out = append(out, strings.ToLower(f))
		}
	}
	return strings.Join(out, " ")
}

// buildQuery renders q as tsquery expressions; ok is false when nothing
// positive is left. The first parameter is $first.
func buildQuery(q bot.Query, first int) (tq tsQuery, ok bool) {
	seen := map[string]bool{}
	param := func(text string) string {
		tq.args = append(tq.args, text)
		return "phraseto_tsquery('digestbot_english'::regconfig, $" + strconv.Itoa(first+len(tq.args)-1) + "::text)"
	}
	var pos []string
	add := func(words []string) {
		if s := searchText(words); s != "" && !seen[s] && len(pos) < maxPhrases {
			seen[s] = true
			pos = append(pos, param(s))
		}
	}
	for _, t := range q.Terms {
		add([]string{t})
	}
	for _, p := range q.Phrases {
		add(p)
	}
	if len(pos) == 0 {
		return tsQuery{}, false
	}
	tq.positive = "(" + strings.Join(pos, " && ") + ")"
	tq.npos = len(tq.args)
	tq.full = tq.positive
	n := 0
	for _, e := range q.Excluded {
		if s := searchText(e); s != "" && n < maxPhrases {
			tq.full = "(" + tq.full + " && !! " + param(s) + ")"
			n++
		}
	}
	return tq, true
}

// Search returns up to limit stories matching q, best first; see the design
// notes at the top of this file. It fails only when the database does.
func (s *Store) Search(ctx context.Context, q bot.Query, limit int) ([]bot.Hit, error) {
	if limit <= 0 || q.Empty() {
		return nil, nil
	}
	limit = min(limit, maxSearchLimit)
	hits, err := s.search(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: search %q: %w", q.String(), err)
	}
	return hits, nil
}

func (s *Store) search(ctx context.Context, q bot.Query, limit int) ([]bot.Hit, error) {
	// Parameters $1 and $2 are the tier's bound and row count.
	tq, ok := buildQuery(q, 3)
	if !ok {
		return nil, nil
	}
	// The window's floor: stories above it are recent; 0 when there are
	// no more than recentStories.
	var floor int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM stories ORDER BY id DESC OFFSET $1 LIMIT 1`, recentStories).Scan(&floor)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	// Tier 1: every match in the window, ranked; the best rankDepth go on
	// to the recency boost. "numnode(…) > 0" is a one-time filter: a query
	// whose positive words are all stop words matches nothing.
	found, err := s.rank(ctx, `
		SELECT c.id, c.r, i.published FROM (
			SELECT s.id, s.issue_id, ts_rank(s.tsv, `+tq.full+`, 1) AS r
			FROM stories s
			WHERE numnode(`+tq.positive+`) > 0 AND s.id > $1 AND s.tsv @@ `+tq.full+`
			ORDER BY r DESC, s.id DESC LIMIT $2) c
		JOIN issues i ON i.id = c.issue_id`,
		append([]any{floor, max(rankDepth, limit)}, tq.args...), limit)
	if err != nil {
		return nil, err
	}
	if len(found) < limit && floor > 0 {
		// Tier 2: the newest matches below the window.
		old, err := s.rank(ctx, `
			SELECT c.id, ts_rank(c.tsv, `+tq.full+`, 1), i.published
			FROM (SELECT id, issue_id, tsv FROM stories
				WHERE numnode(`+tq.positive+`) > 0 AND id <= $1 AND tsv @@ `+tq.full+`
				ORDER BY id DESC LIMIT $2) c
			JOIN issues i ON i.id = c.issue_id`,
			append([]any{floor, oldCandidates}, tq.args...), limit-len(found))
		if err != nil {
			return nil, err
		}
		found = append(found, old...)
	}
	return s.loadHits(ctx, tq, found)
}

// rank runs a tier's query and returns its best n candidates. The query
// is planned for its parameters every time (an unnamed statement): a
// generic plan cannot know that the bound cuts 100,000 stories to 2,000,
// nor how common the words are, and picks an index scan that is ten
// times slower for one kind of query or the other.
func (s *Store) rank(ctx context.Context, query string, args []any, n int) ([]bot.Match, error) {
	rows, err := s.pool.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, err
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Match, error) {
		var m bot.Match
		var rel float32 // ts_rank
		err := r.Scan(&m.ID, &rel, &m.Published)
		m.Relevance = float64(rel)
		return m, err
	})
	if err != nil {
		return nil, err
	}
	return bot.RankMatches(ms, n), nil
}

// loadHits turns ranked candidates into hits, with snippets.
func (s *Store) loadHits(ctx context.Context, tq tsQuery, cs []bot.Match) ([]bot.Hit, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	// $1 and $2 as in the tiers' queries; only the positive words follow.
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.part, s.item, s.text, s.url, s.rich, i.id, i.guid, i.title, i.link, i.published,
			ts_headline('digestbot_english'::regconfig, s.text, `+tq.positive+`, '`+headlineOptions+`')
		FROM stories s JOIN issues i ON i.id = s.issue_id
		WHERE s.id = ANY($1) LIMIT $2`, append([]any{ids, len(ids)}, tq.args[:tq.npos]...)...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]bot.Hit, len(cs))
	var (
		h        bot.Hit
		id       int64
		part     string
		url      string
		headline string
		rich     []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &part, &h.Item, &h.Text, &url, &rich, &h.IssueID, &h.IssueGUID,
		&h.IssueTitle, &h.IssueLink, &h.Published, &headline}, func() error {
		h.Story = bot.Story{}
		if err := json.Unmarshal(rich, &h.Story); err != nil {
			return fmt.Errorf("decode story %d: %w", id, err)
		}
		h.Part = bot.Part(part)
		h.Published = goTime(h.Published)
		h.URL = url
		if h.URL == "" {
			h.URL = h.IssueLink
		}
		h.Snippet = snippet(h.Text, headline)
		byID[id] = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	hits := make([]bot.Hit, 0, len(cs))
	for _, c := range cs {
		if h, ok := byID[c.ID]; ok { // a story deleted since it was ranked is left out
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// snippet tidies ts_headline's extract of text: whitespace collapsed, and
// "…" before and after it where text goes on. An empty extract becomes the
// story's first words.
func snippet(text, headline string) string {
	words := strings.Fields(text)
	full := strings.Join(words, " ")
	sn := strings.Join(strings.Fields(headline), " ")
	if sn == "" {
		if len(words) <= snippetWords {
			return full
		}
		return strings.Join(words[:snippetWords], " ") + "…"
	}
	at := strings.Index(full, sn)
	if at < 0 {
		return sn // not a plain extract: leave it as it is
	}
	end := at + len(sn)
	if strings.IndexFunc(full[:at], isWordRune) >= 0 {
		sn = "…" + sn
	}
	if strings.IndexFunc(full[end:], isWordRune) >= 0 {
		sn += "…"
	}
	return sn
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
