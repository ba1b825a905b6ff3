package feeds

import (
	"time"

	"digestbot/bot"
)

// PreviewIssue is one split issue as `digestbot preview --json` prints it.
// The JSON keys are a contract: scripts and tests read them.
type PreviewIssue struct {
	GUID       string           `json:"guid"`
	Title      string           `json:"title"`
	Link       string           `json:"link"`
	Published  string           `json:"published"` // RFC 3339, "" when unknown
	Standfirst string           `json:"standfirst"`
	Image      string           `json:"image"`
	Lead       []string         `json:"lead"`     // plain-text paragraphs, never null
	Roundup    []PreviewItem    `json:"roundup"`  // every item of every section, in order; never null
	Sections   []PreviewSection `json:"sections"` // never null
	Split      bool             `json:"split"`
}

// PreviewSection is one section of a PreviewIssue: its name ("" when the
// issue does not name it) and its items.
type PreviewSection struct {
	Name  string        `json:"name"`
	Items []PreviewItem `json:"items"` // never null
}

// PreviewItem is one roundup item in a PreviewIssue.
type PreviewItem struct {
	Text  string   `json:"text"`
	URL   string   `json:"url"`
	Links []string `json:"links"` // never null
}

// Preview returns the preview form of an issue.
func Preview(is bot.Issue) PreviewIssue {
	p := PreviewIssue{
		GUID:       is.GUID,
		Title:      is.Title,
		Link:       is.Link,
		Standfirst: is.Standfirst,
		Image:      is.Image,
		Lead:       is.Lead.PlainParagraphs(),
		Roundup:    make([]PreviewItem, 0, len(is.Roundup)),
		Sections:   []PreviewSection{},
		Split:      is.Split,
	}
	if !is.Published.IsZero() {
		p.Published = is.Published.UTC().Format(time.RFC3339)
	}
	for _, st := range is.Roundup {
		links := st.Links
		if links == nil {
			links = []string{}
		}
		item := PreviewItem{Text: st.Text(), URL: st.URL, Links: links}
		p.Roundup = append(p.Roundup, item)
		if n := len(p.Sections); n == 0 || p.Sections[n-1].Name != st.Section {
			p.Sections = append(p.Sections, PreviewSection{Name: st.Section, Items: []PreviewItem{}})
		}
		p.Sections[len(p.Sections)-1].Items = append(p.Sections[len(p.Sections)-1].Items, item)
	}
	return p
}
