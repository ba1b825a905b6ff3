package feeds

import (
	"bytes"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"digestbot/bot"
)

// block is one block-level run of text in an HTML body: a paragraph, a
// heading, a list item, a table cell...
type block struct {
	spans   []bot.Span
	kind    atom.Atom // innermost block element around the text, 0 for none
	heading bool
	bullet  bool
}

// text returns the block's plain text.
func (b *block) text() string { return bot.Paragraph{Spans: b.spans}.Text() }

// tokenized is what one pass over an HTML body yields.
type tokenized struct {
	blocks []block
	image  string // src of the first <img> before any text, absolute http(s)
}

// openTag is an element on the tokenizer's stack of open elements.
type openTag struct {
	a      atom.Atom
	block  bool   // a block-level element (ends the current block)
	href   string // for <a>: absolute http(s) link, "" when none or dropped
	bold   bool
	italic bool
}

// tokenizer turns HTML into blocks of formatted spans in one pass with
// html.Tokenizer. It copes with any input: unclosed and stray tags, text
// outside any block, invalid UTF-8.
type tokenizer struct {
	base  *url.URL
	out   tokenized
	stack []openTag

	// the block being built: its text, and where each span ends
	buf     []byte
	marks   []mark
	cur     bot.Span  // formatting of the span being built (Text unused)
	space   bool      // whitespace seen since the last character written
	hasText bool      // the block has a visible character
	skip    atom.Atom // element being skipped with its content, 0 for none
	skipN   int       // its nesting depth
}

// mark is a closed span of the block being built: its formatting and the
// offset in the block's text where it ends (it starts where the previous
// one ends). The block's text becomes one string, sliced into spans.
type mark struct {
	end int
	f   bot.Span // Text unused
}

// blockAtoms end the current block when they open or close.
var blockAtoms = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Caption: true, atom.Center: true, atom.Dd: true, atom.Details: true,
	atom.Dialog: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Fieldset: true, atom.Figure: true, atom.Footer: true, atom.Form: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Header: true, atom.Hgroup: true, atom.Hr: true, atom.Li: true, atom.Main: true,
	atom.Menu: true, atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true,
	atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Td: true, atom.Tfoot: true, atom.Th: true, atom.Thead: true, atom.Tr: true,
	atom.Ul: true, atom.Body: true, atom.Html: true,
}

// skipAtoms are dropped with everything inside them.
var skipAtoms = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Math: true, atom.Object: true,
	atom.Embed: true, atom.Video: true, atom.Audio: true, atom.Canvas: true,
	atom.Select: true, atom.Textarea: true, atom.Button: true, atom.Head: true,
	atom.Title: true, atom.Figcaption: true, atom.Noembed: true, atom.Noframes: true,
}

// widgetAtoms may hold share, subscribe or related-posts widgets, which
// are recognised by their class and dropped whole.
var widgetAtoms = map[atom.Atom]bool{
	atom.Div: true, atom.Section: true, atom.Aside: true, atom.Ul: true, atom.Form: true, atom.Nav: true,
}

var widgetClasses = []string{
	"sharedaddy", "jp-relatedposts", "subscription-widget", "share-buttons", "social-share",
	"subscribe-widget", "post-share", "kg-signup-card",
}

// isWidget reads the current tag's class attribute.
func isWidget(z *html.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "class" {
			for _, c := range widgetClasses {
				if bytes.Contains(v, []byte(c)) {
					return true
				}
			}
			return false
		}
		if !more {
			return false
		}
	}
}

// Element flags, looked up once per tag.
const (
	flagBlock uint8 = 1 << iota
	flagSkip
	flagVoid
	flagWidget
)

var atomFlags = func() map[atom.Atom]uint8 {
	m := map[atom.Atom]uint8{}
	for set, flag := range map[*map[atom.Atom]bool]uint8{&blockAtoms: flagBlock, &skipAtoms: flagSkip, &voidAtoms: flagVoid, &widgetAtoms: flagWidget} {
		for a := range *set {
			m[a] |= flag
		}
	}
	return m
}()

// voidAtoms never have an end tag.
var voidAtoms = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// tokenize splits body into blocks, resolving links against base (nil:
// only absolute links are kept).
func tokenize(body string, base *url.URL) tokenized {
	t := tokenizer{base: base}
	t.out.blocks = make([]block, 0, 16)
	t.stack = make([]openTag, 0, 16)
	t.buf = make([]byte, 0, 1024)
	t.marks = make([]mark, 0, 8)
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			t.flush()
			return t.out
		case html.TextToken:
			if t.skip == 0 {
				t.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if t.skip != 0 {
				if a == t.skip && tt == html.StartTagToken {
					t.skipN++
				}
				continue
			}
			if atomFlags[a]&flagSkip != 0 {
				if tt == html.StartTagToken && a != atom.Embed {
					t.skip, t.skipN = a, 1
				}
				continue
			}
			t.start(z, a, hasAttr, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if t.skip != 0 {
				if a == t.skip {
					t.skipN--
					if t.skipN == 0 {
						t.skip = 0
					}
				}
				continue
			}
			t.end(a)
		}
	}
}

