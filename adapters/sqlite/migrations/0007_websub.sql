-- WebSub subscriptions (issue 14): the callback id, the hub, the topic and
-- the secret the hub signs content distributions with.
CREATE TABLE websub_subscriptions (
    id          TEXT PRIMARY KEY,
    feed        TEXT NOT NULL,
    hub         TEXT NOT NULL,
    topic       TEXT NOT NULL,
    secret      TEXT NOT NULL,
    state       TEXT NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX websub_subscriptions_feed ON websub_subscriptions (feed);
