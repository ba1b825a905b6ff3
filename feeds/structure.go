package feeds

// Structure detection: where no marker names a section, a heading (or a
// bold-only paragraph, or a short all-caps line) followed by short link-led
// items or a list of links starts one, and numbered stories are items.

import (
	"unicode"
	"unicode/utf8"
)

// Structure detection limits.
const (
	maxShortItem   = 700 // bytes of text in a short, link-led item
	maxHeadingText = 100 // bytes of text in a bold-only or all-caps heading
)

// headingLike reports whether a block reads as a heading: an <h1>–<h6>,
// a paragraph that is only bold text, or a short all-caps line; never a
// list item or a block with a link.
func headingLike(b *block) bool {
	if b.li != 0 {
		return false
	}
	for _, sp := range b.spans {
		if sp.URL != "" {
			return false
		}
	}
	if b.heading {
		return true
	}
	n := textLen(b)
	if n > maxHeadingText {
		return false
	}
	bold, letters, upper := true, 0, true
	for _, sp := range b.spans {
		hasLetter := false
		for _, r := range sp.Text {
			if unicode.IsLetter(r) {
				hasLetter = true
				letters++
				if !unicode.IsUpper(r) {
					upper = false
				}
			}
		}
		if hasLetter && !sp.Bold {
			bold = false
		}
	}
	if letters == 0 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(b.spans[len(b.spans)-1].Text)
	if last == '.' || last == ',' || last == ';' {
		return false // a bold or shouted sentence, not a heading
	}
	return bold || (upper && letters >= 3 && n <= 60)
}

