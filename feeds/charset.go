package feeds

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// toUTF8 returns a feed document as UTF-8 when its encoding is not for
// gofeed to find: the HTTP charset when the document declares none (an
// XML declaration without encoding=, or JSON), else windows-1252 when the
// bytes are not valid UTF-8 (what browsers and miniflux do). A document
// that declares its encoding is left to the XML decoder, unless it claims
// UTF-8 and is not. warn says what was done, "" when nothing.
func toUTF8(data []byte, contentType string) ([]byte, string) {
	declared := declaredEncoding(data)
	if declared != "" && !isUTF8Name(declared) {
		return data, "" // gofeed's decoder converts it
	}
	if declared == "" && contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			if cs := strings.ToLower(strings.TrimSpace(params["charset"])); cs != "" && !isUTF8Name(cs) {
				if enc, err := htmlindex.Get(cs); err == nil {
					if out, err := decode(enc, data); err == nil {
						return out, ""
					}
				}
			}
		}
	}
	if !looksJSON(data) || utf8.Valid(data) {
		// XML: the decoder refuses invalid UTF-8, and parseDoc then
		// calls fallback1252; checking first would cost every feed a pass.
		return data, ""
	}
	return fallback1252(data, declared)
}

// fallback1252 reads a document that is not valid UTF-8 as windows-1252.
func fallback1252(data []byte, declared string) ([]byte, string) {
	out, err := decode(charmap.Windows1252, data)
	if err != nil {
		return data, ""
	}
	what := "declares no encoding"
	if declared != "" {
		what = "declares " + declared
	}
	return out, "the document " + what + " but is not valid UTF-8: read as windows-1252"
}

func decode(enc encoding.Encoding, data []byte) ([]byte, error) {
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, err
	}
	return dropDeclaredEncoding(out), nil
}

// dropDeclaredEncoding removes encoding="..." from a converted document's
// XML declaration, which would otherwise make the XML decoder convert it
// twice.
func dropDeclaredEncoding(data []byte) []byte {
	start := bytes.Index(data[:min(len(data), 512)], []byte("<?xml"))
	if start < 0 {
		return data
	}
	end := bytes.Index(data[start:min(len(data), start+512)], []byte("?>"))
	if end < 0 {
		return data
	}
	decl := data[start : start+end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return data
	}
	j := i + len("encoding")
	for j < len(decl) && (decl[j] == ' ' || decl[j] == '=') {
		j++
	}
	if j < len(decl) && (decl[j] == '"' || decl[j] == '\'') {
		q := decl[j]
		if k := bytes.IndexByte(decl[j+1:], q); k >= 0 {
			j += k + 2
		}
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:start+i]...)
	out = append(out, data[start+j:]...)
	return out
}

// declaredEncoding returns the encoding an XML declaration names, "" when
// there is none.
func declaredEncoding(data []byte) string {
	b := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(b[:min(len(b), 512)], []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := b[:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " =")
	if len(rest) < 2 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	k := bytes.IndexByte(rest[1:], rest[0])
	if k < 0 {
		return ""
	}
	return strings.ToLower(string(rest[1 : 1+k]))
}

func isUTF8Name(s string) bool {
	s = strings.ToLower(s)
	return s == "utf-8" || s == "utf8" || s == "us-ascii" || s == "ascii"
}

// looksJSON reports whether a document starts like JSON.
func looksJSON(data []byte) bool {
	b := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
