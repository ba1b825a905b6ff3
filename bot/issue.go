// Package bot is digestbot's core: the domain types (Issue, Story, Post),
// the interfaces it needs from the outside world (Source, Store, Publisher)
// and the machinery that uses them (poller, outbox, command router).
//
// It imports only the standard library. Adapters for Slack, Discord, the
// console, SQLite and PostgreSQL live in their own packages and are wired
// together by cmd/digestbot.
package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Issue is one newsletter issue: one feed item, split into a lead story and
// roundup items. The items may be grouped in named sections (a newsletter's
// "Quick hits", "Elsewhere"...): each item's Story.Section names its
// section, and consecutive items with the same name form one section.
type Issue struct {
	ID         int64     // assigned by the Store; 0 until saved
	Feed       string    // URL of the feed the issue came from
	Newsletter string    // the feed's title, e.g. "Digest Newsletter"
	GUID       string    // feed GUID, else link, else a hash of title and date
	Title      string    // headline
	Link       string    // the issue's web page
	Published  time.Time // zero when the feed gives no date
	Standfirst string    // one-sentence summary, "" when the feed has none
	Image      string    // feature image URL, "" when none
	Lead       Story     // the lead story
	Roundup    []Story   // roundup items of every section, in issue order; empty when !Split
	Split      bool      // whether any roundup item was found
	Withdrawn  bool      // set by the store: the issue was unpublished (Store.WithdrawIssue)
}

// Story is the lead story or one roundup item.
type Story struct {
	Paragraphs []Paragraph
	URL        string   // the story's main link: its first http(s) link that is not a share, subscribe or tracking link; "" when none
	Links      []string // every http(s) link, in order, without duplicates
	// Section is the name of the roundup section the item belongs to
	// ("Quick hits"); "" for the lead and for items of an unnamed section.
	// Empty, it is left out of the JSON form, so Hash is unchanged for
	// issues without named sections.
	Section string `json:",omitempty"`
}

// Paragraph is one block of text made of inline spans.
type Paragraph struct {
	Spans   []Span
	Heading bool // a sub-heading inside the story
	Bullet  bool // a list item inside the lead story
}

// Span is a run of text with the same formatting. A span with a URL is a
// link; URL is always an absolute http or https URL.
type Span struct {
	Text   string
	URL    string
	Bold   bool
	Italic bool
}

// Part says which part of an issue a post or a search hit is about.
type Part string

const (
	PartLead     Part = "lead"     // the lead story
	PartRoundup  Part = "roundup"  // one roundup item (Item says which)
	PartCombined Part = "combined" // every roundup item in one post
)

// Text returns the paragraph as plain text, link texts included.
func (p Paragraph) Text() string {
	if len(p.Spans) == 1 {
		return p.Spans[0].Text
	}
	var b strings.Builder
	for _, s := range p.Spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Text returns the story as plain text, paragraphs separated by blank lines.
func (s Story) Text() string {
	parts := make([]string, len(s.Paragraphs))
	for i, p := range s.Paragraphs {
		parts[i] = p.Text()
	}
	return strings.Join(parts, "\n\n")
}

// PlainParagraphs returns each paragraph's plain text.
func (s Story) PlainParagraphs() []string {
	out := make([]string, len(s.Paragraphs))
	for i, p := range s.Paragraphs {
		out[i] = p.Text()
	}
	return out
}

// Hash returns a digest of everything a reader sees in the issue. When it
// changes, the archive is updated and posts already sent are edited.
func (is *Issue) Hash() string {
	content := struct {
		Title, Link, Standfirst, Image string
		Published                      time.Time
		Lead                           Story
		Roundup                        []Story
		Split                          bool
	}{is.Title, is.Link, is.Standfirst, is.Image, is.Published.UTC(), is.Lead, is.Roundup, is.Split}
	b, _ := json.Marshal(content) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Stories returns the lead followed by the roundup items.
func (is *Issue) Stories() []Story {
	return append([]Story{is.Lead}, is.Roundup...)
}
