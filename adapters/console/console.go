// Package console publishes posts and command replies as plain text on a
// terminal or a log: what `digestbot run` uses when no Slack or Discord is
// configured, and what `digestbot preview` shows.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"digestbot/bot"
)

// Width is the column posts are wrapped at.
const Width = 78

// Client writes posts to an io.Writer.
type Client struct {
	mu sync.Mutex
	w  io.Writer
}

var _ bot.Publisher = (*Client)(nil)

// New returns a Client writing to w.
func New(w io.Writer) *Client { return &Client{w: w} }

// Publish prints the post and returns a reference made of its key.
func (c *Client) Publish(ctx context.Context, m bot.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := c.write(FormatPost(m.Post, m.Channel, "")); err != nil {
		return "", fmt.Errorf("console: print post: %w", err)
	}
	return "console:" + m.Key, nil
}

// Edit prints the post again, marked as an edit.
func (c *Client) Edit(ctx context.Context, m bot.Message, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.write(FormatPost(m.Post, m.Channel, "(edited) ")); err != nil {
		return fmt.Errorf("console: print edit: %w", err)
	}
	return nil
}

// Delete prints that the post was removed: its item left the issue or the
// issue was withdrawn.
func (c *Client) Delete(ctx context.Context, m bot.Message, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	title := ""
	if m.Post.Issue != nil {
		title = clean(m.Post.Issue.Title)
	}
	if err := c.write(fmt.Sprintf("\n(deleted) %s post %s of %q\n", m.Post.Part, ref, title)); err != nil {
		return fmt.Errorf("console: print delete: %w", err)
	}
	return nil
}

func (c *Client) write(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.w, s)
	return err
}

// Responder prints command replies.
type Responder struct{ W io.Writer }

// Respond implements bot.Responder.
func (r Responder) Respond(_ context.Context, rep bot.Reply) error {
	_, err := io.WriteString(r.W, FormatReply(rep))
	return err
}

// FormatPost renders one post as text: the lead with its header and link,
// a roundup item, or the combined roundup; then who shared it (a shared
// story) or which follow it matches (a direct message), when set.
func FormatPost(p bot.Post, ch bot.Channel, prefix string) string {
	var b strings.Builder
	is := p.Issue
	name := is.Newsletter
	switch p.Part {
	case bot.PartLead:
		head := prefix + clean(name)
		if !is.Published.IsZero() {
			head += " · " + is.Published.UTC().Format("2 Jan 2006")
		}
		rule(&b, head)
		wrap(&b, "", strings.ToUpper(clean(is.Title)))
		if is.Standfirst != "" {
			b.WriteByte('\n')
			wrap(&b, "", clean(is.Standfirst))
		}
		for _, para := range is.Lead.Paragraphs {
			b.WriteByte('\n')
			indent := ""
			if para.Bullet {
				indent = "  • "
			}
			wrap(&b, indent, paragraphText(para))
		}
		if is.Link != "" {
			fmt.Fprintf(&b, "\nRead the full issue: %s\n", clean(is.Link))
		}
	case bot.PartRoundup:
		indent := ""
		if ch.Layout == bot.LayoutThread {
			indent = "  ↳ "
		}
		section := ""
		if st := p.Stories(); len(st) == 1 && st[0].Section != "" {
			section = clean(st[0].Section) + " · "
		}
		fmt.Fprintf(&b, "\n%s%s%sRoundup\n", indent, prefix, section)
		if st := p.Stories(); len(st) == 1 {
			item(&b, indent, st[0])
		}
	case bot.PartCombined:
		fmt.Fprintf(&b, "\n%sRoundup (%d items)\n", prefix, len(is.Roundup))
		for i, st := range is.Roundup {
			b.WriteByte('\n')
			item(&b, fmt.Sprintf("%2d. ", i+1), st)
		}
	}
	if who := p.SharedBy.Name; who != "" || p.SharedBy.ID != "" {
		if who == "" {
			who = p.SharedBy.ID
		}
		wrap(&b, "", "Shared by "+clean(who))
	}
	if p.Follow != "" {
		wrap(&b, "", "Matches your follow “"+clean(p.Follow)+"”")
	}
	return b.String()
}

func item(b *strings.Builder, indent string, st bot.Story) {
	wrap(b, indent, clean(st.Text()))
	if st.URL != "" {
		fmt.Fprintf(b, "%s→ %s\n", strings.Repeat(" ", len([]rune(indent))), clean(st.URL))
	}
}

// paragraphText is a paragraph's text with each link's target after it.
func paragraphText(p bot.Paragraph) string {
	var b strings.Builder
	for _, s := range p.Spans {
		b.WriteString(s.Text)
		if s.URL != "" && strings.TrimSpace(s.Text) != s.URL {
			fmt.Fprintf(&b, " <%s>", s.URL)
		}
	}
	return clean(b.String())
}

// FormatReply renders a command reply as text.
func FormatReply(r bot.Reply) string {
	var b strings.Builder
	if r.Title != "" {
		rule(&b, clean(r.Title))
	}
	if r.Text != "" {
		wrap(&b, "", clean(r.Text))
	}
	for _, s := range r.Sections {
		b.WriteByte('\n')
		title := clean(s.Title)
		if s.URL != "" {
			title += " <" + clean(s.URL) + ">"
		}
		wrap(&b, "", title)
		if s.Meta != "" {
			wrap(&b, "  ", clean(s.Meta))
		}
		if s.Text != "" {
			wrap(&b, "  ", clean(s.Text))
		}
		for _, l := range s.Links {
			line := clean(l.Text)
			if l.URL != "" {
				line += " <" + clean(l.URL) + ">"
			}
			wrap(&b, "  • ", line)
		}
	}
	if r.Note != "" {
		b.WriteByte('\n')
		wrap(&b, "", clean(r.Note))
	}
	return b.String()
}

func rule(b *strings.Builder, head string) {
	line := "── " + head + " "
	if n := Width - len([]rune(line)); n > 0 {
		line += strings.Repeat("─", n)
	}
	b.WriteString("\n" + line + "\n")
}

// clean removes control characters (terminal escape sequences in feed text
// must not reach the terminal) and keeps newlines.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
}

// wrap writes s word-wrapped at Width, the first line after indent and the
// others aligned under it. Blank lines in s are kept.
func wrap(b *strings.Builder, indent, s string) {
	pad := strings.Repeat(" ", len([]rune(indent)))
	for i, para := range strings.Split(s, "\n") {
		lead := indent
		if i > 0 {
			lead = pad
		}
		words := strings.Fields(para)
		if len(words) == 0 {
			b.WriteByte('\n')
			continue
		}
		line, n := lead, len([]rune(lead))
		for j, w := range words {
			wl := len([]rune(w))
			if j > 0 && n+1+wl > Width {
				b.WriteString(line + "\n")
				line, n = pad, len(pad)
			} else if j > 0 {
				line += " "
				n++
			}
			line += w
			n += wl
		}
		b.WriteString(line + "\n")
	}
}
