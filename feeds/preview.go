package feeds

import (
	"fmt"
	"io"
	"strings"
	"time"

	"digestbot/bot"
)

// PreviewIssue is one split issue as `digestbot preview --json` prints it.
// The JSON keys are a contract: scripts and tests read them.
type PreviewIssue struct {
	GUID       string        `json:"guid"`
	Title      string        `json:"title"`
	Link       string        `json:"link"`
	Published  string        `json:"published"` // RFC 3339, "" when unknown
	Standfirst string        `json:"standfirst"`
	Image      string        `json:"image"`
	Lead       []string      `json:"lead"`    // plain-text paragraphs, never null
	Roundup    []PreviewItem `json:"roundup"` // never null
	Split      bool          `json:"split"`
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
		p.Roundup = append(p.Roundup, PreviewItem{Text: st.Text(), URL: st.URL, Links: links})
	}
	return p
}

// FormatText writes an issue as plain text, post by post, the way it would
// be published: the lead post (headline, date, link, standfirst, lead
// paragraphs), then each roundup post with its source link.
func FormatText(w io.Writer, is bot.Issue) {
	var b strings.Builder
	title := is.Title
	if title == "" {
		title = "(untitled issue)"
	}
	if is.Newsletter != "" {
		fmt.Fprintf(&b, "%s — %s\n", is.Newsletter, title)
	} else {
		fmt.Fprintf(&b, "%s\n", title)
	}
	b.WriteString(strings.Repeat("=", min(72, max(len([]rune(title)), 8))) + "\n")
	if !is.Published.IsZero() {
		fmt.Fprintf(&b, "Published: %s\n", is.Published.UTC().Format("Mon 2 Jan 2006 15:04 MST"))
	}
	if is.Link != "" {
		fmt.Fprintf(&b, "Link:      %s\n", is.Link)
	}
	if is.Image != "" {
		fmt.Fprintf(&b, "Image:     %s\n", is.Image)
	}
	if is.Standfirst != "" {
		fmt.Fprintf(&b, "\n%s\n", is.Standfirst)
	}
	b.WriteString("\n--- Lead story ---\n")
	if len(is.Lead.Paragraphs) == 0 {
		b.WriteString("(no text)\n")
	}
	for _, p := range is.Lead.Paragraphs {
		switch {
		case p.Heading:
			fmt.Fprintf(&b, "\n## %s\n", p.Text())
		case p.Bullet:
			fmt.Fprintf(&b, "  • %s\n", p.Text())
		default:
			fmt.Fprintf(&b, "\n%s\n", p.Text())
		}
	}
	if len(is.Lead.Links) > 0 {
		b.WriteString("\nLinks:\n")
		for _, l := range is.Lead.Links {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if !is.Split {
		b.WriteString("\n(No roundup marker found: the whole issue is the lead post.)\n")
	} else if len(is.Roundup) == 0 {
		b.WriteString("\n(A roundup marker was found but no item followed it.)\n")
	}
	for i, st := range is.Roundup {
		fmt.Fprintf(&b, "\n--- Roundup %d/%d ---\n%s\n", i+1, len(is.Roundup), st.Text())
		if st.URL != "" {
			fmt.Fprintf(&b, "Source: %s\n", st.URL)
		}
		for _, l := range st.Links {
			if l != st.URL {
				fmt.Fprintf(&b, "Also:   %s\n", l)
			}
		}
	}
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String())
}
