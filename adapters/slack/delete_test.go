package slack

import (
	"context"
	"testing"

	"digestbot/bot"
)

func TestDelete(t *testing.T) {
	f := newFakeSlack(t)
	c := newTestClient(t, f, newFakeClock())
	ctx := context.Background()
	is := testIssue()
	m := testMessage(is, bot.LayoutSeparate, bot.PartRoundup, 1)
	ref, err := c.Publish(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, m, ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if n := len(f.storedMsgs()); n != 0 {
		t.Errorf("%d messages left after chat.delete", n)
	}
	calls := f.callsOf("chat.delete")
	if len(calls) != 1 || FormatRef(calls[0].Get("channel"), calls[0].Get("ts")) != ref {
		t.Errorf("chat.delete calls %v, want one for %s", calls, ref)
	}
	// Deleted already (by a person, or before a crash): no error.
	if err := c.Delete(ctx, m, ref); err != nil {
		t.Errorf("Delete of a message already gone: %v", err)
	}
	if err := c.Delete(ctx, m, "not a ref"); err == nil {
		t.Error("Delete with a bad ref: no error")
	}
}
