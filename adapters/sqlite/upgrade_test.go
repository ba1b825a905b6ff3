package sqlite

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"digestbot/bot"
	"digestbot/bot/migrate"
	"digestbot/bot/storetest"
)

// TestUpgradeInFlightRoundupFoundByOldKey upgrades a 0002-era file holding
// roundup posts in flight (storetest.UpgradeInFlight).
func TestUpgradeInFlightRoundupFoundByOldKey(t *testing.T) {
	storetest.UpgradeInFlight(t, build0002)
}

// TestUpgradeGivenUpWaitsForRetry upgrades a 0002-era database holding
// roundup posts given up (storetest.UpgradeGivenUp).
func TestUpgradeGivenUpWaitsForRetry(t *testing.T) {
	storetest.UpgradeGivenUp(t, build0002)
}

// build0002 writes a 0002-era database holding is and rows and opens it
// with the store (storetest.UpgradeInFlight).
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
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := tx.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := dbTime(time.Now())
	exec(`INSERT INTO issues (id, feed, guid, newsletter, title, link, published, split, hash, created, updated)
		VALUES (1, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`, is.Feed, is.GUID, is.Newsletter, is.Title, is.Link, dbTime(is.Published), is.Hash(), now, now)
	for i, st := range append([]bot.Story{is.Lead}, is.Roundup...) {
		part, item := "roundup", i-1
		if i == 0 {
			part, item = "lead", 0
		}
		rich, _ := json.Marshal(st)
		exec(`INSERT INTO stories (issue_id, part, item, text, rich, url) VALUES (1, ?, ?, ?, ?, ?)`, part, item, st.Text(), string(rich), st.URL)
	}
	for _, r := range rows {
		exec(`INSERT INTO deliveries (issue_id, channel, part, item, seq, state, ref, attempts, claim_hash, created, updated)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Channel, string(r.Part), r.Item, r.Seq, r.State, r.Ref, r.Attempts, r.IssueHash, now, now)
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
