package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// StoryRef names one story of an archived issue: what a "Share in channel"
// button carries. Its String form is short (at most 34 characters: well
// under Slack's 2,000 and Discord's 100 characters for a button's value or
// custom id, "digest_share:" included).
//
// A roundup item is named by its index and, in refs made since the index
// alone could name the wrong story after an edit, by Check: a few hex
// digits of its identity (its source link, else its text; see RefFor).
// The share handler finds the item by Check when the issue was edited
// between the answer and the press, and refuses when it is gone. Refs
// without a Check, on buttons shown before, name the item by index alone.
type StoryRef struct {
	IssueID int64
	Part    Part   // PartLead or PartRoundup
	Item    int    // roundup index when Part is PartRoundup
	Check   string // roundup item's identity check (lowercase hex), "" for none
}

// refCheckLen is how many hex digits of the identity hash RefFor writes:
// 32 bits, enough to tell a roundup's items apart.
const refCheckLen = 8

// Bounds of a Check that ParseStoryRef accepts (RefFor writes refCheckLen).
const (
	minRefCheck = 6
	maxRefCheck = 16
)

// RefFor returns the StoryRef of a story of archived issue is (is.ID set):
// a roundup item's ref carries the check of the item's identity.
func RefFor(is *Issue, part Part, item int) StoryRef {
	if part == PartLead {
		return StoryRef{IssueID: is.ID, Part: PartLead}
	}
	r := StoryRef{IssueID: is.ID, Part: PartRoundup, Item: item}
	if item >= 0 && item < len(is.Roundup) {
		r.Check = storyCheck(is.Roundup[item])
	}
	return r
}

// hitRef returns the StoryRef of a search hit: with the check of a roundup
// item's identity when the store loaded the story, else without (the item
// is then named by index alone, as before checks).
func hitRef(h Hit) StoryRef {
	r := StoryRef{IssueID: h.IssueID, Part: h.Part, Item: h.Item}
	if h.Part == PartRoundup && (h.Story.URL != "" || len(h.Story.Paragraphs) > 0) {
		r.Check = storyCheck(h.Story)
	}
	return r
}

// storyCheck is the check of a roundup item: the first hex digits of the
// sha256 of its identity (storyKey: its source link, else its text).
func storyCheck(st Story) string { return hexSum(storyKey(st))[:refCheckLen] }

// matches reports whether st is the roundup item r's Check names.
func (r StoryRef) matches(st Story) bool {
	return r.Check != "" && strings.HasPrefix(hexSum(storyKey(st)), r.Check)
}

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// resolve finds the roundup item r names in is as it is now. Without a
// Check, it is the item at r.Item (ok false when the index is past the
// end). With one, it is the item at r.Item if its identity matches, else
// the matching item nearest to r.Item (items were inserted or removed
// above it); ok false when no item matches (it changed or left the issue).
func (r StoryRef) resolve(is *Issue) (item int, ok bool) {
	if r.Part == PartLead {
		return 0, true
	}
	if r.Check == "" {
		return r.Item, r.Item >= 0 && r.Item < len(is.Roundup)
	}
	return resolveItem(is, r.Item, r.Check, "")
}

// resolveItem finds a roundup item of is by its identity check: the item
// at index at if it matches, else the matching item nearest to at; ok
// false when none matches. A Share button's press (StoryRef.resolve) and
// the outbox's shared posts (Share.resolve) both find items with it. When
// text is set (the check of the item's text: another item had the same
// identity), the item's text must match too, so that of two items citing
// one source the other is never taken for it.
func resolveItem(is *Issue, at int, check, text string) (item int, ok bool) {
	match := func(st Story) bool {
		return check != "" && strings.HasPrefix(hexSum(storyKey(st)), check) && (text == "" || textCheck(st) == text)
	}
	if at >= 0 && at < len(is.Roundup) && match(is.Roundup[at]) {
		return at, true
	}
	best := -1
	for i, st := range is.Roundup {
		if match(st) && (best < 0 || absInt(i-at) < absInt(best-at)) {
			best = i
		}
	}
	return best, best >= 0
}

// textCheck is the check of a story's plain text, to tell apart items of
// the same identity.
func textCheck(st Story) string { return hexSum("t:" + st.Text())[:refCheckLen] }

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// IsZero reports whether r names no story.
func (r StoryRef) IsZero() bool { return r.IssueID == 0 }

// String renders r as "<issue>.lead", "<issue>.<item>" (item from 0) or
// "<issue>.<item>.<check>".
func (r StoryRef) String() string {
	if r.Part == PartLead {
		return strconv.FormatInt(r.IssueID, 10) + ".lead"
	}
	s := strconv.FormatInt(r.IssueID, 10) + "." + strconv.Itoa(r.Item)
	if r.Check != "" {
		s += "." + r.Check
	}
	return s
}

// ParseStoryRef reads what String wrote: "<issue>.lead", "<issue>.<item>"
// (buttons shown before checks) or "<issue>.<item>.<check>". Button values
// come back from the platform, signed but typed by no one; anything else is
// an error.
func ParseStoryRef(s string) (StoryRef, error) {
	bad := func() (StoryRef, error) {
		return StoryRef{}, fmt.Errorf("story reference %q: want <issue>.lead, <issue>.<item> or <issue>.<item>.<check>", cut(s, 40))
	}
	id, rest, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || len(s) > 40 || !digits(id) {
		return bad()
	}
	if rest == "lead" {
		return StoryRef{IssueID: n, Part: PartLead}, nil
	}
	idx, check, hasCheck := strings.Cut(rest, ".")
	item, err := strconv.Atoi(idx)
	if err != nil || !digits(idx) || item < 0 || item > 10000 {
		return bad()
	}
	if hasCheck && (len(check) < minRefCheck || len(check) > maxRefCheck || !lowerHex(check)) {
		return bad()
	}
	return StoryRef{IssueID: n, Part: PartRoundup, Item: item, Check: check}, nil
}

// digits reports whether s is a plain decimal number as String writes it.
func digits(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
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
