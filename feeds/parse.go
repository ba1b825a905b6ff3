package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	gojson "github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"

	"digestbot/bot"
)

// Parse parses an RSS 2.0, Atom or JSON Feed document and splits each of
// its items into a bot.Issue (Feed set to feedURL, Newsletter to the feed's
// title). feedURL also resolves relative links when an item has no link of
// its own; it may be a local path. A document that is no feed returns an
// error wrapping ErrNotAFeed.
func Parse(data []byte, feedURL string, opts SplitOptions) (title string, issues []bot.Issue, err error) {
	p, err := parse(data, feedURL, newSplitter(opts))
	if err != nil {
		return "", nil, err
	}
	return p.title, p.issues, nil
}

// parsedFeed is a parsed and split feed.
type parsedFeed struct {
	title    string
	issues   []bot.Issue
	ttl      time.Duration // from RSS <ttl>
	warnings []string      // what was wrong with the feed and how it was read anyway
	explain  []Explanation // when asked for: how each issue was split
}

// Explanation says what the splitter recognised in one issue and why:
// which marker or heading started which section, which rule dropped which
// paragraph. `digestbot preview --explain` prints it.
type Explanation struct {
	GUID  string
	Title string
	Notes []string
}

// newGofeedParser returns the gofeed parser used for every feed: the
// original feed is kept (for <ttl> and content types) and gofeed's own
// content image scan is off (the splitter finds the feature image in the
// same pass it splits the body).
func newGofeedParser() *gofeed.Parser {
	fp := gofeed.NewParser()
	fp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	fp.KeepOriginalFeed = true
	return fp
}

func parse(data []byte, feedURL string, s *splitter) (*parsedFeed, error) {
	return parseDoc(data, "", feedURL, s, false)
}

// parseDoc parses and splits a feed document. contentType is the HTTP
// Content-Type it came with ("" for a file), whose charset applies when
// the document declares none; explain asks for an Explanation per issue.
func parseDoc(data []byte, contentType, feedURL string, s *splitter, explain bool) (*parsedFeed, error) {
	out := &parsedFeed{}
	data, warn := toUTF8(data, contentType)
	if warn != "" {
		out.warnings = append(out.warnings, warn)
	}
	feed, err := newGofeedParser().Parse(bytes.NewReader(data))
	if err != nil && !looksJSON(data) && !utf8.Valid(data) {
		// XML that is not the UTF-8 it claims (or does not declare)
		if fixed, warn := fallback1252(data, declaredEncoding(data)); warn != "" {
			if f2, err2 := newGofeedParser().Parse(bytes.NewReader(fixed)); err2 == nil {
				feed, err = f2, nil
				out.warnings = append(out.warnings, warn)
			}
		}
	}
	if err != nil && looksJSON(data) && !errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		// A JSON Feed with an optional field of the wrong type: drop
		// those fields, with a warning, rather than the whole feed.
		if fixed, warns := fixJSONFeed(data); fixed != nil {
			if f2, err2 := newGofeedParser().Parse(bytes.NewReader(fixed)); err2 == nil {
				feed, err = f2, nil
				out.warnings = append(out.warnings, warns...)
			}
		}
	}
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("feeds: %s: %w: no RSS, Atom or JSON Feed document found", RedactURL(feedURL), ErrNotAFeed)
		}
		return nil, fmt.Errorf("feeds: parse %s: %w", RedactURL(feedURL), err)
	}

	if jf, ok := feed.OriginalFeed().(*gojson.Feed); ok && !strings.Contains(jf.Version, "jsonfeed") {
		return nil, fmt.Errorf("feeds: %s: %w: JSON without a JSON Feed version", RedactURL(feedURL), ErrNotAFeed)
	}

	var base *url.URL
	if u, err := url.Parse(feedURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		base = u
	}
	if site := resolveHTTP(base, feed.Link); site != "" {
		base, _ = url.Parse(site)
	}

	out.title = cleanText(feed.Title)
	kinds := contentKinds(feed)
	if rf, ok := feed.OriginalFeed().(*rss.Feed); ok {
		if m, err := strconv.Atoi(strings.TrimSpace(rf.TTL)); err == nil && m > 0 && m <= 365*24*60 {
			out.ttl = time.Duration(m) * time.Minute
		}
	}

	out.issues = make([]bot.Issue, 0, len(feed.Items))
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		k := itemKinds{content: kindHTML, summary: kindHTML}
		if i < len(kinds) {
			k = kinds[i]
		}
		var ex *explainer
		if explain {
			ex = &explainer{}
		}
		is := s.issue(it, base, k, ex)
		dropSiteRef(&is, base) // i14: Ghost's ?ref=<site>, see siteref.go
		is.Feed = feedURL
		is.Newsletter = out.title
		out.issues = append(out.issues, is)
		if ex != nil {
			out.explain = append(out.explain, Explanation{GUID: is.GUID, Title: is.Title, Notes: ex.notes})
		}
	}
	out.warnings = append(out.warnings, fixGUIDs(feed.Items, out.issues)...)
	for i := range out.explain {
		out.explain[i].GUID = out.issues[i].GUID
	}
	return out, nil
}

