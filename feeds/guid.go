package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mmcdole/gofeed"

	"digestbot/bot"
)

// fixGUIDs makes issues' GUIDs unique within their feed. Items that share
// a GUID (a feed that gives all its items the same one) are told apart by
// their link when the links differ, else by a hash of GUID, link and date
// (title instead of date when they have none); each such group is named
// in a warning. Items with the same GUID, link and date are one item
// listed twice: they keep the GUID and the poller keeps the first. Items
// the feed gave no GUID were already identified by link, else by title
// and date (see issue); one warning counts them.
func fixGUIDs(items []*gofeed.Item, issues []bot.Issue) []string {
	var warns []string
	missing := 0
	for _, it := range items {
		if it != nil && cleanGUID(it.GUID) == "" {
			missing++
		}
	}
	if missing > 0 {
		warns = append(warns, fmt.Sprintf("%d of %d items have no GUID: identified by their link, else by title and date", missing, len(issues)))
	}
	groups := map[string][]int{}
	for i := range issues {
		groups[issues[i].GUID] = append(groups[issues[i].GUID], i)
	}
	if len(groups) == len(issues) {
		return warns
	}
	for i := range issues {
		g := groups[issues[i].GUID]
		if len(g) < 2 || g[0] != i {
			continue // unique, or a group already handled
		}
		guid := issues[i].GUID
		// Items with the same link and date (and title, when there is no
		// date) are one item listed twice: they keep the GUID, and the
		// poller keeps the first. The others get a GUID of their own.
		ids := make([]string, len(g))
		idCount := map[string]int{}
		links := map[string]int{}
		for n, k := range g {
			is := &issues[k]
			ids[n] = is.Link + "\x00"
			if is.Published.IsZero() {
				ids[n] += is.Title
			} else {
				ids[n] += is.Published.Format(time.RFC3339)
			}
			idCount[ids[n]]++
			links[is.Link]++
		}
		changed := 0
		for n, k := range g {
			is := &issues[k]
			switch {
			case idCount[ids[n]] > 1:
				continue
			case is.Link != "" && links[is.Link] == 1 && is.Link != guid:
				is.GUID = cleanGUID(is.Link)
			default:
				sum := sha256.Sum256([]byte(guid + "\x00" + ids[n]))
				is.GUID = "sha256:" + hex.EncodeToString(sum[:16])
			}
			changed++
		}
		if changed > 0 {
			warns = append(warns, fmt.Sprintf("%d items share the GUID %q: %d told apart by link, title and date", len(g), guid, changed))
		}
	}
	return warns
}
