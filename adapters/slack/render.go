package slack

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

// Slack's limits, in characters (counted by slackLen).
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxHeaderText    = 150
	maxButtonText    = 75
	maxAltText       = 2000
	maxContextText   = 2000 // per context element
	maxFallbackText  = 300  // notification text: Slack allows 40,000, we keep it short
	maxLeadExcerpt   = 1200 // lead paragraphs shown under the standfirst
	maxStandfirst    = 1000
	maxItemText      = 12000 // one roundup item's message
	maxCombinedText  = 36000 // all sections of a combined roundup
	maxCombinedItem  = maxSectionText - 100
	metadataEvent    = "digest_post"
	readFullIssue    = "Read the full issue"
	readFullActionID = "read_full_issue"
)

// rendered is one message ready for chat.postMessage or chat.update.
type rendered struct {
	Blocks   []slack.Block
	Text     string // notification fallback, escaped
	Metadata slack.SlackMetadata
}

// errBadPost is wrapped (permanently) for messages that cannot be rendered.
var errBadPost = errors.New("nothing to post")

// renderMessage renders a bot.Message into Slack blocks.
func renderMessage(m bot.Message) (rendered, error) {
	is := m.Post.Issue
	if is == nil {
		return rendered{}, fmt.Errorf("%w: message %s has no issue", errBadPost, m.Key)
	}
	var r rendered
	top := attribution(m.Post)
	switch m.Post.Part {
	case bot.PartLead:
		r = renderLead(is, m.Channel, top)
	case bot.PartRoundup:
		if m.Post.Item < 0 || m.Post.Item >= len(is.Roundup) {
			return rendered{}, fmt.Errorf("%w: roundup item %d of %d in issue %q", errBadPost, m.Post.Item, len(is.Roundup), is.GUID)
		}
		r = renderItem(is, m.Post.Item, m.Channel, top)
	case bot.PartCombined:
		if len(is.Roundup) == 0 {
			return rendered{}, fmt.Errorf("%w: issue %q has no roundup", errBadPost, is.GUID)
		}
		r = renderCombined(is, m.Channel, top)
	default:
		return rendered{}, fmt.Errorf("%w: unknown part %q", errBadPost, m.Post.Part)
	}
	r.Metadata = slack.SlackMetadata{
		EventType: metadataEvent,
		EventPayload: map[string]any{
			"key":  m.Key,
			"guid": is.GUID,
			"part": string(m.Post.Part),
		},
	}
	return r, nil
}

// attribution is the context line that says why a post is there, above
// its content: "Shared by <@U…>" on a story shared with a Share button,
// "Matches your follow “…”" on a direct message for a follow; nil for a
// channel's own posts, which render as they always did.
func attribution(p bot.Post) []slack.Block {
	var parts []string
	if !p.SharedBy.IsZero() {
		parts = append(parts, "Shared by "+personMention(p.SharedBy))
	}
	if f := strings.TrimSpace(p.Follow); f != "" {
		parts = append(parts, escapeText("Matches your follow “"+cutPlain(strings.Join(strings.Fields(f), " "), maxFollowText)+"”"))
	}
	if len(parts) == 0 {
		return nil
	}
	return []slack.Block{contextBlock(strings.Join(parts, " · "))}
}

// maxFollowText bounds a follow's words in an attribution line.
const maxFollowText = 200

// personMention renders a person as a Slack mention when the id is a
// Slack user id, else by name (escaped: it cannot mention anyone).
func personMention(p bot.Person) string {
	if isUserID(p.ID) {
		return "<@" + p.ID + ">"
	}
	name := strings.TrimSpace(p.Name)
	if name == "" {
		name = p.ID
	}
	return escapeText(cutPlain(strings.Join(strings.Fields(name), " "), 80))
}

