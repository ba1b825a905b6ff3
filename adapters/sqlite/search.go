package sqlite

// Search design.
//
// FTS5's bm25() costs two things: a pass over the whole document list of
// every phrase of the query to count the documents that contain it (its
// IDF), and a score for every matching row. For a word in 70% of 100,000
// stories that is about 70,000 rows twice: some 70-120 ms on modernc's
// SQLite, however small the LIMIT. Neither cost can be cut with a rowid
// range on one index: the IDF pass ignores it.
//
// So the archive has two external-content FTS5 indexes over stories.text
// (same tokenizer: porter unicode61 remove_diacritics 2):
//
//   - stories_fts: every story.
//   - stories_recent: only the newest search_meta.recent_size stories (2,000
//     by default, about four months at 15 issues a week, years at the usual
//     1-5 a week), kept rolling by the stories triggers: inserting a story
//     deletes the one that falls out of the window, and every 128th story
//     merges the index into one segment ('optimize', ~30 ms at 2,000
//     stories), which keeps its lookups several times cheaper than in an
//     index fragmented by one segment per transaction and by the deletes.
//
// A search ranks in two tiers:
//
//  1. Recent: bm25 over stories_recent, every match scored. Cost is bounded
//     by the window, not the archive: ~1-2 ms for a word in most stories.
//     If it finds at least limit hits, they are the answer.
//  2. Older (only when tier 1 found fewer than limit): the most recent
//     oldCandidates matches below the window, found in rowid order from
//     stories_fts without scoring (cheap: FTS5 walks doclists backwards and
//     seeks with its doclist index). They are ranked with bm25 over the
//     query's selective phrases only, those in at most selectiveDocs
//     stories (checked by a bounded probe), so that the IDF pass stays
//     short; a phrase in more stories than that has an IDF near zero and
//     would barely move the ranking anyway. If no phrase is selective the
//     candidates are ranked by recency alone. Rare words, the usual reason
//     to reach tier 2, are cheap either way.
//
// Snippets come from FTS5's snippet() over the index the hit was found in,
// one rowid = ? lookup per hit (FTS5 would scan every match for rowid IN).
//
// Within a tier the matches are ranked by the bot's one ranking policy,
// bot.RankMatches, fed with -bm25 as relevance: relevance times a recency
// boost, age counted from the newest match of the tier. Tier-1 hits always
// come before tier-2 hits.
//
// The trade-off: when the recent window holds at least limit matches, an
// older story is never returned even if it matches better; users asking
// for older material add words (which thins tier 1) and hit tier 2. And
// the story's row id stands for its age (stories are archived as issues
// arrive; a story keeps its id when its issue is updated), so a backfill of
// old issues into a new archive counts as recent until newer issues push
// it out of the window.
//
// The MATCH expression is built only from the Query's words, each reduced
// to letters, digits and combining marks and quoted as an FTS5 string:
// ("w1" "w2 w3") NOT "w4". No user text reaches the FTS5 parser otherwise,
// so no query can make it fail.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"digestbot/bot"
)

const (
	maxSearchLimit = 100 // hits one Search returns at most
	rankDepth      = 50  // tier-1 rows taken by bm25 before the boost re-ranks them
	oldCandidates  = 200 // tier-2 matches considered
	selectiveDocs  = 500 // a phrase in more stories is left out of tier-2 ranking
	snippetTokens  = 24  // words in a snippet
	maxPhrases     = 2 * bot.MaxQueryWords
)

// ftsQuery is a Query rendered for FTS5.
type ftsQuery struct {
	match     string   // the whole query: positive phrases, AND, NOT exclusions
	positive  string   // the positive phrases only
	phrases   []string // each positive phrase as an FTS5 string
	exclusion bool     // whether match has NOT clauses
}

// ftsString quotes words as one FTS5 string (a phrase when several). Every
// rune other than a letter, digit or combining mark becomes a space, so
// the string can hold no quote, NUL or operator; words are cut to
// bot.MaxWordRunes and the phrase to bot.MaxQueryWords words, as
// bot.ParseQuery does, so that a Query built by code costs no more. It
// returns "" when nothing is left.
func ftsString(words []string) string {
	var b strings.Builder
	for _, w := range words {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte(' ')
		if b.Len() > 4*bot.MaxQueryBytes {
			break
		}
	}
	fs := strings.Fields(b.String())
	if len(fs) == 0 {
		return ""
	}
	fs = fs[:min(len(fs), bot.MaxQueryWords)]
	for i, f := range fs {
		if utf8.RuneCountInString(f) > bot.MaxWordRunes {
			fs[i] = string([]rune(f)[:bot.MaxWordRunes])
		}
	}
	return `"` + strings.Join(fs, " ") + `"`
}