// textKind says whether a field holds HTML or plain text.
type textKind int

const (
	kindHTML textKind = iota
	kindText
)

type itemKinds struct{ content, summary textKind }

// contentKinds reads from the original feed which item fields are plain
// text: JSON Feed's content_text and summary, Atom's type="text".
func contentKinds(feed *gofeed.Feed) []itemKinds {
	switch of := feed.OriginalFeed().(type) {
	case *gojson.Feed:
		out := make([]itemKinds, len(of.Items))
		for i, it := range of.Items {
			out[i].summary = kindText
			if it != nil && it.ContentHTML == "" {
				out[i].content = kindText
			}
		}
		return out
	case *atom.Feed:
		out := make([]itemKinds, len(of.Entries))
		for i, e := range of.Entries {
			if e != nil && e.Content != nil && (e.Content.Type == "" || e.Content.Type == "text") {
				out[i].content = kindText
			}
		}
		return out
	}
	return nil
}

// issue turns one feed item into an issue.
func (s *splitter) issue(it *gofeed.Item, feedBase *url.URL, k itemKinds, ex *explainer) bot.Issue {
	is := bot.Issue{Title: cleanText(it.Title)}
	is.Link = resolveHTTP(feedBase, it.Link)
	base := feedBase
	if is.Link != "" {
		base, _ = url.Parse(is.Link)
	}
	switch {
	case it.PublishedParsed != nil:
		is.Published = it.PublishedParsed.UTC()
	case it.UpdatedParsed != nil:
		is.Published = it.UpdatedParsed.UTC()
	}
	is.GUID = cleanGUID(it.GUID)
	if is.GUID == "" {
		is.GUID = cleanGUID(it.Link)
	}
	if is.GUID == "" {
		date := it.Published
		if !is.Published.IsZero() {
			date = is.Published.Format(time.RFC3339)
		}
		sum := sha256.Sum256([]byte(is.Title + "\x00" + date))
		is.GUID = "sha256:" + hex.EncodeToString(sum[:16])
	}

	body, kind, excerpt := it.Content, k.content, false
	if strings.TrimSpace(body) == "" {
		body, kind, excerpt = it.Description, k.summary, true
	}
	var tok tokenized
	if kind == kindText || plainText(body) {
		tok.blocks = textBlocks(body)
	} else {
		tok = tokenizeExplain(body, base, ex != nil)
	}
	for _, h := range tok.hidden {
		ex.add("dropped %s (rule hidden)", quote(h))
	}
	r := s.splitExplain(tok.blocks, is.Title, ex)
	is.Lead, is.Roundup, is.Split = r.lead, r.roundup, r.split

	if !excerpt {
		is.Standfirst = standfirst(it.Description, k.summary, is.Title, r.paragraphs())
	}
	is.Image = itemImage(it, base)
	if is.Image == "" && tok.image != "" && tok.imageAt <= r.firstKept {
		// the body's first image, when only boilerplate comes before it
		// ("View in browser"): Ghost's inserted feature image, an email's
		// header picture
		is.Image = tok.image
	}
	return is
}

// maxGUID is the longest GUID kept as is; longer ones are hashed.
const maxGUID = 512

// cleanGUID trims a GUID, makes it valid UTF-8 and hashes it when it is
// unreasonably long, so that stores can index it.
func cleanGUID(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	if len(s) > maxGUID {
		sum := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(sum[:16])
	}
	return s
}

