-- Feeds subscribed from chat (/digest subscribe), beside the configured ones.
CREATE TABLE subscriptions (
    feed     TEXT NOT NULL,
    platform TEXT NOT NULL,   -- slack, discord
    target   TEXT NOT NULL,   -- the platform's channel id
    layout   TEXT NOT NULL CHECK (layout IN ('thread', 'separate', 'combined')),
    added_by TEXT NOT NULL DEFAULT '',
    added    INTEGER NOT NULL, -- microseconds since the Unix epoch
    PRIMARY KEY (feed, platform, target)
);
CREATE INDEX subscriptions_channel ON subscriptions (platform, target);
