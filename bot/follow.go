package bot

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Follow is one user's standing query: "/digest follow <words>". Every new
// story (a lead or one roundup item) that matches it is sent to the user
// in a direct message.
type Follow struct {
	Platform string // "slack", "discord"
	User     string // the platform's user id
	Query    string // Query.String() of the parsed words: the normalised form
	Created  time.Time
}

// MaxFollowsPerUser bounds what one user can follow.
const MaxFollowsPerUser = 50

// PeopleStore is what the per-user commands keep: follows and each user's
// last catch-up. adapters/sqlite and adapters/postgres implement it beside
// Store; bot/storetest checks both.
type PeopleStore interface {
	// AddFollow saves f (Created set by the caller); added is false when
	// the user already follows that query.
	AddFollow(ctx context.Context, f Follow) (added bool, err error)
	// RemoveFollow deletes one follow; removed is false when there was none.
	RemoveFollow(ctx context.Context, platform, user, query string) (removed bool, err error)
	// Follows returns one user's follows, oldest first.
	Follows(ctx context.Context, platform, user string) ([]Follow, error)
	// AllFollows returns every follow, for matching new stories.
	AllFollows(ctx context.Context) ([]Follow, error)

	// LastCatchup returns when the user last ran /digest catchup, or the
	// zero time when never.
	LastCatchup(ctx context.Context, platform, user string) (time.Time, error)
	// SetLastCatchup records the time of the user's catch-up.
	SetLastCatchup(ctx context.Context, platform, user string, t time.Time) error
	// IssuesSince returns up to limit issues published after since (an
	// undated issue counts from when it was archived), newest first, with
	// their stories.
	IssuesSince(ctx context.Context, since time.Time, limit int) ([]*Issue, error)
}

// DMChannelPrefix starts the outbox channel id of a user's direct
// messages: "dm:slack:U0123", "dm:discord:80351110224678912".
const DMChannelPrefix = "dm:"

// DMChannel returns the Channel that reaches a user by direct message.
// Its Target is the user id: the publisher opens the conversation.
func DMChannel(platform, user string) Channel {
	return Channel{
		ID:       DMChannelPrefix + platform + ":" + user,
		Platform: platform,
		Target:   user,
		Layout:   LayoutSeparate,
		OnRemove: OnRemoveKeep, // a direct message stays once read
		DM:       true,
	}
}

// ParseDMChannel turns a DMChannel id back into its Channel.
func ParseDMChannel(id string) (Channel, bool) {
	rest, ok := strings.CutPrefix(id, DMChannelPrefix)
	if !ok {
		return Channel{}, false
	}
	platform, user, ok := strings.Cut(rest, ":")
	if !ok || platform == "" || user == "" {
		return Channel{}, false
	}
	return DMChannel(platform, user), true
}

// FollowMatch is one story of an issue that matched a user's follows.
type FollowMatch struct {
	Platform, User string
	Part           Part // PartLead or PartRoundup
	Item           int
	Query          string // the first of the user's follows that matched
}

// FollowMatcher matches stories against many follows at once. Each follow
// is indexed under one of its words, so a story costs one map lookup per
// distinct word it contains plus a check of the follows found there, not
// a pass over every follow. It is safe for concurrent use once built.
type FollowMatcher struct {
	follows []Follow
	queries []compiledQuery
	user    []int32            // follow → index into users
	users   []Follow           // one per (platform, user), sorted; Platform and User only
	index   map[string][]int32 // stem → follows indexed under it
}