// buildQuery renders q for FTS5; ok is false when nothing positive is left.
func buildQuery(q bot.Query) (fq ftsQuery, ok bool) {
	seen := map[string]bool{}
	add := func(words []string) {
		if s := ftsString(words); s != "" && !seen[s] && len(fq.phrases) < maxPhrases {
			seen[s] = true
			fq.phrases = append(fq.phrases, s)
		}
	}
	for _, t := range q.Terms {
		add([]string{t})
	}
	for _, p := range q.Phrases {
		add(p)
	}
	if len(fq.phrases) == 0 {
		return ftsQuery{}, false
	}
	fq.positive = "(" + strings.Join(fq.phrases, " ") + ")"
	fq.match = fq.positive
	n := 0
	for _, e := range q.Excluded {
		if s := ftsString(e); s != "" && n < maxPhrases {
			fq.match += " NOT " + s
			fq.exclusion = true
			n++
		}
	}
	return fq, true
}

// candidate is a story a tier found, ranked.
type candidate struct {
	bot.Match      // Relevance is -bm25
	recent    bool // found in stories_recent (tier 1)
}

// ranked ranks a tier's matches (bot.RankMatches) and keeps the best n.
func ranked(ms []bot.Match, n int, recent bool) []candidate {
	ms = bot.RankMatches(ms, n)
	cs := make([]candidate, len(ms))
	for i, m := range ms {
		cs[i] = candidate{Match: m, recent: recent}
	}
	return cs
}

