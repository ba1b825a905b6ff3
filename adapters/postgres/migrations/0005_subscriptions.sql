-- Feeds subscribed from chat (/digest subscribe), beside the configured ones.
CREATE TABLE subscriptions (
    feed     text NOT NULL,
    platform text NOT NULL,   -- slack, discord
    target   text NOT NULL,   -- the platform's channel id
    layout   text NOT NULL CHECK (layout IN ('thread', 'separate', 'combined')),
    added_by text NOT NULL DEFAULT '',
    added    timestamptz NOT NULL,
    PRIMARY KEY (feed, platform, target)
);
CREATE INDEX subscriptions_channel ON subscriptions (platform, target);
