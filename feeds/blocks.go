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
	li      int32  // id of the outermost <li> around the text, 0 for none
	brEnd   bool   // ended by a <br>: the next block continues the same element
	brLine  bool   // one line of a <br>-separated list of links (see joinLines)
	note    bool   // inside a footnotes container
	keyed   bool   // key is computed
	key     string // alnumKey of the text
}

// text returns the block's plain text.
func (b *block) text() string { return bot.Paragraph{Spans: b.spans}.Text() }

// alnum returns the block's alnumKey, computed once.
func (b *block) alnum() string {
	if !b.keyed {
		b.key, b.keyed = alnumKey(b.text(), -1), true
	}
	return b.key
}

// tokenized is what one pass over an HTML body yields.
type tokenized struct {
	blocks  []block
	image   string   // src of the first usable <img>, absolute http(s)
	imageAt int      // blocks before it: it is the feature image when they are all dropped
	hidden  []string // text of hidden elements, when explaining
}

// openTag is an element on the tokenizer's stack of open elements.
type openTag struct {
	a      atom.Atom
	block  bool   // a block-level element (ends the current block)
	href   string // for <a>: absolute http(s) link, "" when none or dropped
	bold   bool
	italic bool
	id     int32 // for <li>: its number in the body
	at     int32 // for <sup>: length of the block's text when it opened
	note   bool  // a footnotes container
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
	liSeq   int32      // <li> elements seen

	explain    bool   // collect the text of hidden elements
	skipHidden bool   // the element skipped is hidden
	hiddenText []byte // its text so far
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
	return tokenizeExplain(body, base, false)
}

// tokenizeExplain is tokenize that, when explain is set, also returns
// the text of the hidden elements it dropped.
func tokenizeExplain(body string, base *url.URL, explain bool) tokenized {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	t := tokenizer{base: base, stack: sc.stack[:0], buf: sc.buf[:0], marks: sc.marks[:0], explain: explain}
	defer func() { sc.stack, sc.buf, sc.marks = t.stack[:0], t.buf[:0], t.marks[:0] }()
	t.out.blocks = make([]block, 0, 16)
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			t.flush(false)
			t.endSkip()
			joinLines(&t.out)
			return t.out
		case html.TextToken:
			if t.skip == 0 {
				t.text(z.Text())
			} else if t.skipHidden && t.explain && len(t.hiddenText) < 120 {
				t.hiddenText = append(t.hiddenText, z.Text()...)
				t.hiddenText = append(t.hiddenText, ' ')
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
						t.endSkip()
					}
				}
				continue
			}
			t.end(a)
		}
	}
}

// endSkip ends the skipping of an element, noting a hidden one's text.
func (t *tokenizer) endSkip() {
	if t.skipHidden && t.explain {
		if txt := collapse(string(t.hiddenText)); txt != "" {
			t.out.hidden = append(t.out.hidden, txt)
		}
	}
	t.skip, t.skipN, t.skipHidden, t.hiddenText = 0, 0, false, t.hiddenText[:0]
}

func (t *tokenizer) start(z *html.Tokenizer, a atom.Atom, hasAttr, selfClosing bool) {
	flags := atomFlags[a]
	at := tagAttrs{w: -1, h: -1}
	if hasAttr {
		at = t.readAttrs(z, a, flags)
	}
	switch a {
	case atom.Br:
		t.flush(true)
		return
	case atom.Wbr:
		return
	case atom.Img:
		if t.out.image == "" && len(t.out.blocks) < 4 && !at.hide && usableImage(at.src, at.w, at.h, at.avatar) {
			t.out.image, t.out.imageAt = at.src, len(t.out.blocks)
			if t.hasText {
				t.out.imageAt++
			}
		}
		return
	case atom.Hr:
		t.flush(false)
		return
	}
	if (at.hide || at.widget || at.footnote) && flags&flagVoid == 0 && !selfClosing && a != 0 {
		if flags&flagBlock != 0 {
			t.flush(false)
		}
		t.skip, t.skipN, t.skipHidden = a, 1, at.hide
		return
	}
	if flags&flagBlock != 0 {
		t.flush(false)
		t.implicitClose(a)
	}
	if flags&flagVoid != 0 || selfClosing {
		return
	}
	o := openTag{a: a, block: flags&flagBlock != 0}
	switch a {
	case atom.A:
		o.href = at.href // an <a> without usable href still closes like one
	case atom.B, atom.Strong:
		o.bold = true
	case atom.I, atom.Em, atom.Cite:
		o.italic = true
	case atom.Li:
		t.liSeq++
		o.id = t.liSeq
	case atom.Sup:
		t.closeSpan()
		o.at = int32(len(t.buf))
	case atom.Div, atom.Section, atom.Ol, atom.Aside, atom.Footer:
		o.note = at.notes
	case 0:
		return // unknown element: its text counts, its tags do not
	}
	t.stack = append(t.stack, o)
}

