package bot

import (
	"fmt"
	"strconv"
	"strings"
)

// StoryRef names one story of an archived issue: what a "Share in channel"
// button carries. Its String form is short (well under Slack's 2,000 and
// Discord's 100 characters for a button's value or custom id).
type StoryRef struct {
	IssueID int64
	Part    Part // PartLead or PartRoundup
	Item    int  // roundup index when Part is PartRoundup
}

// IsZero reports whether r names no story.
func (r StoryRef) IsZero() bool { return r.IssueID == 0 }

// String renders r as "<issue>.lead" or "<issue>.<item>" (item from 0).
func (r StoryRef) String() string {
	if r.Part == PartLead {
		return strconv.FormatInt(r.IssueID, 10) + ".lead"
	}
	return strconv.FormatInt(r.IssueID, 10) + "." + strconv.Itoa(r.Item)
}

// ParseStoryRef reads what String wrote. Button values come back from the
// platform, signed but typed by no one; anything else is an error.
func ParseStoryRef(s string) (StoryRef, error) {
	id, rest, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || len(s) > 40 {
		return StoryRef{}, fmt.Errorf("story reference %q: want <issue>.lead or <issue>.<item>", cut(s, 40))
	}
	if rest == "lead" {
		return StoryRef{IssueID: n, Part: PartLead}, nil
	}
	item, err := strconv.Atoi(rest)
	if err != nil || item < 0 || item > 10000 {
		return StoryRef{}, fmt.Errorf("story reference %q: want <issue>.lead or <issue>.<item>", cut(s, 40))
	}
	return StoryRef{IssueID: n, Part: PartRoundup, Item: item}, nil
}

// StoryTitle names a story in a list: the lead by its issue's headline, a
// roundup item by its link text when the item opens with its link (as
// Ghost digests write them) and the text is a few words long, else by its
// opening words.
func StoryTitle(is *Issue, part Part, item int) string {
	if part == PartLead {
		return is.Title
	}
	if item < 0 || item >= len(is.Roundup) {
		return is.Title
	}
	return ItemTitle(is.Roundup[item])
}

// ItemTitle names a roundup item by its link text or its opening words.
func ItemTitle(st Story) string {
	if t := openingLinkText(st); t != "" {
		return t
	}
	return openingWords(st.Text())
}

// openingLinkText returns the text of the link that opens the story, if
// it is at least three words.
func openingLinkText(st Story) string {
	if len(st.Paragraphs) == 0 {
		return ""
	}
	for _, sp := range st.Paragraphs[0].Spans {
		if sp.URL == "" {
			if strings.TrimSpace(sp.Text) != "" {
				return "" // text before the first link: not an opening link
			}
			continue
		}
		t := strings.Join(strings.Fields(sp.Text), " ")
		if len(strings.Fields(t)) < 3 || strings.HasPrefix(t, "http") {
			return ""
		}
		return cut(strings.TrimRight(t, " ,;:"), maxTitleRunes)
	}
	return ""
}

const maxTitleRunes = 90

// openingWords returns text's first sentence or clause, cut at a word
// boundary to fit a title.
func openingWords(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	for _, sep := range []string{". ", "? ", "! ", "; ", ": "} {
		if i := strings.Index(text, sep); i > 20 && i < maxTitleRunes {
			return text[:i]
		}
	}
	if len([]rune(text)) <= maxTitleRunes {
		return text
	}
	r := []rune(text)[:maxTitleRunes]
	s := string(r)
	if i := strings.LastIndexByte(s, ' '); i > maxTitleRunes/2 {
		s = s[:i]
	}
	return strings.TrimRight(s, " ,;:") + "…"
}
