package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/migrate"
	"digestbot/bot/storetest"
)

// TestUpgradeFrom0002 upgrades a 0002-era file holding roundup posts in
// flight and given up (storetest.Upgrade0002).
func TestUpgradeFrom0002(t *testing.T) {
	storetest.Upgrade0002(t, build0002)
}

// build0002 writes a 0002-era database holding is and rows and opens it
// with the store (storetest.Upgrade0002).
func build0002(t *testing.T, is *bot.Issue, rows []storetest.Legacy0002Row) bot.Store {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.Run(bg, migrateTx{tx}, dialect, storetest.MigrationsUpTo(t, migrations(), 2), nil); err != nil {
		t.Fatal(err)
	}
	now := dbTime(time.Now())
	err = storetest.Write0002(is, rows, storetest.Writer0002{
		Issue: func(is *bot.Issue) error {
			_, err := tx.Exec(`INSERT INTO issues (id, feed, guid, newsletter, title, link, published, split, hash, created, updated)
				VALUES (1, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`, is.Feed, is.GUID, is.Newsletter, is.Title, is.Link, dbTime(is.Published), is.Hash(), now, now)
			return err
		},
		Story: func(st storetest.Story0002) error {
			_, err := tx.Exec(`INSERT INTO stories (issue_id, part, item, text, rich, url) VALUES (1, ?, ?, ?, ?, ?)`, st.Part, st.Item, st.Text, st.Rich, st.URL)
			return err
		},
		Delivery: func(r storetest.Legacy0002Row) error {
			_, err := tx.Exec(`INSERT INTO deliveries (issue_id, channel, part, item, seq, state, ref, attempts, claim_hash, created, updated)
				VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Channel, string(r.Part), r.Item, r.Seq, r.State, r.Ref, r.Attempts, r.IssueHash, now, now)
			return err
		},
	})
	if err != nil {
		t.Fatalf("build the 0002-era database: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(bg, path, nil)
	if err != nil {
		t.Fatalf("Open (upgrade from 0002): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
