package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"digestbot/bot"
)

// Boilerplate removal. Every paragraph the splitter drops is dropped by
// one named rule, listed in README.md ("Boilerplate rules") and tested in
// boilerplate_test.go; `digestbot preview --explain` names the rule for
// each paragraph it drops. Rules that read text apply only to short
// paragraphs (maxFooterLen): a long paragraph that mentions subscribing is
// content. Elements dropped while tokenizing (hidden elements, share
// widgets, footnote markers, tracking images) are in blocks.go.

// maxFooterLen bounds the blocks checked by text rules.
const maxFooterLen = 240

// Rule names.
const (
	ruleSeparator       = "separator"
	ruleHeadline        = "headline"
	rulePreheader       = "preheader"
	ruleViewOnline      = "view-online"
	ruleShare           = "share"
	ruleSubscribe       = "subscribe"
	ruleUnsubscribe     = "unsubscribe"
	ruleCopyright       = "copyright"
	ruleAddress         = "address"
	ruleSignOff         = "sign-off"
	rulePhotoCredit     = "photo-credit"
	ruleContinueReading = "continue-reading"
	ruleFooter          = "footer"
	ruleDrop            = "drop"
)

// textRule is a rule matched against a short paragraph's text, lowercased,
// with curly apostrophes made straight and leading decoration (arrows,
// emoji, bullets) removed. exact matches the whole text without its
// trailing punctuation; prefixes match its start, ending at a word
// boundary; contains anywhere.
type textRule struct {
	name     string
	exact    []string
	prefixes []string
	contains []string
}

var textRules = []textRule{
	{name: ruleViewOnline,
		exact: []string{"web version", "view web version", "view online", "read online"},
		prefixes: []string{"view in browser", "view in your browser", "view in a browser", "view this email in your browser",
			"view this email in a browser", "view this email online", "view this email as a web page", "view this post on the web",
			"view it in your browser", "view as a web page", "view as a webpage", "view online", "view in app", "view in the app",
			"read on the web", "read it on the web", "read online", "read in browser", "read in app", "read in the app",
			"open in app", "open in browser", "having trouble viewing", "email not displaying correctly",
			"can't see this email", "cant see this email", "trouble reading this email"}},
	{name: ruleShare,
		exact: []string{"share", "comment", "comments", "like", "restack", "reply", "tweet", "forward", "share this",
			"share this post", "share this issue", "share this newsletter", "share this email"},
		prefixes: []string{"share this", "share on ", "share with ", "share it with", "forward this email", "forward this to",
			"forward to a friend", "tweet this", "know someone who would like this", "know someone who'd like this",
			"enjoy this newsletter? share", "enjoying this newsletter? share", "like this post?", "liked this issue?"}},
	{name: ruleSubscribe,
		prefixes: []string{"subscribe", "forwarded this email", "was this email forwarded", "was this forwarded",
			"give a gift subscription", "upgrade to paid", "pledge your support", "become a member", "become a paid subscriber",
			"become a supporter", "sign up for", "sign up here", "sign up now", "get this newsletter", "join our newsletter",
			"support this newsletter", "leave a comment", "refer a friend", "referral link", "get the app", "download the app",
			"start writing", "this post is public so feel free to share it"}},
	{name: ruleUnsubscribe,
		prefixes: []string{"unsubscribe", "update your preferences", "update your email preferences", "update your subscription",
			"manage your subscription", "manage preferences", "manage your preferences", "email preferences",
			"you are receiving this", "you received this email", "you're receiving this", "why did i get this",
			"this email was sent to", "no longer want to receive", "want to change how you receive these emails",
			"you can update your preferences", "you are subscribed", "you're subscribed"},
		contains: []string{"unsubscribe", "update your preferences", "update your email preferences", "manage your subscription",
			"manage your email preferences", "change your subscription preferences", "opt out of these emails"}},
	{name: ruleCopyright,
		prefixes: []string{"©", "(c) ", "copyright "},
		contains: []string{"all rights reserved", "© 1", "© 2", "©1", "©2"}},
	{name: ruleSignOff,
		prefixes: []string{"that's all for", "thats all for", "that's it for", "thats it for", "that's a wrap", "see you next",
			"until next time", "until next week", "till next time", "thanks for reading", "thank you for reading",
			"catch you next", "have a great week", "have a great weekend", "talk soon"}},
	{name: rulePhotoCredit,
		prefixes: []string{"photo:", "photo by ", "photos by ", "photo credit", "photograph:", "photograph by ", "image:",
			"image by ", "image credit", "image source", "illustration by ", "illustration:", "credit:", "(photo",
			"picture:", "cover image", "header image", "source: unsplash", "via unsplash"}},
	{name: ruleContinueReading,
		exact: []string{"read more", "continue reading", "keep reading", "read the rest", "read more here", "read full story",
			"read the full story", "read the full article", "read the full post", "more"},
		prefixes: []string{"continue reading", "read more of this story", "read more here", "read the full", "read the rest of",
			"keep reading", "read the whole", "read more on ", "read more at "}},
}

