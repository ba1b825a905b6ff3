package discord

import (
	"context"
	"testing"

	"digestbot/bot"
)

func TestDelete(t *testing.T) {
	env := newEnv(t, nil)
	is := testIssue()
	ch := testChannel(textChannel, bot.LayoutThread)
	refs := publishIssue(t, env.c, is, ch)
	ctx := context.Background()
	item := message(is, ch, bot.Post{Issue: is, Part: bot.PartRoundup, Item: 1}, refs[0])
	if err := env.c.Delete(ctx, item, refs[2]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	r, _ := parseRef(refs[2])
	env.f.mu.Lock()
	gone := env.f.findMessage(r.channel, r.message) == nil
	env.f.mu.Unlock()
	if !gone {
		t.Errorf("message %s still there after Delete", refs[2])
	}
	// Already gone: no error.
	if err := env.c.Delete(ctx, item, refs[2]); err != nil {
		t.Errorf("Delete of a message already gone: %v", err)
	}
	if err := env.c.Delete(ctx, item, "nonsense"); err == nil {
		t.Error("Delete with a bad ref: no error")
	}
}