// linkLed reports whether a block's first words are a link, after an
// optional bullet, number or emoji.
func linkLed(b *block) bool {
	for _, sp := range b.spans {
		if sp.URL != "" {
			return true
		}
		if len(sp.Text) <= 8 && !hasLetter(sp.Text) {
			continue
		}
		return false
	}
	return false
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func hasLink(b *block) bool {
	for _, sp := range b.spans {
		if sp.URL != "" {
			return true
		}
	}
	return false
}

// isNumberOnly reports whether a block is only a story number: "1",
// "2.", "#3", "(4)", "05".
func isNumberOnly(b *block) bool {
	_, ok := storyNumber(b)
	return ok
}

func storyNumber(b *block) (int, bool) {
	if textLen(b) > 6 {
		return 0, false
	}
	n, digits := 0, 0
	for _, sp := range b.spans {
		for _, r := range sp.Text {
			switch {
			case r >= '0' && r <= '9':
				n = n*10 + int(r-'0')
				digits++
			case r == '.' || r == '#' || r == '(' || r == ')' || r == ' ' || r == '/':
			default:
				return 0, false
			}
		}
	}
	return n, digits > 0 && digits <= 3
}

// storyStart reports whether a block starts a numbered story: a number
// alone, or a heading that starts with a number and a dot or parenthesis.
func storyStart(b *block) (int, bool) {
	if b.li != 0 || b.brLine {
		return 0, false
	}
	if n, ok := storyNumber(b); ok {
		return n, true
	}
	if !headingLike(b) {
		return 0, false
	}
	text := b.spans[0].Text
	n, i := 0, 0
	for i < len(text) && i < 3 && text[i] >= '0' && text[i] <= '9' {
		n = n*10 + int(text[i]-'0')
		i++
	}
	if i == 0 || i+1 >= len(text) || (text[i] != '.' && text[i] != ')') || text[i+1] != ' ' {
		return 0, false
	}
	return n, true
}

// unitEnd returns where the candidate item starting at bs[i] ends: the
// blocks of one <li> (with its nested lists) together, any other block
// alone.
func unitEnd(bs []*block, i int) int {
	j := i + 1
	if bs[i].li != 0 {
		for j < len(bs) && bs[j].li == bs[i].li {
			j++
		}
	}
	return j
}

// linkList reports whether the blocks after a heading, up to the next
// heading, are two or more short link-led items (or list entries with
// links), at least half of them.
func linkList(bs []*block) (int, bool) {
	led, total := 0, 0
	for i := 0; i < len(bs); {
		j := unitEnd(bs, i)
		u := bs[i:j]
		i = j
		total++
		n := 0
		for _, b := range u {
			n += textLen(b)
		}
		if n > maxShortItem {
			continue
		}
		if linkLed(u[0]) || (u[0].li != 0 && hasLink(u[0])) {
			led++
		}
	}
	return led, led >= 2 && 2*led >= total
}

// structureStarts finds sections by structure: a numbered run of stories
// (when numbers is set), else every heading (from index from on) followed
// by a list of links.
func structureStarts(kept []*block, from int, numbers bool, ex *explainer) ([]sectionStart, bool) {
	// Numbered stories: "1", "2", "3"... as blocks of their own, or
	// headings that start with their number ("3. The third thing").
	var nums []int
	next := 1
	for i := from; i < len(kept) && numbers; i++ {
		if n, ok := storyStart(kept[i]); ok {
			if n == next || (next == 1 && n == 0) {
				nums = append(nums, i)
				next = n + 1
			}
		}
	}
	if len(nums) >= 3 {
		ex.add("numbered stories: %d numbers, the first at paragraph %d", len(nums), nums[0]+1)
		out := make([]sectionStart, 0, 1)
		out = append(out, sectionStart{at: nums[0]})
		return out, true
	}
	var out []sectionStart
	for i := from; i < len(kept); i++ {
		if !headingLike(kept[i]) {
			continue
		}
		j := i + 1
		for j < len(kept) && !headingLike(kept[j]) {
			j++
		}
		if led, ok := linkList(kept[i+1 : j]); ok {
			text := kept[i].text()
			out = append(out, sectionStart{at: i, name: sectionName(text)})
			if ex != nil {
				ex.add("section %s started by the heading %s, followed by %d link-led items", label(sectionName(text)), quote(text), led)
			}
		}
		i = j - 1
	}
	return out, false
}

// subsections adds, inside sections started by markers, the headings
// followed by a list of links as sections of their own.
func subsections(kept []*block, starts []sectionStart, ex *explainer) []sectionStart {
	out := make([]sectionStart, 0, len(starts))
	for i, st := range starts {
		out = append(out, st)
		end := len(kept)
		if i+1 < len(starts) {
			end = starts[i+1].at
		}
		sub, _ := structureStarts(kept[:end], st.at+1, false, ex)
		for _, ss := range sub {
			if ss.at > st.at {
				out = append(out, ss)
			}
		}
	}
	return out
}

// groupItems turns a section's blocks into items: one list entry (with
// all its paragraphs), a heading with the paragraphs under it, a numbered
// story, or one paragraph; a paragraph without links right after a
// link-led item is that item's comment.
func groupItems(bs []*block, numbered bool) [][]*block {
	type span struct{ from, to int } // items are runs of bs
	items := make([]span, 0, len(bs))
	open := false // the last item takes following paragraphs (a heading's or number's story)
	for i := 0; i < len(bs); {
		j := unitEnd(bs, i)
		b := bs[i]
		extend := false
		switch {
		case numbered && startsStory(b):
			open = true
		case numbered && open:
			extend = true
		case headingLike(b):
			open = !b.brLine // a <br> line heading has its own items after it
		case b.li != 0 || b.brLine:
			open = false
		case open:
			extend = true
		case len(items) > 0 && !hasLink(b) && itemLinkLed(bs[items[len(items)-1].from:items[len(items)-1].to]):
			extend = true
		}
		if extend && len(items) > 0 {
			items[len(items)-1].to = j
		} else {
			items = append(items, span{i, j})
		}
		i = j
	}
	// a heading or number with nothing under it is no story
	out := make([][]*block, 0, len(items))
	for _, sp := range items {
		it := bs[sp.from:sp.to:sp.to]
		if len(it) == 1 && (isNumberOnly(it[0]) || (headingLike(it[0]) && it[0].li == 0 && len(items) > 1)) {
			continue
		}
		out = append(out, it)
	}
	return out
}

func startsStory(b *block) bool {
	_, ok := storyStart(b)
	return ok
}

func itemLinkLed(it []*block) bool {
	return len(it) > 0 && it[0].li == 0 && !it[0].brLine && linkLed(it[0])
}
