-- Push on publish (issue 14): verified webhook and WebSub events, recorded
-- before they are acknowledged and processed afterwards; and issues
-- withdrawn by a push, which polls must not bring back for a while.

CREATE TABLE push_events (
    id           bigserial PRIMARY KEY,
    key          text NOT NULL UNIQUE,            -- the request's signature: a replay has the same
    source       text NOT NULL,                   -- ghost, websub
    kind         text NOT NULL,                   -- published, edited, withdrawn, scheduled, feed
    feed         text NOT NULL,
    guid         text NOT NULL DEFAULT '',
    payload      bytea NOT NULL,                  -- JSON of the issue or feed built from the request
    state        text NOT NULL DEFAULT 'pending', -- pending, done, failed
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    received     timestamptz NOT NULL,
    next_attempt timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    lease_owner  text NOT NULL DEFAULT '',
    lease_until  timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00'
);
CREATE INDEX push_events_due ON push_events (state, next_attempt, id);
CREATE INDEX push_events_received ON push_events (received);

CREATE TABLE withdrawn_issues (
    feed text NOT NULL,
    guid text NOT NULL,
    at   timestamptz NOT NULL,
    PRIMARY KEY (feed, guid)
);
