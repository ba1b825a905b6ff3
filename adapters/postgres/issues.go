package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"

	"github.com/jackc/pgx/v5"
)

// SaveIssue archives is by (Feed, GUID) together with its deliveries, in
// one transaction; see bot.Store for what each outcome writes. The issue's
// row is locked (FOR UPDATE) for the transaction, so replicas saving the
// same issue at once are serialised: one inserts, the other finds it.
func (s *Store) SaveIssue(ctx context.Context, is *bot.Issue, deliveries []bot.Delivery) (bot.SaveResult, error) {
	if err := bot.CheckSave(is, deliveries); err != nil {
		return bot.SaveResult{}, fmt.Errorf("postgres: %w", err)
	}
	hash := is.Hash()
	stories, err := bot.StoryRows(is)
	if err != nil {
		return bot.SaveResult{}, fmt.Errorf("postgres: save issue %s: %w", is.GUID, err)
	}
	var res bot.SaveResult
	err = s.tx(ctx, func(tx pgx.Tx) error {
		const lookup = `SELECT id, hash, withdrawn FROM issues WHERE feed = $1 AND guid = $2 FOR UPDATE`
		var id int64
		var old string
		var withdrawn bool
		err := tx.QueryRow(ctx, lookup, is.Feed, is.GUID).Scan(&id, &old, &withdrawn)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `
				INSERT INTO issues (feed, guid, newsletter, title, link, published,
					standfirst, image, split, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (feed, guid) DO NOTHING
				RETURNING id`,
				is.Feed, is.GUID, is.Newsletter, is.Title, is.Link, dbTime(is.Published),
				is.Standfirst, is.Image, is.Split, hash).Scan(&id)
			switch {
			case err == nil:
				if err := saveStories(ctx, tx, id, stories); err != nil {
					return err
				}
				if err := addTargets(ctx, tx, id, deliveries); err != nil {
					return err
				}
				res = bot.SaveResult{Status: bot.SaveInserted, ID: id}
				return nil
			case errors.Is(err, pgx.ErrNoRows):
				// Another transaction inserted it meanwhile: it has committed.
				err = tx.QueryRow(ctx, lookup, is.Feed, is.GUID).Scan(&id, &old, &withdrawn)
			}
		}
		switch {
		case err != nil:
			return err
		case old == hash && !withdrawn:
			res = bot.SaveResult{Status: bot.SaveUnchanged, ID: id}
			return nil
		}
		if _, err := tx.Exec(ctx, `
			UPDATE issues SET newsletter = $1, title = $2, link = $3, published = $4,
				standfirst = $5, image = $6, split = $7, hash = $8, updated = now(), withdrawn = false
			WHERE id = $9`,
			is.Newsletter, is.Title, is.Link, dbTime(is.Published), is.Standfirst,
			is.Image, is.Split, hash, id); err != nil {
			return err
		}
		if err := saveStories(ctx, tx, id, stories); err != nil {
			return err
		}
		if err := dirtyTargets(ctx, tx, id); err != nil {
			return err
		}
		res = bot.SaveResult{Status: bot.SaveUpdated, ID: id}
		return nil
	})
	if err != nil {
		return bot.SaveResult{}, fmt.Errorf("postgres: save issue %s of %s: %w", is.GUID, is.Feed, err)
	}
	is.ID = res.ID
	return res, nil
}

// saveStories writes the issue's stories in place: a story keeps its row
// (and id) across updates, new roundup items are inserted and items that
// disappeared are deleted.
func saveStories(ctx context.Context, tx pgx.Tx, issueID int64, stories []bot.StoryRow) error {
	b := &pgx.Batch{}
	for _, st := range stories {
		b.Queue(`
			INSERT INTO stories (issue_id, part, item, text, rich, url)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (issue_id, part, item) DO UPDATE
			SET text = excluded.text, rich = excluded.rich, url = excluded.url
			WHERE (stories.text, stories.rich, stories.url) IS DISTINCT FROM
				(excluded.text, excluded.rich, excluded.url)`,
			issueID, string(st.Part), st.Item, st.Text, string(st.Rich), st.URL)
	}
	b.Queue(`DELETE FROM stories WHERE issue_id = $1 AND part = 'roundup' AND item >= $2`,
		issueID, len(stories)-1)
	return tx.SendBatch(ctx, b).Close()
}

