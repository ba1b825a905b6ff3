package bot

import (
	"context"
	"errors"
	"testing"
)

func TestWithAdmins(t *testing.T) {
	var got Command
	h := HandlerFunc(func(ctx context.Context, w Responder, c Command) { got = c })
	checks := 0
	check := func(ctx context.Context, user string) (bool, error) {
		checks++
		switch user {
		case "UOWNER":
			return true, nil
		case "UBROKEN":
			return false, errors.New("users.info: ratelimited")
		}
		return false, nil
	}
	w := WithAdmins(h, []string{"ULISTED"}, check, nil)
	tests := []struct {
		user, name string
		preset     bool
		want       bool
		checked    bool
	}{
		{"ULISTED", "subscribe", false, true, false},
		{"ULISTED", "search", false, true, false},
		{"UOWNER", "subscribe", false, true, true},
		{"UOWNER", "search", false, false, false}, // the platform is asked only for AdminOnly commands
		{"UREADER", "unsubscribe", false, false, true},
		{"UBROKEN", "subscribe", false, false, true},
		{"UREADER", "subscribe", true, true, false}, // the adapter said so (Discord permissions)
	}
	for _, tt := range tests {
		checks = 0
		w.ServeCommand(context.Background(), nil, Command{Name: tt.name, User: tt.user, Admin: tt.preset, Platform: "slack"})
		if got.Admin != tt.want || (checks > 0) != tt.checked {
			t.Errorf("%s %s: Admin = %v (checked %v), want %v (checked %v)", tt.user, tt.name, got.Admin, checks > 0, tt.want, tt.checked)
		}
	}
	// The quick path survives the wrapping.
	q := WithAdmins(WithQuick(h, func(c Command) (Reply, bool) { return Reply{Text: "quick"}, true }), nil, nil, nil)
	if r, ok, _ := AnswerQuick(q, Command{Name: "search"}); !ok || r.Text != "quick" {
		t.Errorf("quick path lost: %v %v", r, ok)
	}
}
