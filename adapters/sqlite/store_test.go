package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"digestbot/bot"
	"digestbot/bot/storetest"
)

// openTest opens a store on a new file in the test's temporary directory.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "digestbot.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return openTest(t) })
}
