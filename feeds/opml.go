package feeds

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// OPMLFeed is one feed of an OPML subscription list.
type OPMLFeed struct {
	URL   string // xmlUrl
	Title string // title, else text
	Site  string // htmlUrl, "" when none
}

// maxOPML bounds what ParseOPML reads.
const maxOPML = 10 << 20

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Created string        `xml:"head>dateCreated,omitempty"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Children []opmlOutline `xml:"outline"`
}

// ParseOPML reads an OPML 1.0 or 2.0 subscription list (as miniflux and
// feed readers export it) and returns its feeds in document order,
// folders flattened, each http(s) URL once. Outlines without an xmlUrl
// (folders, notes) are skipped; a feed URL that is not http or https is
// an error naming it.
func ParseOPML(r io.Reader) ([]OPMLFeed, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxOPML+1))
	if err != nil {
		return nil, fmt.Errorf("opml: read: %w", err)
	}
	if len(data) > maxOPML {
		return nil, fmt.Errorf("opml: the file is over %d bytes", maxOPML)
	}
	var doc opmlDoc
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	dec.Strict = false
	dec.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("charset %q: save the file as UTF-8", charset)
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("opml: not an OPML file: %w", err)
	}
	if doc.XMLName.Local != "opml" {
		return nil, errors.New("opml: the root element is not <opml>")
	}
	var (
		out  []OPMLFeed
		seen = map[string]bool{}
		errs []error
		walk func(os []opmlOutline, depth int)
	)
	walk = func(os []opmlOutline, depth int) {
		if depth > 32 {
			errs = append(errs, errors.New("opml: folders nested deeper than 32 levels"))
			return
		}
		for _, o := range os {
			if u := strings.TrimSpace(o.XMLURL); u != "" {
				pu, err := url.Parse(u)
				switch {
				case err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "":
					errs = append(errs, fmt.Errorf("opml: outline %q: xmlUrl %q is not an http or https URL", cutText(o.Text, 60), cutText(RedactURL(u), 80)))
				case !seen[u]:
					seen[u] = true
					title := strings.TrimSpace(o.Title)
					if title == "" {
						title = strings.TrimSpace(o.Text)
					}
					out = append(out, OPMLFeed{URL: u, Title: title, Site: strings.TrimSpace(o.HTMLURL)})
				}
			}
			walk(o.Children, depth+1)
		}
	}
	walk(doc.Body, 0)
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

func cutText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// WriteOPML writes feeds as an OPML 2.0 subscription list.
func WriteOPML(w io.Writer, title string, feeds []OPMLFeed, now time.Time) error {
	doc := opmlDoc{Version: "2.0", Title: title, Created: now.UTC().Format(time.RFC1123Z)}
	for _, f := range feeds {
		text := f.Title
		if text == "" {
			text = RedactURL(f.URL)
		}
		doc.Body = append(doc.Body, opmlOutline{Text: text, Title: text, Type: "rss", XMLURL: f.URL, HTMLURL: f.Site})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