// isUserID reports whether s looks like a Slack user id (U… or W…, upper
// case letters and digits): only such an id is put inside <@…>.
func isUserID(s string) bool {
	if len(s) < 2 || len(s) > 32 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func renderLead(is *bot.Issue, ch bot.Channel, top []slack.Block) rendered {
	title := strings.TrimSpace(is.Title)
	if title == "" {
		title = newsletterName(is)
	}
	blocks := append([]slack.Block{header(title)}, top...)
	if sf := strings.TrimSpace(is.Standfirst); sf != "" {
		sf = cutPlain(sf, maxStandfirst)
		para := [][]piece{paragraphPieces(bot.Paragraph{Spans: []bot.Span{{Text: sf, Italic: true}}})}
		for _, t := range packSections(para, maxSectionText) {
			blocks = append(blocks, section(t))
		}
	}
	ex, _ := excerpt(storyPieces(is.Lead), maxLeadExcerpt)
	for _, t := range packSections(ex, maxSectionText) {
		blocks = append(blocks, section(t))
	}
	if img, ok := safeURL(is.Image); ok {
		blocks = append(blocks, &slack.ImageBlock{
			Type:     slack.MBTImage,
			ImageURL: img,
			AltText:  cutPlain(title, maxAltText),
		})
	}
	if b := readButton(is); b != nil {
		blocks = append(blocks, b)
	}
	blocks = append(blocks, contextLine(newsletterName(is), dateOf(is)))

	fallback := title
	if sf := strings.TrimSpace(is.Standfirst); sf != "" {
		fallback += ": " + sf
	}
	return rendered{Blocks: blocks, Text: guardLineStart(escapeText(cutPlain(fallback, maxFallbackText)))}
}

func renderItem(is *bot.Issue, item int, ch bot.Channel, top []slack.Block) rendered {
	story := is.Roundup[item]
	paras, _ := excerpt(storyPieces(story), maxItemText)
	blocks := append([]slack.Block(nil), top...)
	for _, t := range sectionTexts(paras, maxSectionText, maxBlocks-1-len(top)) {
		blocks = append(blocks, section(t))
	}
	if len(blocks) == len(top) {
		blocks = append(blocks, section(escapeText("(empty item)")))
	}
	var ctx []string
	if u, ok := safeURL(story.URL); ok {
		ctx = append(ctx, "Source: "+mrkdwnLink(u, hostOf(u)))
	}
	if story.Section != "" {
		ctx = append(ctx, escapeText(cutPlain(story.Section, 200)))
	}
	ctx = append(ctx, "Roundup") // never "3 of 6": an item's message must not change when a sibling goes
	if name := newsletterName(is); name != "" {
		ctx = append(ctx, escapeText(cutPlain(name, 200)))
	}
	blocks = append(blocks, contextBlock(strings.Join(ctx, " · ")))
	text := story.Text()
	if text == "" {
		text = is.Title
	}
	return rendered{Blocks: blocks, Text: guardLineStart(escapeText(cutPlain(text, maxFallbackText)))}
}

func renderCombined(is *bot.Issue, ch bot.Channel, top []slack.Block) rendered {
	title := strings.TrimSpace(is.Title)
	if title == "" {
		title = newsletterName(is)
	}
	blocks := append([]slack.Block{header("Roundup: " + title)}, top...)
	var tail []slack.Block
	if b := readButton(is); b != nil {
		tail = append(tail, b)
	}
	tail = append(tail, contextLine(newsletterName(is), dateOf(is)))
	room := maxBlocks - len(blocks) - len(tail)

	items := make([]string, 0, len(is.Roundup))
	for _, st := range is.Roundup {
		ex, _ := excerpt(storyPieces(st), maxCombinedItem)
		t := strings.Join(packSections(ex, maxSectionText), "\n\n")
		if slackLen(t) > maxCombinedItem { // a cut word: keep the first part
			t = packSections(ex, maxCombinedItem)[0]
		}
		if t != "" {
			items = append(items, t)
		}
	}
	secs, counts := packTexts(items, maxSectionText)
	if len(items) <= room {
		secs, counts = items, ones(len(items))
	}
	// Keep within the block and total budgets; a last block says what was
	// left out.
	total, kept, shownItems := 0, 0, 0
	for kept < len(secs) {
		blocksNeeded := kept + 1
		if kept+1 < len(secs) {
			blocksNeeded++ // the "…and N more" block
		}
		l := slackLen(secs[kept])
		if blocksNeeded > room || total+l > maxCombinedText {
			break
		}
		total += l
		shownItems += counts[kept]
		kept++
	}
	for _, t := range secs[:kept] {
		blocks = append(blocks, section(t))
	}
	if rest := len(items) - shownItems; rest > 0 {
		more := escapeText(fmt.Sprintf("…and %d more.", rest))
		if u, ok := safeURL(is.Link); ok {
			more += " " + mrkdwnLink(u, readFullIssue)
		}
		blocks = append(blocks, section(more))
	}
	blocks = append(blocks, tail...)
	fallback := fmt.Sprintf("Roundup: %s (%d items)", title, len(is.Roundup))
	return rendered{Blocks: blocks, Text: guardLineStart(escapeText(cutPlain(fallback, maxFallbackText)))}
}

// packTexts joins texts into as few texts of at most limit units as the
// order allows, separated by blank lines, and says how many each holds.
func packTexts(texts []string, limit int) (out []string, counts []int) {
	cur, n, c := "", 0, 0
	for _, t := range texts {
		l := slackLen(t)
		if n > 0 && n+2+l <= limit {
			cur += "\n\n" + t
			n += 2 + l
			c++
			continue
		}
		if n > 0 {
			out, counts = append(out, cur), append(counts, c)
		}
		cur, n, c = t, l, 1
	}
	if n > 0 {
		out, counts = append(out, cur), append(counts, c)
	}
	return out, counts
}

func ones(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// newsletterName is the newsletter's name (feeds[].name, else the feed's
// title).
func newsletterName(is *bot.Issue) string {
	return strings.TrimSpace(is.Newsletter)
}

func dateOf(is *bot.Issue) string {
	if is.Published.IsZero() {
		return ""
	}
	return is.Published.Format("2 January 2006")
}

func header(text string) *slack.HeaderBlock {
	f := false
	return &slack.HeaderBlock{
		Type: slack.MBTHeader,
		Text: &slack.TextBlockObject{Type: slack.PlainTextType, Text: plainText(text, maxHeaderText), Emoji: &f},
	}
}

// plainText prepares text for a plain_text object: one line, no control
// characters, cut to max.
func plainText(s string, max int) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)), " ")
	if s == "" {
		s = "(untitled)"
	}
	return cutPlain(s, max)
}