func (t *tokenizer) start(z *html.Tokenizer, a atom.Atom, hasAttr, selfClosing bool) {
	switch a {
	case atom.Br, atom.Wbr:
		if a == atom.Br {
			t.space = true
		}
		return
	case atom.Img:
		if len(t.out.blocks) == 0 && !t.hasText && t.out.image == "" && hasAttr {
			for {
				k, v, more := z.TagAttr()
				if string(k) == "src" {
					t.out.image = t.resolve(string(v))
					break
				}
				if !more {
					break
				}
			}
		}
		return
	case atom.Hr:
		t.flush()
		return
	}
	flags := atomFlags[a]
	if hasAttr && flags&flagWidget != 0 && isWidget(z) {
		t.flush()
		t.skip, t.skipN = a, 1
		return
	}
	if flags&flagBlock != 0 {
		t.flush()
		t.implicitClose(a)
	}
	if flags&flagVoid != 0 || selfClosing {
		return
	}
	o := openTag{a: a, block: flags&flagBlock != 0}
	switch a {
	case atom.A:
		o.href = "" // an <a> without usable href still closes like one
		if hasAttr {
			for {
				k, v, more := z.TagAttr()
				if string(k) == "href" {
					o.href = t.resolve(string(v))
					break
				}
				if !more {
					break
				}
			}
		}
	case atom.B, atom.Strong:
		o.bold = true
	case atom.I, atom.Em, atom.Cite:
		o.italic = true
	case 0:
		return // unknown element: its text counts, its tags do not
	}
	t.stack = append(t.stack, o)
}

// implicitClose applies the HTML rules that matter here: a <p> closes an
// open <p>, an <li> closes the open <li> of its list.
func (t *tokenizer) implicitClose(a atom.Atom) {
	var closes atom.Atom
	switch a {
	case atom.P, atom.Li, atom.Dt, atom.Dd, atom.Tr, atom.Td, atom.Th:
		closes = a
	default:
		if !isHeading(a) {
			return
		}
	}
	for i := len(t.stack) - 1; i >= 0; i-- {
		s := t.stack[i].a
		if s == closes || (closes == 0 && isHeading(s)) || (closes == atom.P && s == atom.P) {
			t.stack = t.stack[:i]
			return
		}
		if s == atom.Ul || s == atom.Ol || s == atom.Table || s == atom.Div || s == atom.Blockquote {
			return
		}
	}
}

