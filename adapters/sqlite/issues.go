package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"digestbot/bot"
)

// SaveIssue archives is by (Feed, GUID) together with its deliveries, in
// one transaction; see bot.Store for what each outcome writes.
func (s *Store) SaveIssue(ctx context.Context, is *bot.Issue, deliveries []bot.Delivery) (bot.SaveResult, error) {
	if err := bot.CheckSave(is, deliveries); err != nil {
		return bot.SaveResult{}, fmt.Errorf("sqlite: %w", err)
	}
	hash := is.Hash()
	now := dbTime(time.Now())
	var res bot.SaveResult
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		var old string
		var withdrawn bool
		err := tx.QueryRowContext(ctx, `SELECT id, hash, withdrawn FROM issues WHERE feed = ? AND guid = ?`,
			is.Feed, is.GUID).Scan(&id, &old, &withdrawn)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			r, err := tx.ExecContext(ctx, `
				INSERT INTO issues (feed, guid, newsletter, title, link, published,
					standfirst, image, split, hash, created, updated)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				is.Feed, is.GUID, is.Newsletter, is.Title, is.Link, dbTime(is.Published),
				is.Standfirst, is.Image, is.Split, hash, now, now)
			if err != nil {
				return err
			}
			if id, err = r.LastInsertId(); err != nil {
				return err
			}
			if err := saveStories(ctx, tx, id, is); err != nil {
				return err
			}
			if err := addTargets(ctx, tx, id, deliveries, now); err != nil {
				return err
			}
			res = bot.SaveResult{Status: bot.SaveInserted, ID: id}
		case err != nil:
			return err
		case old == hash && !withdrawn:
			res = bot.SaveResult{Status: bot.SaveUnchanged, ID: id}
		default:
			if _, err := tx.ExecContext(ctx, `
				UPDATE issues SET newsletter = ?, title = ?, link = ?, published = ?,
					standfirst = ?, image = ?, split = ?, hash = ?, updated = ?, withdrawn = 0
				WHERE id = ?`,
				is.Newsletter, is.Title, is.Link, dbTime(is.Published), is.Standfirst,
				is.Image, is.Split, hash, now, id); err != nil {
				return err
			}
			if err := saveStories(ctx, tx, id, is); err != nil {
				return err
			}
			if err := dirtyTargets(ctx, tx, id, now); err != nil {
				return err
			}
			res = bot.SaveResult{Status: bot.SaveUpdated, ID: id}
		}
		return nil
	})
	if err != nil {
		return bot.SaveResult{}, fmt.Errorf("sqlite: save issue %s of %s: %w", is.GUID, is.Feed, err)
	}
	is.ID = res.ID
	return res, nil
}

// saveStories writes the issue's stories in place: a story keeps its row
// (and search rowid) across updates, new roundup items are inserted and
// items that disappeared are deleted.
func saveStories(ctx context.Context, tx *sql.Tx, issueID int64, is *bot.Issue) error {
	stories, err := bot.StoryRows(is)
	if err != nil {
		return err
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE stories SET text = ?, rich = ?, url = ?
		WHERE issue_id = ? AND part = ? AND item = ?`)
	if err != nil {
		return err
	}
	defer upd.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO stories (issue_id, part, item, text, rich, url)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, st := range stories {
		r, err := upd.ExecContext(ctx, st.Text, st.Rich, st.URL, issueID, st.Part, st.Item)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			continue
		}
		if _, err := ins.ExecContext(ctx, issueID, st.Part, st.Item, st.Text, st.Rich, st.URL); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM stories WHERE issue_id = ? AND part = 'roundup' AND item >= ?`,
		issueID, len(is.Roundup))
	return err
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
	rows, err := s.r.QueryContext(ctx, fmt.Sprintf(issueQuery, pick), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var is *bot.Issue
	for rows.Next() {
		var x bot.Issue
		var published int64
		var part, rich sql.NullString
		if err := rows.Scan(&x.ID, &x.Feed, &x.GUID, &x.Newsletter, &x.Title, &x.Link, &published,
			&x.Standfirst, &x.Image, &x.Split, &x.Withdrawn, &part, &rich); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		if is == nil {
			x.Published = goTime(published)
			is = &x
		}
		if !part.Valid {
			continue
		}
		if err := bot.AddStoryRow(is, bot.Part(part.String), []byte(rich.String)); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if is == nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, bot.ErrNotFound)
	}
	return is, nil
}

// Issue returns an archived issue by ID, or bot.ErrNotFound.
func (s *Store) Issue(ctx context.Context, id int64) (*bot.Issue, error) {
	return s.loadIssue(ctx, fmt.Sprintf("issue %d", id), `?`, id)
}

// LatestIssue returns the most recently published issue (the last saved
// among equals), or bot.ErrNotFound.
func (s *Store) LatestIssue(ctx context.Context) (*bot.Issue, error) {
	return s.loadIssue(ctx, "latest issue",
		`SELECT id FROM issues WHERE withdrawn = 0 ORDER BY published DESC, id DESC LIMIT 1`)
}

// IssueByNumber returns the n-th issue in publication order, 1 for the
// oldest, or bot.ErrNotFound.
func (s *Store) IssueByNumber(ctx context.Context, n int) (*bot.Issue, error) {
	what := fmt.Sprintf("issue number %d", n)
	if n < 1 {
		return nil, fmt.Errorf("sqlite: %s: %w", what, bot.ErrNotFound)
	}
	return s.loadIssue(ctx, what,
		`SELECT id FROM issues WHERE withdrawn = 0 ORDER BY published, id LIMIT 1 OFFSET ?`, n-1)
}

// IssueOn returns the latest issue published on day's UTC date, or
// bot.ErrNotFound.
func (s *Store) IssueOn(ctx context.Context, day time.Time) (*bot.Issue, error) {
	d := day.UTC()
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return s.loadIssue(ctx, "issue on "+start.Format(time.DateOnly),
		`SELECT id FROM issues WHERE withdrawn = 0 AND published >= ? AND published < ?
		 ORDER BY published DESC, id DESC LIMIT 1`,
		dbTime(start), dbTime(start.AddDate(0, 0, 1)))
}

// CountIssues returns how many issues are archived for feed ("" for all).
func (s *Store) CountIssues(ctx context.Context, feed string) (int, error) {
	var n int
	var err error
	if feed == "" {
		err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM issues WHERE withdrawn = 0`).Scan(&n)
	} else {
		err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM issues WHERE withdrawn = 0 AND feed = ?`, feed).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: count issues of %q: %w", feed, err)
	}
	return n, nil
}

// WithdrawIssue takes the issue out of search and the archive's lookups
// (its stories are deleted; the issue row stays for the outbox) and marks
// its targets dirty, so that its messages are deleted or kept.
func (s *Store) WithdrawIssue(ctx context.Context, feed, guid string) error {
	now := dbTime(time.Now())
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM issues WHERE feed = ? AND guid = ?`, feed, guid).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return bot.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issues SET withdrawn = 1, updated = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM stories WHERE issue_id = ?`, id); err != nil {
			return err
		}
		return dirtyTargets(ctx, tx, id, now)
	})
	if err != nil {
		return fmt.Errorf("sqlite: withdraw issue %s of %s: %w", guid, feed, err)
	}
	return nil
}