// NewFollowMatcher compiles follows; ones with nothing positive to look
// for are skipped.
func NewFollowMatcher(fs []Follow) *FollowMatcher {
	m := &FollowMatcher{index: make(map[string][]int32)}
	type pu struct{ p, u string }
	userOf := map[pu]int32{}
	for _, f := range fs {
		c := compileQuery(ParseQuery(f.Query))
		k := c.key()
		if k == "" {
			continue
		}
		m.index[k] = append(m.index[k], int32(len(m.follows)))
		m.follows = append(m.follows, f)
		m.queries = append(m.queries, c)
		if _, ok := userOf[pu{f.Platform, f.User}]; !ok {
			userOf[pu{f.Platform, f.User}] = 0
			m.users = append(m.users, Follow{Platform: f.Platform, User: f.User})
		}
	}
	sort.Slice(m.users, func(i, j int) bool {
		a, b := m.users[i], m.users[j]
		if a.Platform != b.Platform {
			return a.Platform < b.Platform
		}
		return a.User < b.User
	})
	for i, u := range m.users {
		userOf[pu{u.Platform, u.User}] = int32(i)
	}
	m.user = make([]int32, len(m.follows))
	for i, f := range m.follows {
		m.user[i] = userOf[pu{f.Platform, f.User}]
	}
	return m
}

// Len returns how many follows the matcher holds.
func (m *FollowMatcher) Len() int { return len(m.follows) }

// MatchIssue returns the stories of is that match follows: at most one
// FollowMatch per user and story, however many of the user's follows
// match it, ordered by user, then lead first and roundup in order.
func (m *FollowMatcher) MatchIssue(is *Issue) []FollowMatch {
	if m == nil || len(m.follows) == 0 {
		return nil
	}
	type hit struct{ user, story, follow int32 }
	var hits []hit
	best := make([]int32, len(m.users)) // user → lowest matching follow + 1, for this story
	var touched []int32
	for story, st := range is.Stories() {
		w := newStoryWords(st.Text())
		for stem := range w.pos {
			for _, i := range m.index[stem] {
				u := m.user[i]
				if b := best[u]; b != 0 && b-1 < i {
					continue
				}
				if m.queries[i].matches(w) {
					if best[u] == 0 {
						touched = append(touched, u)
					}
					best[u] = i + 1
				}
			}
		}
		for _, u := range touched {
			hits = append(hits, hit{user: u, story: int32(story), follow: best[u] - 1})
			best[u] = 0
		}
		touched = touched[:0]
	}
	// Order by user, then story: hits are in story order already, so a
	// counting sort by user keeps that.
	start := make([]int32, len(m.users)+1)
	for _, h := range hits {
		start[h.user+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	sorted := make([]hit, len(hits))
	for _, h := range hits {
		sorted[start[h.user]] = h
		start[h.user]++
	}
	hits = sorted
	out := make([]FollowMatch, len(hits))
	for i, h := range hits {
		u := m.users[h.user]
		out[i] = FollowMatch{Platform: u.Platform, User: u.User, Part: PartLead, Query: m.follows[h.follow].Query}
		if h.story > 0 {
			out[i].Part, out[i].Item = PartRoundup, int(h.story)-1
		}
	}
	return out
}

// FollowPosts returns the posts that matched stories become in a direct
// message channel: each story its own message, in issue order, saying
// which follow it matches (Post.Follow).
func FollowPosts(is *Issue, ms []FollowMatch) []Post {
	posts := make([]Post, 0, len(ms))
	for _, fm := range ms {
		posts = append(posts, Post{Issue: is, Part: fm.Part, Item: fm.Item, Key: PostKey(is, fm.Part, fm.Item), Follow: fm.Query})
	}
	return posts
}

// FollowDeliveries names the direct-message channels an issue goes to:
// one per user with a matching follow (SaveIssue creates their targets;
// the outbox works out which stories each user gets).
func FollowDeliveries(is *Issue, ms []FollowMatch) []Delivery {
	var ds []Delivery
	seen := map[string]bool{}
	for _, fm := range ms {
		ch := DMChannel(fm.Platform, fm.User).ID
		if seen[ch] {
			continue
		}
		seen[ch] = true
		seq := 0
		if fm.Part == PartRoundup {
			seq = fm.Item + 1
		}
		ds = append(ds, Delivery{Channel: ch, Key: PostKey(is, fm.Part, fm.Item), Part: fm.Part, Item: fm.Item, Seq: seq, State: StatePending})
	}
	return ds
}