// footerStarts are the rules after whose paragraph every short paragraph
// is the email's footer.
var footerStarts = map[string]bool{ruleUnsubscribe: true, ruleCopyright: true, ruleAddress: true}

// normalize trims a short text's leading decoration (anything before
// the first letter, digit, © or parenthesis) and makes curly apostrophes
// near its start straight, where the prefix rules look. Rules compare
// ignoring case (prefixFold, containsFold), so that nothing is
// lowercased, which would allocate for every paragraph.
func normalize(text string) string {
	t := strings.TrimLeftFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '©' && r != '('
	})
	if head := t[:min(len(t), 64)]; strings.Contains(head, "’") || strings.Contains(head, "‘") {
		t = apostrophes.Replace(t)
	}
	return t
}

func prefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

var apostrophes = strings.NewReplacer("’", "'", "‘", "'")

// ruleEntry is one exact text or prefix of a text rule, indexed by its
// first byte so that a paragraph is compared only with the entries that
// can match it.
type ruleEntry struct {
	text  string
	rule  string
	exact bool
}

var ruleIndex = func() (idx [256][]ruleEntry) {
	add := func(e ruleEntry) {
		c := e.text[0]
		idx[c] = append(idx[c], e)
		if c >= 'a' && c <= 'z' {
			idx[c-'a'+'A'] = append(idx[c-'a'+'A'], e)
		}
	}
	for _, r := range textRules {
		for _, e := range r.exact {
			add(ruleEntry{e, r.name, true})
		}
		for _, p := range r.prefixes {
			add(ruleEntry{p, r.name, false})
		}
	}
	return idx
}()

// containsGate are substrings, as written in lower or upper case, one of
// which every contains entry has: a paragraph without any is not compared
// with them (a fast byte search instead of a case-insensitive scan).
var containsGate = []string{"nsubscri", "NSUBSCRI", "referenc", "REFERENC", "ubscripti", "UBSCRIPTI", "pt out", "PT OUT", "ights reserved", "IGHTS RESERVED", "©"}

// boilerRule returns the name of the text rule a short paragraph matches,
// or "".
func boilerRule(text string) string {
	t := normalize(text)
	if t == "" {
		return ""
	}
	bare := strings.TrimRightFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, e := range ruleIndex[t[0]] {
		if e.exact {
			if strings.EqualFold(bare, e.text) {
				return e.rule
			}
			continue
		}
		if prefixFold(t, e.text) {
			next, _ := utf8.DecodeRuneInString(t[len(e.text):])
			last, _ := utf8.DecodeLastRuneInString(e.text)
			if !unicode.IsLetter(next) || !unicode.IsLetter(last) {
				return e.rule
			}
		}
	}
	gate := false
	for _, g := range containsGate {
		if strings.Contains(t, g) {
			gate = true
			break
		}
	}
	for i := range textRules {
		r := &textRules[i]
		for _, c := range r.contains {
			if !gate {
				break
			}
			if containsFold(t, c) {
				return r.name
			}
		}
	}
	switch {
	case shareWords(t):
		return ruleShare
	case isSignOff(t, text):
		return ruleSignOff
	case isAddress(t):
		return ruleAddress
	case prefixFold(t, "the post ") && containsFold(t, " appeared first on "):
		return ruleContinueReading // WordPress: "The post <title> appeared first on <site>."
	}
	return ""
}

// shareWords reports whether a short text is only share buttons:
// "Share Tweet Forward", "Facebook | Twitter | Email".
func shareWords(t string) bool {
	if len(t) > 80 || len(t) < 5 {
		return false
	}
	switch t[0] | 0x20 {
	case 's', 't', 'f', 'e', 'x', 'l', 'c', 'r', 'm', 'b', 'w', 'p':
	default:
		return false
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		switch strings.ToLower(w) {
		case "share", "tweet", "forward", "email", "facebook", "twitter", "x", "linkedin", "like", "comment", "comments",
			"restack", "reply", "mastodon", "bluesky", "threads", "whatsapp", "copy", "link", "on", "print", "pocket", "reddit":
		default:
			return false
		}
	}
	return true
}