// issueQuery selects an issue's columns and its stories, one row per
// story, lead first.
const issueQuery = `
	SELECT i.id, i.feed, i.guid, i.newsletter, i.title, i.link, i.published,
		i.standfirst, i.image, i.split, i.withdrawn, s.part, s.rich
	FROM issues i LEFT JOIN stories s ON s.issue_id = i.id
	WHERE i.id = (%s)
	ORDER BY s.part = 'roundup', s.item`

// loadIssue runs issueQuery with the subquery that picks the issue's id.
func (s *Store) loadIssue(ctx context.Context, what, pick string, args ...any) (*bot.Issue, error) {
	rows, err := s.pool.Query(ctx, fmt.Sprintf(issueQuery, pick), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	defer rows.Close()
	var is *bot.Issue
	for rows.Next() {
		var x bot.Issue
		var part *string
		var rich []byte
		if err := rows.Scan(&x.ID, &x.Feed, &x.GUID, &x.Newsletter, &x.Title, &x.Link, &x.Published,
			&x.Standfirst, &x.Image, &x.Split, &x.Withdrawn, &part, &rich); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		if is == nil {
			x.Published = goTime(x.Published)
			is = &x
		}
		if part == nil {
			continue
		}
		if err := bot.AddStoryRow(is, bot.Part(*part), rich); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	if is == nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, bot.ErrNotFound)
	}
	return is, nil
}

// Issue returns an archived issue by ID, or bot.ErrNotFound.
func (s *Store) Issue(ctx context.Context, id int64) (*bot.Issue, error) {
	return s.loadIssue(ctx, fmt.Sprintf("issue %d", id), `$1::bigint`, id)
}

// LatestIssue returns the most recently published issue (the last saved
// among equals), or bot.ErrNotFound.
func (s *Store) LatestIssue(ctx context.Context) (*bot.Issue, error) {
	return s.loadIssue(ctx, "latest issue",
		`SELECT id FROM issues WHERE NOT withdrawn ORDER BY published DESC, id DESC LIMIT 1`)
}

// IssueByNumber returns the n-th issue in publication order, 1 for the
// oldest, or bot.ErrNotFound.
func (s *Store) IssueByNumber(ctx context.Context, n int) (*bot.Issue, error) {
	what := fmt.Sprintf("issue number %d", n)
	if n < 1 {
		return nil, fmt.Errorf("postgres: %s: %w", what, bot.ErrNotFound)
	}
	return s.loadIssue(ctx, what,
		`SELECT id FROM issues WHERE NOT withdrawn ORDER BY published, id LIMIT 1 OFFSET $1`, n-1)
}

// IssueOn returns the latest issue published on day's UTC date, or
// bot.ErrNotFound.
func (s *Store) IssueOn(ctx context.Context, day time.Time) (*bot.Issue, error) {
	d := day.UTC()
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return s.loadIssue(ctx, "issue on "+start.Format(time.DateOnly),
		`SELECT id FROM issues WHERE NOT withdrawn AND published >= $1 AND published < $2
		 ORDER BY published DESC, id DESC LIMIT 1`,
		start, start.AddDate(0, 0, 1))
}

// CountIssues returns how many issues are archived for feed ("" for all).
func (s *Store) CountIssues(ctx context.Context, feed string) (int, error) {
	var n int
	var err error
	if feed == "" {
		err = s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM issues WHERE NOT withdrawn`).Scan(&n)
	} else {
		err = s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM issues WHERE NOT withdrawn AND feed = $1`, feed).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: count issues of %q: %w", feed, err)
	}
	return n, nil
}

// WithdrawIssue takes the issue out of search and the archive's lookups
// (its stories are deleted; the issue row stays for the outbox) and marks
// its targets dirty, so that its messages are deleted or kept.
func (s *Store) WithdrawIssue(ctx context.Context, feed, guid string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE issues SET withdrawn = true, updated = now()
			WHERE feed = $1 AND guid = $2 RETURNING id`, feed, guid).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return bot.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM stories WHERE issue_id = $1`, id); err != nil {
			return err
		}
		return dirtyTargets(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("postgres: withdraw issue %s of %s: %w", guid, feed, err)
	}
	return nil
}
