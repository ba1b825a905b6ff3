package discord

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestCommandCaller(t *testing.T) {
	tests := []struct {
		name, who string
		user      string // want UserName
		admin     bool
	}{
		{"no permissions", `"member":{"user":{"id":"42","username":"ada"},"permissions":"0"}`, "ada", false},
		{"send messages only", `"member":{"user":{"id":"42","username":"ada","global_name":"Ada L"},"permissions":"2048"}`, "Ada L", false},
		{"manage channels", `"member":{"user":{"id":"42","username":"ada"},"nick":"Ada (mod)","permissions":"16"}`, "Ada (mod)", true},
		{"manage server", `"member":{"user":{"id":"42","username":"ada"},"permissions":"32"}`, "ada", true},
		{"administrator", `"member":{"user":{"id":"42","username":"ada"},"permissions":"8"}`, "ada", true},
		{"direct message, no member", `"user":{"id":"42","username":"ada"}`, "ada", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"id":"1","type":2,"channel_id":"100",%s,"data":{"id":"1","name":"digest","type":1,"options":[{"name":"subscribe","type":1,"options":[{"name":"url","type":3,"value":"https://x.example/rss"},{"name":"layout","type":3,"value":"separate"}]}]}}`, tt.who)
			var i discordgo.Interaction
			if err := json.Unmarshal([]byte(body), &i); err != nil {
				t.Fatal(err)
			}
			c := commandFrom(&i)
			if c.User != "42" || c.UserName != tt.user || c.Admin != tt.admin {
				t.Errorf("caller = %q %q admin=%v, want 42 %q admin=%v", c.User, c.UserName, c.Admin, tt.user, tt.admin)
			}
			if c.Name != "subscribe" || c.Args != "https://x.example/rss separate" {
				t.Errorf("command = %q %q", c.Name, c.Args)
			}
		})
	}
}

// "/digest subscribe" through a signed interaction: a member with Manage
// Server reaches the handler as an admin, one without as a plain member.
func TestSignedSubscribeAdminFlag(t *testing.T) {
	for _, tt := range []struct {
		name, perms string
		admin       bool
	}{
		{"manage server", "32", true},
		{"send messages only", "2048", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newEndpoint(t, nil)
			body := fmt.Sprintf(`{"id":"7005","application_id":%q,"type":2,"token":"itoken-secret","channel_id":"100","guild_id":"500",
"member":{"user":{"id":"42","username":"ada"},"permissions":%q},
"data":{"id":"1","name":"digest","type":1,"options":[{"name":"subscribe","type":1,"options":[{"name":"url","type":3,"value":"https://x.example/rss"}]}]}}`, testAppID, tt.perms)
			if code, _ := serve(env.h, signed(env.priv, env.now, body)); code != 200 {
				t.Fatalf("status %d", code)
			}
			cmds := env.calls.Commands()
			if len(cmds) != 1 || cmds[0].Name != "subscribe" || cmds[0].Args != "https://x.example/rss" || cmds[0].Admin != tt.admin {
				t.Errorf("handler got %+v, want subscribe with Admin %v", cmds, tt.admin)
			}
		})
	}
}