// Search returns up to limit stories matching q, best first; see the design
// notes at the top of this file. It fails only when the database does.
func (s *Store) Search(ctx context.Context, q bot.Query, limit int) ([]bot.Hit, error) {
	if limit <= 0 || q.Empty() {
		return nil, nil
	}
	limit = min(limit, maxSearchLimit)
	fq, ok := buildQuery(q)
	if !ok {
		return nil, nil
	}
	var hits []bot.Hit
	err := s.read(ctx, func(tx *sql.Tx) error {
		var floor int64
		if err := tx.QueryRowContext(ctx, `SELECT recent_floor FROM search_meta`).Scan(&floor); err != nil {
			return err
		}
		found, err := rankRecent(ctx, tx, fq, limit)
		if err != nil {
			return err
		}
		if len(found) < limit && floor > 0 {
			old, err := rankOld(ctx, tx, fq, floor, limit-len(found))
			if err != nil {
				return err
			}
			found = append(found, old...)
		}
		hits, err = loadHits(ctx, tx, fq, found)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: search %q: %w", q.String(), err)
	}
	return hits, nil
}

// rankRecent is tier 1: bm25 over the recent window.
func rankRecent(ctx context.Context, tx *sql.Tx, fq ftsQuery, limit int) ([]candidate, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT t.id, t.score, i.published FROM (
			SELECT rowid AS id, bm25(stories_recent) AS score FROM stories_recent
			WHERE stories_recent MATCH ? ORDER BY score LIMIT ?) t
		JOIN stories s ON s.id = t.id JOIN issues i ON i.id = s.issue_id`,
		fq.match, max(rankDepth, limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []bot.Match
	for rows.Next() {
		var m bot.Match
		var bm25 float64
		var published int64
		if err := rows.Scan(&m.ID, &bm25, &published); err != nil {
			return nil, err
		}
		m.Relevance, m.Published = -bm25, goTime(published)
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ranked(ms, limit, true), nil
}

// rankOld is tier 2: the newest matches below the recent window, ranked
// with bm25 over the selective phrases.
func rankOld(ctx context.Context, tx *sql.Tx, fq ftsQuery, floor int64, limit int) ([]candidate, error) {
	ids, err := queryIDs(ctx, tx, `SELECT rowid FROM stories_fts
		WHERE stories_fts MATCH ? AND rowid <= ? ORDER BY rowid DESC LIMIT ?`,
		fq.match, floor, oldCandidates)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	byID := make(map[int64]*bot.Match, len(ids))
	cs := make([]bot.Match, len(ids))
	for i, id := range ids {
		cs[i].ID = id
		byID[id] = &cs[i]
	}

	var selective []string
	if len(fq.phrases) == 1 && !fq.exclusion && len(ids) < oldCandidates && len(ids)+rankDepth <= selectiveDocs {
		// Tier 1 found fewer than limit and tier 2 all there is: the
		// phrase is rare, no need to probe it.
		selective = fq.phrases
	} else {
		for _, p := range fq.phrases {
			more, err := queryIDs(ctx, tx, `SELECT rowid FROM stories_fts
				WHERE stories_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?`, p, selectiveDocs)
			if err != nil {
				return nil, err
			}
			if len(more) == 0 {
				selective = append(selective, p)
			}
		}
	}
	if len(selective) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT rowid, bm25(stories_fts) FROM stories_fts
			WHERE stories_fts MATCH ? AND rowid BETWEEN ? AND ?`,
			"("+strings.Join(selective, " ")+")", ids[len(ids)-1], ids[0])
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var score float64
			if err := rows.Scan(&id, &score); err != nil {
				rows.Close()
				return nil, err
			}
			if c := byID[id]; c != nil {
				c.Relevance = -score
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	} else {
		// Nothing selective: rank by recency alone.
		for i := range cs {
			cs[i].Relevance = 1
		}
	}

	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.id, i.published FROM stories s
		JOIN issues i ON i.id = s.issue_id WHERE s.id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, published int64
		if err := rows.Scan(&id, &published); err != nil {
			return nil, err
		}
		if c := byID[id]; c != nil {
			c.Published = goTime(published)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ranked(cs, limit, false), nil
}

// queryIDs runs a query whose rows are single integer ids, on a
// transaction or on the pool.
func queryIDs(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// loadHits turns ranked candidates into hits, with snippets.
func loadHits(ctx context.Context, tx *sql.Tx, fq ftsQuery, cs []candidate) ([]bot.Hit, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	args := make([]any, len(cs))
	for i, c := range cs {
		args[i] = c.ID
	}
	byID := map[int64]*bot.Hit{}
	rows, err := tx.QueryContext(ctx, `
		SELECT s.id, s.part, s.item, s.text, s.url, s.rich, i.id, i.guid, i.title, i.link, i.published
		FROM stories s JOIN issues i ON i.id = s.issue_id
		WHERE s.id IN (`+placeholders(len(cs))+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var h bot.Hit
		var id, published int64
		var url, rich string
		if err := rows.Scan(&id, &h.Part, &h.Item, &h.Text, &url, &rich, &h.IssueID, &h.IssueGUID,
			&h.IssueTitle, &h.IssueLink, &published); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(rich), &h.Story); err != nil {
			rows.Close()
			return nil, fmt.Errorf("decode story %d: %w", id, err)
		}
		h.Published = goTime(published)
		h.URL = url
		if h.URL == "" {
			h.URL = h.IssueLink
		}
		byID[id] = &h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Snippets one row at a time: FTS5 seeks a rowid = ? constraint but
	// would scan every match for rowid IN (...). Tier-1 hits read the small
	// recent index, cheaper to seek than the full one.
	stmts := map[bool]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	for _, c := range cs {
		h := byID[c.ID]
		if h == nil {
			continue
		}
		st := stmts[c.recent]
		if st == nil {
			table := "stories_fts"
			if c.recent {
				table = "stories_recent"
			}
			st, err = tx.PrepareContext(ctx, fmt.Sprintf(`SELECT snippet(%[1]s, 0, '', '', '…', %[2]d)
				FROM %[1]s WHERE %[1]s MATCH ? AND rowid = ?`, table, snippetTokens))
			if err != nil {
				return nil, err
			}
			stmts[c.recent] = st
		}
		var snip sql.NullString
		err := st.QueryRowContext(ctx, fq.positive, c.ID).Scan(&snip)
		if err != nil && err != sql.ErrNoRows {
			return nil, err
		}
		h.Snippet = strings.Join(strings.Fields(snip.String), " ")
	}

	hits := make([]bot.Hit, 0, len(cs))
	for _, c := range cs {
		h := byID[c.ID]
		if h == nil {
			continue // cannot happen inside one read transaction
		}
		if h.Snippet == "" {
			h.Snippet = leadingWords(h.Text, snippetTokens)
		}
		hits = append(hits, *h)
	}
	return hits, nil
}

// leadingWords returns the first n words of text, with "…" if cut.
func leadingWords(text string, n int) string {
	f := strings.Fields(text)
	if len(f) <= n {
		return strings.Join(f, " ")
	}
	return strings.Join(f[:n], " ") + "…"
}
