package feeds

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/atom"

	"digestbot/bot"
)

// mark is a closed span of the block being built: its formatting and the
// offset in the block's text where it ends (it starts where the previous
// one ends). The block's text becomes one string, sliced into spans.
type mark struct {
	end int
	f   bot.Span // Text unused
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
		case r == '\u00AD' || r == '\u200B' || r == '\u200C' || r == '\u2060' || r == '\uFEFF' || r == '\u034F' || r == '\u200E' || r == '\u200F':
			// soft hyphen, zero-width space and non-joiner, word joiner,
			// BOM, CGJ, LRM/RLM: dropped, so that search finds the words
		case r == '\u200D' && !t.afterPictograph():
			// zero-width joiner: dropped, except inside emoji sequences
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

// afterPictograph reports whether the last character written is an emoji
// or other symbol, which a zero-width joiner may combine with the next.
func (t *tokenizer) afterPictograph() bool {
	r, _ := utf8.DecodeLastRune(t.buf)
	return r >= 0x2600 && (unicode.Is(unicode.So, r) || r == '\uFE0F')
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

// flush ends the current block; br says a <br> ended it, so that the
// next block continues the same element.
func (t *tokenizer) flush(br bool) {
	t.closeSpan()
	if !t.hasText || len(t.buf) == 0 {
		t.buf, t.marks = t.buf[:0], t.marks[:0]
		t.hasText = false
		// A block element, or a second <br> in a row (an empty line),
		// ends the paragraph the last <br> continued.
		t.space = br
		if n := len(t.out.blocks); n > 0 {
			t.out.blocks[n-1].brEnd = false
		}
		return
	}
	t.space = false
	t.hasText = false
	text := string(t.buf)
	n := len(t.marks)
	if cap(t.arena)-len(t.arena) < n {
		t.arena = make([]bot.Span, 0, max(64, n))
	}
	spans := t.arena[len(t.arena) : len(t.arena)+n : len(t.arena)+n]
	t.arena = t.arena[:len(t.arena)+n]
	start := 0
	for i, m := range t.marks {
		spans[i] = m.f
		spans[i].Text = text[start:m.end]
		start = m.end
	}
	b := block{spans: spans, brEnd: br}
	for i := len(t.stack) - 1; i >= 0; i-- {
		o := t.stack[i]
		if !o.block {
			continue
		}
		if o.a == atom.Li {
			b.li = o.id
		}
		if o.note {
			b.note = true
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
