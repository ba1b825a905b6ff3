-- Push on publish (issue 14): verified webhook and WebSub events, recorded
-- before they are acknowledged and processed afterwards; and issues
-- withdrawn by a push, which polls must not bring back for a while.

CREATE TABLE push_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,          -- the request's signature: a replay has the same
    source       TEXT NOT NULL,                 -- ghost, websub
    kind         TEXT NOT NULL,                 -- published, edited, withdrawn, scheduled, feed
    feed         TEXT NOT NULL,
    guid         TEXT NOT NULL DEFAULT '',
    payload      BLOB NOT NULL,                 -- JSON of the issue or feed built from the request
    state        TEXT NOT NULL DEFAULT 'pending', -- pending, done, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    received     INTEGER NOT NULL,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX push_events_due ON push_events (state, next_attempt, id);
CREATE INDEX push_events_received ON push_events (received);

CREATE TABLE withdrawn_issues (
    feed TEXT NOT NULL,
    guid TEXT NOT NULL,
    at   INTEGER NOT NULL,
    PRIMARY KEY (feed, guid)
);