// tagAttrs is what the tokenizer reads from a start tag's attributes.
type tagAttrs struct {
	href, src string // resolved <a href>, <img src>
	w, h      int    // <img> width and height; -1 when unknown
	hide      bool   // hidden by its style, class or the hidden attribute
	widget    bool   // a share, subscribe or related-posts widget
	footnote  bool   // a footnote anchor or number
	notes     bool   // a footnotes container
	avatar    bool   // an author's picture
}

// readAttrs reads the attributes that matter, in one pass.
func (t *tokenizer) readAttrs(z *html.Tokenizer, a atom.Atom, flags uint8) tagAttrs {
	at := tagAttrs{w: -1, h: -1}
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "href":
			if a == atom.A {
				at.href = t.resolve(string(v))
			}
		case "src":
			if a == atom.Img && t.out.image == "" && len(t.out.blocks) < 4 {
				at.src = t.resolve(string(v))
			}
		case "width":
			at.w = atoiPrefix(v)
		case "height":
			at.h = atoiPrefix(v)
		case "hidden":
			at.hide = true
		case "style":
			at.hide = at.hide || styleHides(v)
		case "class":
			if flags&flagWidget != 0 {
				for _, c := range widgetClasses {
					if bytes.Contains(v, []byte(c)) {
						at.widget = true
					}
				}
			}
			for _, c := range hiddenClasses {
				if bytes.Contains(v, []byte(c)) {
					at.hide = true
				}
			}
			switch a {
			case atom.A, atom.Sup, atom.Div, atom.Section, atom.Ol, atom.Aside, atom.Footer:
				at.footnote = at.footnote || bytes.Contains(v, []byte("footnote-anchor")) || bytes.Contains(v, []byte("footnote-number")) ||
					bytes.Contains(v, []byte("footnote-backref")) || bytes.Contains(v, []byte("footnote-ref"))
				at.notes = !at.footnote && bytes.Contains(v, []byte("footnote"))
			case atom.Img:
				at.avatar = at.avatar || containsFoldBytes(v, "avatar")
			}
		case "alt":
			if a == atom.Img {
				at.avatar = at.avatar || containsFoldBytes(v, "avatar")
			}
		}
		if !more {
			return at
		}
	}
}

// containsFoldBytes reports whether v contains the lowercase ASCII word
// sub, ignoring ASCII case, without allocating.
func containsFoldBytes(v []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(v); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := v[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// hiddenClasses mark elements a reader never sees: email preheaders
// ("preview text") and screen-reader-only labels.
var hiddenClasses = []string{"preheader", "preview-text", "previewtext", "sr-only", "screen-reader-text", "visually-hidden", "visuallyhidden", "mcnPreviewText"}

// styleHides reports whether an inline style hides its element:
// display:none, visibility:hidden, mso-hide:all, max-height:0 or opacity:0.
func styleHides(v []byte) bool {
	if len(v) < 9 {
		return false
	}
	s := make([]byte, 0, len(v))
	for _, c := range v {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c >= 'A' && c <= 'Z':
			s = append(s, c+'a'-'A')
		default:
			s = append(s, c)
		}
	}
	for _, p := range [...]string{"display:none", "visibility:hidden", "mso-hide:all"} {
		if bytes.Contains(s, []byte(p)) {
			return true
		}
	}
	for _, p := range [...]string{"max-height:0", "opacity:0"} {
		for i := bytes.Index(s, []byte(p)); i >= 0; {
			j := i + len(p)
			if j == len(s) || s[j] == ';' || s[j] == 'p' || s[j] == '!' {
				return true
			}
			k := bytes.Index(s[j:], []byte(p))
			if k < 0 {
				break
			}
			i = j + k
		}
	}
	return false
}

// atoiPrefix reads the leading digits of an attribute such as width="1"
// or width="600px"; -1 when there are none (width="100%" counts as
// unknown).
func atoiPrefix(v []byte) int {
	n, digits := 0, 0
	v = bytes.TrimSpace(v)
	for _, c := range v {
		if c < '0' || c > '9' || n > 1e6 {
			break
		}
		n = n*10 + int(c-'0')
		digits++
	}
	if digits == 0 || (digits < len(v) && v[digits] == '%') {
		return -1
	}
	return n
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
			t.flush(false)
		}
		return
	}
	closesBlock := false
	for _, o := range t.stack[i:] {
		if o.block {
			closesBlock = true
		}
	}
	if a == atom.Sup && !closesBlock {
		t.endSup(t.stack[i].at)
	}
	if closesBlock {
		t.flush(false)
	}
	t.stack = t.stack[:i]
}

