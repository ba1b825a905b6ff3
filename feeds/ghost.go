package feeds

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"digestbot/bot"
)

// GhostPost is a Ghost post as its webhooks and its Content API give it
// (only the fields the bot reads; authors and their emails are left out).
type GhostPost struct {
	ID              string `json:"id"`   // 24 hex digits: the feed's <guid>
	UUID            string `json:"uuid"` // the /p/<uuid>/ preview link of drafts
	Title           string `json:"title"`
	Slug            string `json:"slug"`
	HTML            string `json:"html"`
	CustomExcerpt   string `json:"custom_excerpt"`
	MetaDescription string `json:"meta_description"`
	Excerpt         string `json:"excerpt"`
	FeatureImage    string `json:"feature_image"`
	URL             string `json:"url"`
	Status          string `json:"status"`       // draft, scheduled, published, sent
	PublishedAt     string `json:"published_at"` // 2026-03-02T08:00:00.000Z (webhook), …+00:00 (Content API)
	UpdatedAt       string `json:"updated_at"`
}

// ParseGhostTime reads the dates of Ghost's JSON: RFC 3339 with "Z" or a
// numeric offset, with or without fractions of a second.
func ParseGhostTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("feeds: %q is not a Ghost date (want 2026-03-02T08:00:00.000Z)", s)
	}
	return t.UTC(), nil
}

// GhostIssue splits a Ghost post the way the same post's item in the
// site's RSS feed is split: same GUID (the post id), title, link, date,
// standfirst (Ghost's feed description is the custom excerpt, else the
// meta description, else the excerpt), image and stories, so that an issue
// pushed by a webhook and the one read by the next poll are identical.
// feedURL is the Ghost site's feed.
func (f *Fetcher) GhostIssue(feedURL string, p GhostPost) (bot.Issue, error) {
	s := f.split
	if fs, ok := f.byFeed[feedURL]; ok {
		s = fs // the feed's own split settings, as Fetch uses
	}
	return ghostIssue(s, feedURL, p)
}

func ghostIssue(s *splitter, feedURL string, p GhostPost) (bot.Issue, error) {
	if p.ID == "" {
		return bot.Issue{}, fmt.Errorf("feeds: Ghost post without an id")
	}
	it := &gofeed.Item{
		Title:   p.Title,
		Link:    p.URL,
		GUID:    p.ID,
		Content: p.HTML,
	}
	if p.PublishedAt != "" {
		t, err := ParseGhostTime(p.PublishedAt)
		if err != nil {
			return bot.Issue{}, err
		}
		// RSS pubDate has whole seconds.
		t = t.Truncate(time.Second)
		it.PublishedParsed = &t
	}
	for _, d := range []string{p.CustomExcerpt, p.MetaDescription, p.Excerpt} {
		if strings.TrimSpace(d) != "" {
			it.Description = d
			break
		}
	}
	if p.FeatureImage != "" {
		it.Image = &gofeed.Image{URL: p.FeatureImage}
	}
	site := ghostSite(feedURL, p.URL)
	is := s.issue(it, site, itemKinds{content: kindHTML, summary: kindHTML}, nil)
	dropSiteRef(&is, site)
	is.Feed = feedURL
	return is, nil
}

// ghostSite returns the site's base URL: the feed's address without its
// path, else the post's.
func ghostSite(feedURL, postURL string) *url.URL {
	for _, s := range []string{feedURL, postURL} {
		if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}
		}
	}
	return nil
}