// isSignOff: "— Dara", "-- The Team", "Cheers, Dara", "Best,".
func isSignOff(t, text string) bool {
	if len(text) > 60 {
		return false
	}
	orig := strings.TrimSpace(text)
	for _, dash := range []string{"—", "–", "--"} {
		if rest, ok := strings.CutPrefix(orig, dash); ok {
			return fewNames(rest)
		}
	}
	for _, greet := range []string{"cheers", "best", "best wishes", "warmly", "warm regards", "regards", "all the best", "yours", "love", "onward", "onwards", "ciao", "bye", "goodbye", "see you", "take care"} {
		if !prefixFold(t, greet) {
			continue
		}
		if rest := t[len(greet):]; rest == "" || rest[0] == ',' || rest[0] == '!' || rest[0] == '.' {
			rest = strings.TrimLeft(rest, ",!. ")
			return rest == "" || fewNames(text[len(text)-len(rest):])
		}
	}
	return false
}

// fewNames reports whether s is one to three capitalised words: a name.
func fewNames(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 3 {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && w != "&" && w != "and" && w != "the" {
			return false
		}
	}
	return true
}

var streetWords = []string{"street", "st.", "st", "avenue", "ave", "ave.", "road", "rd", "rd.", "suite", "floor", "blvd",
	"boulevard", "lane", "drive", "way", "strasse", "straße", "rue", "box", "plaza", "square"}

// isAddress: a postal address line ("123 Example Street, Suite 4,
// Springfield") or its label ("Our mailing address is:").
func isAddress(t string) bool {
	for _, p := range []string{"our mailing address", "mailing address:", "our postal address", "our address is"} {
		if prefixFold(t, p) {
			return true
		}
	}
	if len(t) > 160 || strings.Count(t, ",") < 2 || strings.HasSuffix(t, ".") || !strings.ContainsAny(t, "0123456789") {
		return false
	}
	for _, w := range strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == ',' }) {
		for _, s := range streetWords {
			if strings.EqualFold(w, s) {
				return true
			}
		}
	}
	return false
}

// hasAlnum reports whether s has a letter or digit.
func hasAlnum(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// dropBoilerplate returns the blocks that are content, dropping by rule:
// separators, the repeated headline, short boilerplate paragraphs (the
// text rules), the footer after an unsubscribe, copyright or address
// line, the configured drop patterns, and a preheader repeated at the top.
func (s *splitter) dropBoilerplate(blocks []block, title string, ex *explainer) []*block {
	kept := make([]*block, 0, len(blocks))
	titleKey := alnumKey(title, -1)
	titleMax := 2*len(title) + 16
	inFooter := false
	for i := range blocks {
		b := &blocks[i]
		n := textLen(b)
		short := n <= maxFooterLen
		rule := ""
		var text string
		if short || n <= titleMax || len(s.drop) > 0 || ex != nil {
			text = b.text()
		}
		switch {
		case n <= s.maxLen && !hasAlnum(text):
			rule = ruleSeparator // "* * *", "———", an emoji
		case titleKey != "" && n <= titleMax && b.alnum() == titleKey:
			rule = ruleHeadline
		case short && !hasLink(b) && isAddress(normalize(text)):
			rule = ruleAddress
		case short:
			if rule = boilerRule(text); rule == ruleAddress && hasLink(b) {
				rule = ""
			}
		}
		if rule == "" && inFooter && short {
			rule = ruleFooter
		}
		if rule == "" {
			for j := range s.drop {
				if s.drop[j].match(text) {
					rule = ruleDrop + " " + s.drop[j].text
					break
				}
			}
		}
		if !short {
			inFooter = false
		}
		if rule != "" {
			if footerStarts[rule] && len(kept) > 0 {
				inFooter = true
			}
			if ex != nil {
				ex.add("dropped %s (rule %s)", quote(text), rule)
			}
			continue
		}
		kept = append(kept, b)
	}
	return dropPreheader(kept, ex)
}

// dropPreheader drops one of the first three paragraphs when a paragraph
// soon after repeats it: an email's preview text, shown again as the
// opening line.
func dropPreheader(kept []*block, ex *explainer) []*block {
	limit := min(len(kept), 8)
	for i := 0; i < 3 && i < limit; i++ {
		if n := textLen(kept[i]); n > maxFooterLen || n < 20 {
			continue
		}
		k := kept[i].alnum()
		if len(k) < 12 {
			continue
		}
		for j := i + 1; j < limit; j++ {
			if alnumPrefix(k, []bot.Paragraph{{Spans: kept[j].spans}}) {
				if ex != nil {
					ex.add("dropped %s (rule %s)", quote(kept[i].text()), rulePreheader)
				}
				return append(kept[:i:i], kept[i+1:]...)
			}
		}
	}
	return kept
}
