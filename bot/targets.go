package bot

import (
	"context"
	"fmt"
)

// Who receives an issue: one place decides it for polls, pushes and
// backfill (which queues nothing).

// plan returns a feed's configured plan; ok is false when it is not configured.
func (p *Poller) plan(url string) (FeedPlan, bool) {
	for _, f := range p.Feeds {
		if f.URL == url {
			return f, true
		}
	}
	return FeedPlan{}, false
}

// planFor returns where a feed's new issues go: its configured plan, with
// the channels subscribed to it from chat; a feed known only from
// subscriptions gets SubscriptionDefaults. ok is false when the feed is
// neither configured nor subscribed. Polls and pushes both ask here, so a
// pushed issue reaches the channels a polled one would. An error means
// the subscriptions could not be read: deciding without them would skip
// the subscribed channels for good, so the caller tries again later.
func (p *Poller) planFor(ctx context.Context, url string) (FeedPlan, bool, error) {
	plan, ok := p.plan(url)
	subs, err := p.subscriptions(ctx, url)
	if err != nil {
		return plan, ok, err
	}
	if len(subs) > 0 {
		var base []FeedPlan
		if ok {
			base = []FeedPlan{plan}
		}
		plan, ok = SubscriptionPlans(base, subs, p.SubscriptionDefaults)[0], true
	}
	return plan, ok, nil
}

// lazyFollows holds every follow, loaded when an issue first needs them.
type lazyFollows struct {
	m *FollowMatcher
}

// deliveries returns the outbox rows a newly archived issue needs: its
// posts in each channel of the plan (see planFor) and a direct message to
// each user whose follow matches one of its stories. It is the one place
// that decides who receives an issue; polls, pushed feeds and pushed
// issues all ask it. The store makes the targets with the issue, in the
// same transaction, and only then: a target left out here is never made.
func (p *Poller) deliveries(ctx context.Context, is *Issue, plan FeedPlan, follows *lazyFollows) ([]Delivery, error) {
	if follows.m == nil {
		m, err := p.followMatcher(ctx)
		if err != nil {
			return nil, err
		}
		follows.m = m
	}
	ds := Deliveries(is, plan.Channels)
	return append(ds, FollowDeliveries(is, follows.m.MatchIssue(is))...), nil
}

// subscriptions returns a feed's chat subscriptions (every feed's for
// url ""), when the store keeps any.
func (p *Poller) subscriptions(ctx context.Context, url string) ([]Subscription, error) {
	ss, ok := p.Store.(SubscriptionStore)
	if !ok {
		return nil, nil
	}
	subs, err := ss.Subscriptions(ctx, url)
	if err != nil && url == "" {
		return nil, fmt.Errorf("bot: subscriptions: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("bot: subscriptions of %s: %w", url, err)
	}
	return subs, nil
}

// Deliveries returns the outbox rows an issue needs in the given channels.
func Deliveries(is *Issue, channels []Channel) []Delivery {
	var ds []Delivery
	for _, ch := range channels {
		for seq, post := range PostsFor(is, ch.Layout) {
			ds = append(ds, Delivery{Channel: ch.ID, Key: post.Key, Part: post.Part, Item: post.Item, Seq: seq, State: StatePending})
		}
	}
	return ds
}

// followMatcher loads every follow (users' /digest follow queries), so
// that new issues queue direct messages in the same transaction as their
// channel posts. A store without follows gives an empty matcher.
func (p *Poller) followMatcher(ctx context.Context) (*FollowMatcher, error) {
	ps, ok := p.Store.(PeopleStore)
	if !ok {
		return NewFollowMatcher(nil), nil
	}
	fs, err := ps.AllFollows(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: load follows: %w", err)
	}
	return NewFollowMatcher(fs), nil
}
