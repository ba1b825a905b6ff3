package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"digestbot/bot"
	"digestbot/bot/migrate"
	"digestbot/bot/storetest"
)

// TestUpgradeFrom0002 upgrades a 0002-era database holding roundup posts in
// flight and given up (storetest.Upgrade0002).
func TestUpgradeFrom0002(t *testing.T) {
	storetest.Upgrade0002(t, build0002)
}

// build0002 writes a 0002-era database holding is and rows and opens it
// with the store (storetest.Upgrade0002).
func build0002(t *testing.T, is *bot.Issue, rows []storetest.Legacy0002Row) bot.Store {
	ctx := context.Background()
	dsn := newDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := migrate.Run(ctx, migrateTx{tx}, dialect, storetest.MigrationsUpTo(t, migrations(), 2), nil); err != nil {
			return err
		}
		return storetest.Write0002(is, rows, storetest.Writer0002{
			Issue: func(is *bot.Issue) error {
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO issues (feed, guid, newsletter, title, link, published, split, hash)
					VALUES ($1, $2, $3, $4, $5, $6, true, $7) RETURNING id`,
					is.Feed, is.GUID, is.Newsletter, is.Title, is.Link, is.Published, is.Hash()).Scan(&id); err != nil {
					return err
				}
				if id != 1 {
					return fmt.Errorf("issue id %d, want 1", id)
				}
				return nil
			},
			Story: func(st storetest.Story0002) error {
				_, err := tx.Exec(ctx, `INSERT INTO stories (issue_id, part, item, text, rich, url) VALUES (1, $1, $2, $3, $4, $5)`,
					st.Part, st.Item, st.Text, st.Rich, st.URL)
				return err
			},
			Delivery: func(r storetest.Legacy0002Row) error {
				_, err := tx.Exec(ctx, `INSERT INTO deliveries (issue_id, channel, part, item, seq, state, ref, attempts, claim_hash)
					VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)`, r.Channel, string(r.Part), r.Item, r.Seq, r.State, r.Ref, r.Attempts, r.IssueHash)
				return err
			},
		})
	})
	if err != nil {
		t.Fatalf("build the 0002-era database: %v", err)
	}
	s, err := Open(ctx, dsn, testLogger(t))
	if err != nil {
		t.Fatalf("Open (upgrade from 0002): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
