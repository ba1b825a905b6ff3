package feeds

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"digestbot/bot"
)

// Hub is what a feed says about its WebSub hub: the hub's address and the
// topic (the feed's own rel="self" address, else the feed URL).
type Hub struct {
	Hub   string
	Topic string
}

// DiscoverHub fetches a feed and returns its WebSub hub, from a
// `Link: <…>; rel="hub"` header or an `<atom:link rel="hub">` (or Atom
// `<link rel="hub">`) in the document. A feed without one returns a zero
// Hub and no error.
func (f *Fetcher) DiscoverHub(ctx context.Context, feedURL string) (Hub, error) {
	name := RedactURL(feedURL)
	rctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return Hub{}, fmt.Errorf("feeds: %s: bad request: %w", name, unwrapURLError(err))
	}
	client, g := f.clientFor(feedURL)
	if g != nil {
		if err := g.checkURL(req.URL); err != nil {
			return Hub{}, fmt.Errorf("feeds: %s: %w", name, err)
		}
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	resp, err := client.Do(req)
	if err != nil {
		return Hub{}, f.requestError(ctx, rctx, name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Hub{}, &StatusError{URL: name, Code: resp.StatusCode}
	}
	body, err := readCapped(resp.Body, f.opts.MaxBytes)
	if err != nil {
		return Hub{}, fmt.Errorf("feeds: %s: %w", name, err)
	}
	base, _ := url.Parse(feedURL)
	h := hubFromHeader(resp.Header.Values("Link"), base)
	if h.Hub == "" || h.Topic == "" {
		d := hubFromDocument(body, base)
		if h.Hub == "" {
			h.Hub = d.Hub
		}
		if h.Topic == "" {
			h.Topic = d.Topic
		}
	}
	if h.Hub == "" {
		return Hub{}, nil
	}
	if h.Topic == "" {
		h.Topic = feedURL
	}
	return h, nil
}

// hubFromHeader reads rel="hub" and rel="self" from Link headers.
func hubFromHeader(values []string, base *url.URL) Hub {
	var h Hub
	for _, v := range values {
		for _, link := range splitLinks(v) {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			u := resolveHTTP(base, target[1:len(target)-1])
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if !strings.EqualFold(k, "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(val, `"`)) {
					switch strings.ToLower(rel) {
					case "hub":
						if h.Hub == "" {
							h.Hub = u
						}
					case "self":
						if h.Topic == "" {
							h.Topic = u
						}
					}
				}
			}
		}
	}
	return h
}

// splitLinks splits a Link header at the commas between links (not those
// inside <…>).
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth <= 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// hubFromDocument scans a feed's channel (up to its first item or entry)
// for <link rel="hub" href="…"> and rel="self", in any namespace.
func hubFromDocument(body []byte, base *url.URL) Hub {
	var h Hub
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		tok, err := d.Token()
		if err != nil {
			return h
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "item", "entry":
			return h
		case "link":
			var rel, href string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "rel":
					rel = strings.ToLower(strings.TrimSpace(a.Value))
				case "href":
					href = a.Value
				}
			}
			switch {
			case rel == "hub" && h.Hub == "":
				h.Hub = resolveHTTP(base, href)
			case rel == "self" && h.Topic == "":
				h.Topic = resolveHTTP(base, href)
			}
		}
	}
}

// ErrHubRefused is returned when a hub refuses a (un)subscription request.
var ErrHubRefused = errors.New("the WebSub hub refused the request")

// HubRequest sends a subscription request (form: hub.mode, hub.topic,
// hub.callback, hub.secret, hub.lease_seconds) to a hub. The hub then
// verifies the intent by calling the callback. The secret never appears
// in errors.
func (f *Fetcher) HubRequest(ctx context.Context, hub string, form url.Values) error {
	name := RedactURL(hub)
	rctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("feeds: hub %s: bad request: %w", name, unwrapURLError(err))
	}
	if f.strict != nil {
		if err := f.strict.checkURL(req.URL); err != nil {
			return fmt.Errorf("feeds: hub %s: %w", name, err)
		}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", f.opts.UserAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return f.requestError(ctx, rctx, "hub "+name, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("feeds: hub %s: %w: %s %s", name, ErrHubRefused, resp.Status, bot.RedactText(strings.TrimSpace(string(msg))))
	}
	return nil
}

// ParseFeed parses and splits a feed document received by other means
// than Fetch (a WebSub content distribution), like Fetch would.
func (f *Fetcher) ParseFeed(body []byte, feedURL, contentType string) (*bot.FetchResult, error) {
	if err := checkFeed(body, contentType, feedURL); err != nil {
		return nil, err
	}
	return f.result(body, feedURL, contentType)
}
