package feeds

import (
	"net/url"
	"strings"

	"digestbot/bot"
)

// dropSiteRef removes the ?ref=<site> tag Ghost adds to every outbound
// link in its feed (but not in its webhooks and Content API), where it
// names the newsletter's own site, so that an issue read from the feed is
// the same as one built from a webhook. Other ref values (a link that was
// tagged by someone else) are kept. site is the newsletter's address (the
// feed's <link>); nil does nothing.
func dropSiteRef(is *bot.Issue, site *url.URL) {
	if site == nil {
		return
	}
	host := strings.ToLower(site.Hostname())
	if host == "" {
		return
	}
	fix := func(st *bot.Story) {
		for i := range st.Paragraphs {
			spans := st.Paragraphs[i].Spans
			for j := range spans {
				spans[j].URL = stripRef(spans[j].URL, host)
			}
		}
		st.URL = stripRef(st.URL, host)
		if len(st.Links) == 0 {
			return
		}
		links := st.Links[:0:0]
		seen := make(map[string]bool, len(st.Links))
		for _, l := range st.Links {
			l = stripRef(l, host)
			if !seen[l] {
				seen[l] = true
				links = append(links, l)
			}
		}
		st.Links = links
	}
	fix(&is.Lead)
	for i := range is.Roundup {
		fix(&is.Roundup[i])
	}
}

// stripRef returns link without its ref query parameter when that names
// host (with or without "www."); anything else is returned unchanged.
func stripRef(link, host string) string {
	q := strings.IndexByte(link, '?')
	if q < 0 || !strings.Contains(link[q:], "ref=") {
		return link
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	vals, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return link
	}
	refs := vals["ref"]
	if len(refs) != 1 || !sameSite(refs[0], host) {
		return link
	}
	// Remove the parameter from the raw query, keeping the others exactly
	// as written (re-encoding could reorder or re-escape them).
	parts := strings.Split(u.RawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		if k, _, _ := strings.Cut(p, "="); k == "ref" {
			continue
		}
		kept = append(kept, p)
	}
	u.RawQuery = strings.Join(kept, "&")
	u.ForceQuery = false
	return u.String()
}

func sameSite(ref, host string) bool {
	ref = strings.ToLower(strings.TrimSpace(ref))
	return ref == host || strings.TrimPrefix(ref, "www.") == strings.TrimPrefix(host, "www.")
}