func section(mrkdwn string) *slack.SectionBlock {
	return &slack.SectionBlock{Type: slack.MBTSection, Text: mrkdwnText(mrkdwn)}
}

func mrkdwnText(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s, Verbatim: true}
}

func contextBlock(mrkdwn string) *slack.ContextBlock {
	if slackLen(mrkdwn) > maxContextText {
		mrkdwn = escapeText(ellipsis) // cannot happen with our inputs; never send too much
	}
	return &slack.ContextBlock{
		Type:            slack.MBTContext,
		ContextElements: slack.ContextElements{Elements: []slack.MixedElement{mrkdwnText(guardLineStart(mrkdwn))}},
	}
}

// contextLine is "Newsletter · 2 January 2006", escaped.
func contextLine(name, date string) *slack.ContextBlock {
	var parts []string
	if name != "" {
		parts = append(parts, escapeText(cutPlain(name, 200)))
	}
	if date != "" {
		parts = append(parts, escapeText(date))
	}
	if len(parts) == 0 {
		parts = append(parts, "digest")
	}
	return contextBlock(strings.Join(parts, " · "))
}

// readButton is an actions block with a link button to the issue, or nil
// when the issue has no usable link.
func readButton(is *bot.Issue) *slack.ActionBlock {
	u, ok := safeURL(is.Link)
	if !ok {
		return nil
	}
	f := false
	return &slack.ActionBlock{
		Type: slack.MBTAction,
		Elements: &slack.BlockElements{ElementSet: []slack.BlockElement{
			&slack.ButtonBlockElement{
				Type:     slack.METButton,
				Text:     &slack.TextBlockObject{Type: slack.PlainTextType, Text: plainText(readFullIssue, maxButtonText), Emoji: &f},
				ActionID: readFullActionID,
				URL:      u,
			},
		}},
	}
}
