package slack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"digestbot/bot"
)

// shareButtons returns the values of the Share buttons in blocks, in order.
func shareButtons(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var bs []struct {
		Accessory *struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"accessory"`
	}
	if err := json.Unmarshal(b, &bs); err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, blk := range bs {
		a := blk.Accessory
		if a == nil {
			continue
		}
		if a.Type != "button" || a.ActionID != bot.ShareActionID || a.Text.Text != bot.ShareButtonLabel {
			t.Errorf("accessory %+v, want a %q button with action_id %s", *a, bot.ShareButtonLabel, bot.ShareActionID)
		}
		values = append(values, a.Value)
	}
	return values
}

func lead(id int64) bot.StoryRef { return bot.StoryRef{IssueID: id, Part: bot.PartLead} }
func item(id int64, i int) bot.StoryRef {
	return bot.StoryRef{IssueID: id, Part: bot.PartRoundup, Item: i}
}

func TestReplyShareButtons(t *testing.T) {
	r := bot.Reply{
		Title: "Catch up",
		Sections: []bot.Section{
			{Title: "Tide tables go digital", URL: "https://news.example.org/42", Meta: "14 Mar 2025 · 3 stories", Share: lead(42),
				Links: []bot.Link{
					{Text: "Volunteers map every bollard", URL: "https://maps.example.net/b?a=1&b=2", Share: item(42, 0)},
					{Text: "Issue page", URL: "https://news.example.org/42"}, // names no story
					{Text: "Ferry <!here> timetable", URL: "javascript:x", Share: item(42, 1)},
				}},
			{Title: "A result that names no story", Text: "Plain."},
		},
	}
	private := RenderReply(r, true)
	texts := checkLimits(t, private)
	if got, want := strings.Join(shareButtons(t, private), " "), "42.lead 42.0 42.1"; got != want {
		t.Errorf("private reply: Share buttons %q, want %q", got, want)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"*<https://news.example.org/42|Tide tables go digital>*\n• <https://news.example.org/42|Issue page>",
		"• <https://maps.example.net/b?a=1&amp;b=2|Volunteers map every bollard>",
		"• Ferry &lt;!here&gt; timetable",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("private reply lacks %q:\n%s", want, all)
		}
	}
	for _, s := range texts {
		checkMrkdwn(t, s)
	}
	if strings.Contains(all, "Share buttons left out") {
		t.Errorf("note on left-out buttons with room to spare:\n%s", all)
	}

	public := RenderReply(r, false)
	if got := shareButtons(t, public); len(got) != 0 {
		t.Errorf("in-channel reply has Share buttons %q", got)
	}
	b, _ := json.Marshal(public)
	if strings.Contains(string(b), bot.ShareActionID) {
		t.Errorf("in-channel reply names %s: %s", bot.ShareActionID, b)
	}

	// Through the dispatcher: ephemeral by configuration or by the reply,
	// never in the channel.
	for _, tc := range []struct {
		inChannel, private bool
		want               int
	}{{false, false, 3}, {true, true, 3}, {true, false, 0}} {
		d := newDispatcher(replyHandler(nil), tc.inChannel, 0, nil, nil, nil)
		r.Private = tc.private
		p := d.payload(r)
		if got := len(shareButtons(t, p.Blocks.BlockSet)); got != tc.want {
			t.Errorf("in_channel=%v private=%v (%s): %d Share buttons, want %d", tc.inChannel, tc.private, p.ResponseType, got, tc.want)
		}
	}
}

// TestReplyShareButtonsManyStories: a catch-up as large as the core makes
// it (8 issues of 12 roundup items) and larger fits in 50 blocks; every
// story shown either has its button or is counted in the note.
func TestReplyShareButtonsManyStories(t *testing.T) {
	for _, tc := range []struct{ issues, items int }{{8, 12}, {3, 4}, {20, 30}} {
		t.Run(fmt.Sprintf("%dx%d", tc.issues, tc.items), func(t *testing.T) {
			var secs []bot.Section
			for i := range tc.issues {
				id := int64(100 + i)
				sec := bot.Section{Title: fmt.Sprintf("Issue %d <b>", i), URL: "https://news.example.org/" + strconv.Itoa(i),
					Meta: "14 Mar 2025", Share: lead(id)}
				for j := range tc.items {
					sec.Links = append(sec.Links, bot.Link{Text: fmt.Sprintf("Story %d.%d about the harbour & the %s", i, j, strings.Repeat("quay ", 10)),
						URL: fmt.Sprintf("https://src.example.com/%d/%d", i, j), Share: item(id, j)})
				}
				secs = append(secs, sec)
			}
			r := bot.Reply{Title: "Catch up", Text: "8 issues since you last asked.", Sections: secs, Note: "Cut to fit: 4 more stories."}
			blocks := RenderReply(r, true)
			texts := checkLimits(t, blocks)
			buttons := shareButtons(t, blocks)
			seen := map[string]bool{}
			for _, v := range buttons {
				if _, err := bot.ParseStoryRef(v); err != nil || seen[v] {
					t.Errorf("button value %q: %v (or repeated)", v, err)
				}
				seen[v] = true
			}
			all := strings.Join(texts, "\n")
			for _, s := range texts {
				checkMrkdwn(t, s)
			}
			if !strings.Contains(all, "Cut to fit: 4 more stories.") {
				t.Errorf("the reply's own note is gone:\n%s", all)
			}
			cut := 0
			if m := regexp.MustCompile(`Share buttons left out for (\d+) stor(?:y|ies)`).FindStringSubmatch(all); m != nil {
				cut, _ = strconv.Atoi(m[1])
			}
			sections := tc.issues
			if m := regexp.MustCompile(`…and (\d+) more\.`).FindStringSubmatch(all); m != nil {
				n, _ := strconv.Atoi(m[1])
				sections -= n
			}
			shown := sections * (1 + tc.items)
			if len(buttons)+cut != shown {
				t.Errorf("%d buttons and %d counted without, want %d stories shown", len(buttons), cut, shown)
			}
			if tc.issues*(1+tc.items)+4 <= maxBlocks && cut != 0 {
				t.Errorf("%d stories without a button in a reply that fits", cut)
			}
			if len(buttons) < sections || (tc.issues <= 8 && len(buttons) < min(shown, 30)) {
				t.Errorf("only %d buttons for %d results, %d stories", len(buttons), sections, shown)
			}
		})
	}
}

func TestRenderSharedBy(t *testing.T) {
	is := testIssue()
	plain := string(renderJSON(t, testMessage(is, bot.LayoutSeparate, bot.PartLead, 0)))
	for _, tc := range []struct {
		name     string
		post     func(*bot.Post)
		want     string
		wantNone []string
	}{
		{"mention", func(p *bot.Post) { p.SharedBy = bot.Person{ID: "U0ANA", Name: "ana"} }, "Shared by <@U0ANA>", nil},
		{"hostile id falls back to the name", func(p *bot.Post) { p.SharedBy = bot.Person{ID: "U1> <!channel", Name: "<!here> bob *b*"} },
			"Shared by &lt;!here&gt; bob ∗b∗", []string{"<!", "<@"}},
		{"no id", func(p *bot.Post) { p.SharedBy = bot.Person{Name: "ana"} }, "Shared by ana", []string{"<@"}},
		{"follow", func(p *bot.Post) { p.Follow = `tide "pier <b>" -ferry` }, "Matches your follow “tide \"pier &lt;b&gt;\" -ferry”", []string{"<b>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []bot.Message{
				testMessage(is, bot.LayoutSeparate, bot.PartLead, 0),
				testMessage(is, bot.LayoutSeparate, bot.PartRoundup, 1),
				testMessage(is, bot.LayoutCombined, bot.PartCombined, 0),
			} {
				tc.post(&m.Post)
				r, err := renderMessage(m)
				if err != nil {
					t.Fatal(err)
				}
				texts := checkLimits(t, r.Blocks)
				all := strings.Join(texts, "\n")
				if !strings.Contains(all, tc.want) {
					t.Errorf("%s: lacks %q:\n%s", m.Post.Part, tc.want, all)
				}
				for _, bad := range tc.wantNone {
					if strings.Contains(all, bad) {
						t.Errorf("%s: contains %q:\n%s", m.Post.Part, bad, all)
					}
				}
			}
		})
	}
	if again := string(renderJSON(t, testMessage(is, bot.LayoutSeparate, bot.PartLead, 0))); again != plain || strings.Contains(plain, "Shared by") {
		t.Errorf("a channel's own post changed")
	}
}

// TestRenderSharedByLimits: the attribution line costs a block, and the
// largest posts still fit.
func TestRenderSharedByLimits(t *testing.T) {
	is := testIssue()
	var paras []bot.Paragraph
	for range 200 {
		paras = append(paras, bot.Paragraph{Spans: []bot.Span{{Text: longText(600)}}})
	}
	is.Roundup = nil
	for range 80 {
		is.Roundup = append(is.Roundup, bot.Story{Paragraphs: paras[:3]})
	}
	is.Roundup[2] = bot.Story{Paragraphs: paras}
	is.Lead = bot.Story{Paragraphs: paras}
	for _, m := range []bot.Message{
		testMessage(is, bot.LayoutSeparate, bot.PartLead, 0),
		testMessage(is, bot.LayoutSeparate, bot.PartRoundup, 2),
		testMessage(is, bot.LayoutCombined, bot.PartCombined, 0),
	} {
		m.Post.SharedBy = bot.Person{ID: "U0ANA", Name: "ana"}
		m.Post.Follow = strings.Repeat("harbour ", 100)
		r, err := renderMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		if texts := checkLimits(t, r.Blocks); !strings.Contains(strings.Join(texts, "\n"), "Shared by <@U0ANA>") {
			t.Errorf("%s: no attribution", m.Post.Part)
		}
	}
}