func (t *tokenizer) end(a atom.Atom) {
	if a == 0 {
		return
	}
	// Find the element in the stack; a stray end tag changes nothing.
	i := len(t.stack) - 1
	for ; i >= 0; i-- {
		if t.stack[i].a == a {
			break
		}
	}
	if i < 0 {
		if atomFlags[a]&flagBlock != 0 {
			t.flush()
		}
		return
	}
	closesBlock := false
	for _, o := range t.stack[i:] {
		if o.block {
			closesBlock = true
		}
	}
	if closesBlock {
		t.flush()
	}
	t.stack = t.stack[:i]
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// resolve returns ref as an absolute http(s) URL, or "" when it is empty,
// invalid or has another scheme (javascript:, data:, mailto:...).
func (t *tokenizer) resolve(ref string) string {
	return resolveHTTP(t.base, ref)
}

func resolveHTTP(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.ContainsAny(ref, "\x00\t\r\n") {
		return ""
	}
	if simpleAbsHTTP(ref) {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && cleanURL(ref) {
		return ref // already absolute and printable: no need to re-encode
	}
	if !u.IsAbs() {
		if base == nil || strings.HasPrefix(ref, "#") {
			return ""
		}
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return u.String()
}

// simpleAbsHTTP reports whether ref is an absolute http(s) URL simple
// enough to keep as written without parsing it: a lowercase scheme, a host
// name of letters, digits, dots and hyphens (optionally a port), and only
// characters that need no escaping. Anything else goes through url.Parse.
func simpleAbsHTTP(ref string) bool {
	var rest string
	switch {
	case strings.HasPrefix(ref, "https://"):
		rest = ref[len("https://"):]
	case strings.HasPrefix(ref, "http://"):
		rest = ref[len("http://"):]
	default:
		return false
	}
	host := 0
	for host < len(rest) && rest[host] != '/' && rest[host] != '?' && rest[host] != '#' {
		c := rest[host]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
		host++
	}
	if host == 0 || rest[0] == '.' || rest[0] == ':' || rest[0] == '-' {
		return false
	}
	if i := strings.IndexByte(rest[:host], ':'); i >= 0 {
		// a port: digits only, and a name before it
		if i == 0 || i == host-1 {
			return false
		}
		for _, c := range []byte(rest[i+1 : host]) {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return cleanURL(rest[host:]) && !strings.Contains(rest[host:], "%")
}

// cleanURL reports whether s has only characters that need no escaping in
// a URL.
func cleanURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			return false
		}
	}
	return true
}

// format returns the formatting the stack gives to text now.
func (t *tokenizer) format() bot.Span {
	var f bot.Span
	for i := range t.stack {
		o := &t.stack[i]
		if o.a == atom.A {
			f.URL = o.href
		}
		f.Bold = f.Bold || o.bold
		f.Italic = f.Italic || o.italic
	}
	return f
}

// text adds a text token to the current block, collapsing whitespace and
// dropping invisible characters.
func (t *tokenizer) text(s []byte) {
	f := t.format()
	if f != t.cur {
		t.closeSpan()
		t.cur = f
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c > ' ' && c < 0x7f {
			// a run of printable ASCII, appended at once
			// A single space between printable characters is part of the
			// run: collapsing would write it just the same.
			j := i + 1
			for j < len(s) {
				if c := s[j]; c > ' ' && c < 0x7f {
					j++
				} else if c == ' ' && j+1 < len(s) && s[j+1] > ' ' && s[j+1] < 0x7f {
					j += 2
				} else {
					break
				}
			}
			if t.space {
				t.writeSpace()
			}
			t.buf = append(t.buf, s[i:j]...)
			t.hasText = true
			i = j
			continue
		}
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
				t.space = true
			case c < 0x20 || c == 0x7f:
				// control character: dropped
			default:
				if t.space {
					t.writeSpace()
				}
				t.buf = append(t.buf, c)
				t.hasText = true
			}
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if t.space {
				t.writeSpace()
			}
			t.buf = append(t.buf, "\uFFFD"...)
			t.hasText = true
		case unicode.IsSpace(r):
			t.space = true
		case r == '\u00AD' || r == '\u200B' || r == '\u2060' || r == '\uFEFF' || r == '\u034F':
			// soft hyphen, zero-width space, word joiner, BOM, CGJ: dropped
		case unicode.In(r, unicode.Cc):
			// C1 control: dropped
		default:
			if t.space {
				t.writeSpace()
			}
			t.buf = append(t.buf, s[i:i+size]...)
			if !unicode.Is(unicode.Cf, r) {
				t.hasText = true
			}
		}
		i += size
	}
}

// writeSpace writes the pending collapsed whitespace, if any, before the
// next character. A space at a span boundary goes to an unformatted span,
// so that link, bold and italic texts never start or end with a space.
func (t *tokenizer) writeSpace() {
	t.space = false
	if len(t.buf) == 0 {
		return // start of block
	}
	n := len(t.marks)
	if n == 0 || t.marks[n-1].end < len(t.buf) {
		t.buf = append(t.buf, ' ') // inside the current span
		return
	}
	// At a boundary: the current span is empty.
	t.buf = append(t.buf, ' ')
	switch prev := &t.marks[n-1]; {
	case plain(prev.f):
		prev.end++
	case plain(t.cur):
		// the space starts the current span
	default:
		t.marks = append(t.marks, mark{end: len(t.buf)})
	}
}

func plain(s bot.Span) bool { return s.URL == "" && !s.Bold && !s.Italic }

// closeSpan closes the span being built, merging it into the previous one
// when their formatting is the same.
func (t *tokenizer) closeSpan() {
	start := 0
	n := len(t.marks)
	if n > 0 {
		start = t.marks[n-1].end
	}
	if len(t.buf) == start {
		return
	}
	if n > 0 && t.marks[n-1].f == t.cur {
		t.marks[n-1].end = len(t.buf)
		return
	}
	t.marks = append(t.marks, mark{end: len(t.buf), f: t.cur})
}

// flush ends the current block.
func (t *tokenizer) flush() {
	t.closeSpan()
	t.space = false
	if !t.hasText {
		t.buf, t.marks = t.buf[:0], t.marks[:0]
		return
	}
	t.hasText = false
	text := string(t.buf)
	spans := make([]bot.Span, len(t.marks))
	start := 0
	for i, m := range t.marks {
		spans[i] = m.f
		spans[i].Text = text[start:m.end]
		start = m.end
	}
	b := block{spans: spans}
	for i := len(t.stack) - 1; i >= 0; i-- {
		o := t.stack[i]
		if !o.block {
			continue
		}
		if b.kind == 0 {
			b.kind = o.a
		}
		if isHeading(o.a) {
			b.heading = true
		}
		if o.a == atom.Li {
			b.bullet = true
		}
	}
	t.out.blocks = append(t.out.blocks, b)
	t.buf, t.marks = t.buf[:0], t.marks[:0]
}
