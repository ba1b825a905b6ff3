package postgres

import (
	"testing"

	"digestbot/bot"
	"digestbot/bot/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		dsn := newDatabase(t)
		s, err := Open(t.Context(), dsn, testLogger(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}
