package feeds

import (
	"bytes"
	"net/url"
	"strings"
	"sync"

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
	arena   []bot.Span // spans are carved from it, to allocate once per body
	cur     bot.Span   // formatting of the span being built (Text unused)
	space   bool       // whitespace seen since the last character written
	hasText bool       // the block has a visible character
	skip    atom.Atom  // element being skipped with its content, 0 for none
	skipN   int        // its nesting depth
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

// scratch holds a tokenizer's working buffers between bodies.
type scratch struct {
	stack []openTag
	buf   []byte
	marks []mark
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{stack: make([]openTag, 0, 16), buf: make([]byte, 0, 1024), marks: make([]mark, 0, 8)}
}}

// tokenize splits body into blocks, resolving links against base (nil:
// only absolute links are kept).
func tokenize(body string, base *url.URL) tokenized {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	t := tokenizer{base: base, stack: sc.stack[:0], buf: sc.buf[:0], marks: sc.marks[:0]}
	defer func() { sc.stack, sc.buf, sc.marks = t.stack[:0], t.buf[:0], t.marks[:0] }()
	t.out.blocks = make([]block, 0, 16)
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