// standfirst returns the item's description when it is a real summary, ""
// when it is empty, the headline again, or a copy of the body's beginning
// (WordPress and Substack descriptions are the first words of the body,
// often ending in "…" or "[…]"; Ghost's auto-excerpt has no ellipsis).
func standfirst(desc string, kind textKind, title string, body []bot.Paragraph) string {
	if strings.TrimSpace(desc) == "" {
		return ""
	}
	var sf string
	if kind == kindText {
		sf = collapse(desc)
	} else {
		sf = cleanText(desc)
	}
	if i := strings.LastIndex(sf, "The post "); i >= 0 && strings.Contains(sf[i:], " appeared first on ") {
		sf = strings.TrimSpace(sf[:i])
	}
	key := alnumKey(sf, -1)
	for _, suffix := range []string{"readmorehere", "readmore", "continuereading", "keepreading", "readthefullstory", "readfullstory", "readthefullpost"} {
		key = strings.TrimSuffix(key, suffix)
	}
	if key == "" || key == alnumKey(title, -1) {
		return ""
	}
	// A copy starts at the beginning of one of the first paragraphs.
	for i := 0; i < len(body) && i < 3; i++ {
		if alnumPrefix(key, body[i:]) {
			return ""
		}
	}
	return sf
}

// alnumPrefix reports whether key is a prefix of the alnumKey of the
// paragraphs' text, without building that text: it stops at the first
// difference.
func alnumPrefix(key string, ps []bot.Paragraph) bool {
	k := 0
	for _, p := range ps {
		for _, sp := range p.Spans {
			for _, r := range sp.Text {
				if r < utf8.RuneSelf {
					switch {
					case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
					case r >= 'A' && r <= 'Z':
						r += 'a' - 'A'
					default:
						continue
					}
				} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
					r = unicode.ToLower(r)
				} else {
					continue
				}
				kr, size := utf8.DecodeRuneInString(key[k:])
				if kr != r {
					return false
				}
				k += size
				if k == len(key) {
					return true
				}
			}
		}
	}
	return false
}

// itemImage returns the item's declared feature image: gofeed's item image
// (iTunes, media:content, image enclosure, JSON image), media:thumbnail or
// an image enclosure, as an absolute http(s) URL.
func itemImage(it *gofeed.Item, base *url.URL) string {
	// media:content first: it carries a size to check
	if media, ok := it.Extensions["media"]; ok {
		for _, name := range []string{"content", "thumbnail"} {
			for _, c := range media[name] {
				if name == "content" && !strings.Contains(c.Attrs["medium"], "image") && !strings.HasPrefix(c.Attrs["type"], "image/") {
					continue
				}
				u := resolveHTTP(base, c.Attrs["url"])
				if usableImage(u, atoiPrefix([]byte(c.Attrs["width"])), atoiPrefix([]byte(c.Attrs["height"])), false) {
					return u
				}
			}
		}
	}
	if it.Image != nil {
		if u := resolveHTTP(base, it.Image.URL); usableImage(u, -1, -1, false) {
			return u
		}
	}
	for _, e := range it.Enclosures {
		if e != nil && strings.HasPrefix(e.Type, "image/") {
			if u := resolveHTTP(base, e.URL); usableImage(u, -1, -1, false) {
				return u
			}
		}
	}
	return ""
}

// cleanText returns s (a title or a description, possibly with markup and
// entities) as one line of plain text.
func cleanText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapse(s)
	}
	tok := tokenize(s, nil)
	parts := make([]string, 0, len(tok.blocks))
	for i := range tok.blocks {
		parts = append(parts, tok.blocks[i].text())
	}
	return strings.Join(parts, " ")
}

// collapse returns plain text with whitespace runs collapsed to one space,
// invisible characters dropped and invalid UTF-8 replaced.
func collapse(s string) string {
	if isCollapsed(s) {
		return s
	}
	var t tokenizer
	t.text([]byte(s))
	if !t.hasText {
		return ""
	}
	return string(t.buf)
}

// isCollapsed reports whether collapse would return s unchanged: valid
// UTF-8, single spaces between words, nothing invisible.
func isCollapsed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		case r < ' ' || r == 0x7f:
			return false
		case r >= utf8.RuneSelf:
			if r == utf8.RuneError || unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf) {
				return false
			}
		}
		prevSpace = false
	}
	return true
}
