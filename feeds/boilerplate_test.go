package feeds

import (
	"strings"
	"testing"
)

// TestBoilerplateRules has, for every text rule, paragraphs it drops and
// look-alikes it must keep.
func TestBoilerplateRules(t *testing.T) {
	drop := map[string][]string{
		ruleViewOnline:      {"View in browser", "→ View this email in your browser", "Read on the web", "View in App", "Having trouble viewing this email? Click here", "Open in app ↗"},
		ruleShare:           {"Share", "Share this post", "Forward to a friend", "Tweet this!", "Restack", "Like"},
		ruleSubscribe:       {"Subscribe now", "Forwarded this email? Sign up here.", "Pledge your support", "Upgrade to paid", "Become a member to read more", "Leave a comment"},
		ruleUnsubscribe:     {"Unsubscribe", "Update your email preferences or unsubscribe", "You are receiving this because you signed up.", "Want to change how you receive these emails? You can update your preferences."},
		ruleCopyright:       {"© 2026 Riverside Media", "Copyright 2025 Example Co.", "Example Inc. All rights reserved."},
		ruleAddress:         {"Our mailing address is:", "12 Example Street, Suite 4, Springfield, ST 00001", "PO Box 77, Lakeside, 40001"},
		ruleSignOff:         {"That's all for this week!", "That’s it for today — see you Friday.", "See you next week,", "Until next time", "Thanks for reading!", "— Dara", "-- The Riverside Team", "Cheers, Dara", "Best,"},
		rulePhotoCredit:     {"Photo: Jo Example/Agency", "Photo by Sam Example on Unsplash", "Image credit: NASA", "Illustration by Ana Example"},
		ruleContinueReading: {"Continue reading…", "Continue reading on Medium »", "Read more of this story at Example News.", "Read More Here →", "Read more", "The post Floods return appeared first on River Blog."},
	}
	keep := []string{
		"Subscribers told us they like this section.",
		"Sharing water rights is the hardest part of the deal.",
		"Photographers gathered at the dam at dawn.",
		"The copyright office ruled on AI art this week.",
		"Best practices for well testing, from the state lab.",
		"Likely the wettest spring on record.",
		"Viewing platforms open at the reservoir on Monday.",
		"Read the report from the basin commission on page 4.",
		"She moved to 5 Mill Road, a former bakery.",
		"Road trip, day 2, Lakeside: the reservoir is full.",
	}
	for rule, texts := range drop {
		for _, text := range texts {
			if got := boilerRule(text); got != rule {
				t.Errorf("boilerRule(%q) = %q, want %q", text, got, rule)
			}
		}
	}
	for _, text := range keep {
		if got := boilerRule(text); got != "" {
			t.Errorf("boilerRule(%q) = %q, want content", text, got)
		}
	}
}

// TestStructuralRules covers the rules that look at more than one
// paragraph's text: footer, preheader, hidden elements, footnote markers,
// widgets, separators, the repeated headline and configured patterns.
func TestStructuralRules(t *testing.T) {
	body := `<div style="display: none; max-height: 0px; overflow: hidden;">A preview you never see &zwnj;&nbsp;&zwnj;</div>
<span class="preheader">Also hidden</span>
<p>Big week for the river: three towns vote on the dam.</p>
<p>Big week for the river: three towns vote on the dam.</p>
<h1>Issue title</h1>
<p>Lead text with a footnote<sup><a class="footnote-anchor" href="#fn-1">1</a></sup> and a square<sup>2</sup> mark.</p>
<p>* * *</p>
<div class="sharedaddy"><p>Share on Mastodon</p></div>
<p>Sponsored: Acme rain barrels.</p>
<p>Long closing paragraph that is content and stays, because it is about the river and the towns that share it, and it goes on long enough to be far beyond any footer line, as long paragraphs of real writing do in real newsletters every week.</p>
<p>Unsubscribe from this list</p>
<p>Riverside Media</p>
<p>Sent with care from the valley</p>`
	s := newSplitter(SplitOptions{Drop: []string{"/^sponsored:/"}})
	ex := &explainer{}
	tok := tokenizeExplain(body, nil, true)
	for _, h := range tok.hidden {
		ex.add("dropped %s (rule hidden)", quote(h))
	}
	r := s.splitExplain(tok.blocks, "Issue title", ex)
	got := r.lead.PlainParagraphs()
	if len(got) != 3 || got[0] != "Big week for the river: three towns vote on the dam." ||
		got[1] != "Lead text with a footnote and a square mark." || !strings.HasPrefix(got[2], "Long closing paragraph") {
		t.Fatalf("lead %q", got)
	}
	notes := strings.Join(ex.notes, "\n")
	for _, rule := range []string{"(rule hidden)", "(rule preheader)", "(rule headline)", "(rule separator)", "(rule drop /^sponsored:/)", "(rule unsubscribe)", "(rule footer)"} {
		if !strings.Contains(notes, rule) {
			t.Errorf("no %s in explanation:\n%s", rule, notes)
		}
	}
	if !strings.Contains(notes, `"A preview you never see"`) {
		t.Errorf("hidden text not named:\n%s", notes)
	}
}
