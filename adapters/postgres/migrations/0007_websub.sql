-- WebSub subscriptions (issue 14): the callback id, the hub, the topic and
-- the secret the hub signs content distributions with.
CREATE TABLE websub_subscriptions (
    id          text PRIMARY KEY,
    feed        text NOT NULL,
    hub         text NOT NULL,
    topic       text NOT NULL,
    secret      text NOT NULL,
    state       text NOT NULL,
    lease_until timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    updated     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00'
);
CREATE INDEX websub_subscriptions_feed ON websub_subscriptions (feed);
