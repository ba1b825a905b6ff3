package feeds

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// sniffStart returns body from its first markup or JSON that matters,
// skipping a BOM, whitespace, an XML declaration and comments.
func sniffStart(body []byte) []byte {
	b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return nil
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return nil
			}
			b = b[i+3:]
		default:
			if len(b) > 64 {
				b = b[:64]
			}
			return b
		}
	}
}

// startsHTML reports whether a sniffed start is an HTML document.
func startsHTML(b []byte) bool {
	return hasPrefixFold(b, "<!doctype html") || hasPrefixFold(b, "<html")
}

// startsFeed reports whether a sniffed start looks like a feed document.
func startsFeed(b []byte) bool {
	return hasPrefixFold(b, "<rss") || hasPrefixFold(b, "<feed") || hasPrefixFold(b, "<rdf") ||
		hasPrefixFold(b, "<channel") || bytes.HasPrefix(b, []byte("{"))
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// discoverFeed returns the first <link rel="alternate"> feed URL in an HTML
// page's head, resolved against pageURL, or "".
func discoverFeed(page []byte, pageURL string) string {
	base, _ := url.Parse(pageURL)
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Body:
				return ""
			case atom.Link:
				var rel, typ, href string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "rel":
						rel = strings.ToLower(string(v))
					case "type":
						typ = strings.ToLower(string(v))
					case "href":
						href = string(v)
					}
				}
				if strings.Contains(rel, "alternate") && (strings.Contains(typ, "rss") || strings.Contains(typ, "atom") || strings.Contains(typ, "feed+json")) {
					if u := resolveHTTP(base, href); u != "" {
						return u
					}
				}
			}
		}
	}
}
