package main

import (
	"testing"

	"digestbot/config"
)

// channels[].forum, documented and validated, reaches the Discord adapter
// through bot.Channel.
func TestPlanCarriesForum(t *testing.T) {
	cfg := &config.Config{Channels: []config.Channel{
		{Name: "news", Platform: config.PlatformDiscord, Layout: "thread", Forum: true},
		{Name: "chat", Platform: config.PlatformDiscord, ID: "123", Layout: "thread"},
	}}
	_, chans := plan(cfg)
	if len(chans) != 2 || !chans[0].Forum || chans[1].Forum {
		t.Errorf("channels %+v: want news a forum, chat not", chans)
	}
}
