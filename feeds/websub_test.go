package feeds

import (
	"net/url"
	"testing"
)

func TestHubDiscovery(t *testing.T) {
	base, _ := url.Parse("https://river.example.net/feed/")
	h := hubFromHeader([]string{`<https://hub.example.com/>; rel="hub", <https://river.example.net/feed/?x=1,2>; rel="self"`}, base)
	if h.Hub != "https://hub.example.com/" || h.Topic != "https://river.example.net/feed/?x=1,2" {
		t.Errorf("header: %+v", h)
	}
	doc := `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<link rel="self" href="/feed/atom"/><link rel="hub" href="https://pubsubhubbub.example.com/"/>
<entry><link rel="hub" href="https://wrong.example.com/"/></entry></feed>`
	h = hubFromDocument([]byte(doc), base)
	if h.Hub != "https://pubsubhubbub.example.com/" || h.Topic != "https://river.example.net/feed/atom" {
		t.Errorf("document: %+v", h)
	}
	if h := hubFromDocument([]byte(`<rss><channel><link>https://x.example/</link><item/></channel></rss>`), base); h.Hub != "" {
		t.Errorf("no hub: %+v", h)
	}
}

func FuzzHubDiscovery(f *testing.F) {
	f.Add(`<https://hub.example.com/>; rel="hub"`, `<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><atom:link rel="hub" href="https://h.example/"/></channel></rss>`)
	f.Add(`<>; rel=hub, <x`, `<feed><link rel="self" href="javascript:alert(1)"/></feed>`)
	base, _ := url.Parse("https://river.example.net/feed/")
	f.Fuzz(func(t *testing.T, header, doc string) {
		for _, h := range []Hub{hubFromHeader([]string{header}, base), hubFromDocument([]byte(doc), base)} {
			for _, u := range []string{h.Hub, h.Topic} {
				if u != "" && resolveHTTP(nil, u) == "" {
					t.Errorf("discovered %q, not an absolute http(s) URL", u)
				}
			}
		}
	})
}
