package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mmcdole/gofeed"

	"digestbot/bot"
)

// fixGUIDs makes every issue's GUID unique within its feed. Items that
// share a GUID (a feed that gives all its items the same one) are told
// apart by their link when the links differ, else by a hash of GUID,
// link, title and date; each such group is named in a warning. Items the
// feed gave no GUID were already identified by link, else by title and
// date (see issue); one warning counts them. Items that still collide are
// identical in all of those: the poller keeps the first.
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
		links := map[string]int{}
		for _, k := range g {
			links[issues[k].Link]++
		}
		for _, k := range g {
			is := &issues[k]
			if is.Link != "" && links[is.Link] == 1 && is.Link != guid {
				is.GUID = cleanGUID(is.Link)
				continue
			}
			date := ""
			if !is.Published.IsZero() {
				date = is.Published.Format(time.RFC3339)
			}
			sum := sha256.Sum256([]byte(guid + "\x00" + is.Link + "\x00" + is.Title + "\x00" + date))
			is.GUID = "sha256:" + hex.EncodeToString(sum[:16])
		}
		warns = append(warns, fmt.Sprintf("%d items share the GUID %q: told apart by link, title and date", len(g), guid))
	}
	return warns
}
