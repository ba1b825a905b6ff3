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
		{Name: "chat", Platform: config.PlatformDiscord, Target: "123", Layout: "thread"},
	}}
	_, chans := plan(cfg)
	if len(chans) != 2 || !chans[0].Forum || chans[1].Forum {
		t.Errorf("channels %+v: want news a forum, chat not", chans)
	}
}

// respect_ttl, resolved per feed by config, reaches the poller's plan.
func TestPlanCarriesRespectTTL(t *testing.T) {
	yes := true
	cfg := &config.Config{Feeds: []config.Feed{
		{URL: "https://a.example.org/rss/", RespectTTL: &yes},
		{URL: "https://b.example.org/rss/"},
	}}
	feeds, _ := plan(cfg)
	if len(feeds) != 2 || !feeds[0].RespectTTL || feeds[1].RespectTTL {
		t.Errorf("plans %+v: want respect_ttl on a only", feeds)
	}
}