// endSup drops a superscript that is only a footnote marker ("1", "[2]",
// "*"): the text written since it opened at offset at.
func (t *tokenizer) endSup(at int32) {
	t.closeSpan()
	if int(at) > len(t.buf) || int(at) == len(t.buf) {
		return
	}
	for _, c := range t.buf[at:] {
		if !(c >= '0' && c <= '9' || c == '[' || c == ']' || c == '(' || c == ')' || c == '*' || c == ',' || c == ' ') {
			return
		}
	}
	n := int(at)
	t.space = false
	if n > 0 && t.buf[n-1] == ' ' {
		n--
		t.space = true
	}
	t.truncate(n)
}

// truncate cuts the block being built to its first n bytes.
func (t *tokenizer) truncate(n int) {
	t.buf = t.buf[:n]
	k, start := 0, 0
	for _, m := range t.marks {
		if start >= n {
			break
		}
		start = m.end
		if m.end > n {
			m.end = n
		}
		t.marks[k] = m
		k++
	}
	t.marks = t.marks[:k]
	if n == 0 {
		t.hasText = false
	}
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// joinLines puts back together the blocks a <br> separated: the lines of
// one paragraph become one block again, unless two or more of them (all
// but at most one) start with a link, as in an email's list of links
// separated by <br>; those stay one block per line, marked brLine.
func joinLines(out *tokenized) {
	bs := out.blocks
	found := false
	for i := range bs {
		if bs[i].brEnd {
			found = true
			break
		}
	}
	if !found {
		return
	}
	res := bs[:0] // compacted in place: res never passes the run being read
	mapped := false
	for i := 0; i < len(bs); {
		if !mapped && i >= out.imageAt {
			out.imageAt, mapped = len(res), true
		}
		j := i
		for j < len(bs)-1 && bs[j].brEnd {
			j++
		}
		run := bs[i : j+1]
		led := 0
		for k := range run {
			if linkLed(&run[k]) {
				led++
			}
		}
		switch {
		case len(run) == 1:
			b := run[0]
			b.brEnd = false
			res = append(res, b)
		case led >= 2 && led >= len(run)-1:
			for k := range run {
				b := run[k]
				b.brEnd, b.brLine = false, true
				res = append(res, b)
			}
		default:
			res = append(res, mergeRun(run))
		}
		i = j + 1
	}
	if !mapped {
		out.imageAt = len(res)
	}
	out.blocks = res
}

// mergeRun joins blocks into one, with one space between them, placed as
// the tokenizer places collapsed whitespace (see writeSpace).
func mergeRun(run []block) block {
	n := 0
	for k := range run {
		n += len(run[k].spans) + 1
	}
	spans := make([]bot.Span, 0, n)
	for k := range run {
		bs := run[k].spans
		if k > 0 && len(spans) > 0 && len(bs) > 0 {
			last, first := &spans[len(spans)-1], bs[0]
			switch {
			case last.URL == first.URL && last.Bold == first.Bold && last.Italic == first.Italic:
				last.Text += " " + first.Text
				bs = bs[1:]
			case plain(*last):
				last.Text += " "
			case plain(first):
				first.Text = " " + first.Text
				spans = append(spans, first)
				bs = bs[1:]
			default:
				spans = append(spans, bot.Span{Text: " "})
			}
		}
		spans = append(spans, bs...)
	}
	b := run[0]
	b.spans, b.brEnd, b.brLine = spans, false, false
	return b
}
