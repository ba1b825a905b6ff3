-- Follows (/digest follow): one row per user and normalised query.
CREATE TABLE follows (
    platform text NOT NULL,
    user_id  text NOT NULL,
    query    text NOT NULL,     -- bot.Query.String()
    created  timestamptz NOT NULL,
    PRIMARY KEY (platform, user_id, query)
);

-- When each user last ran /digest catchup.
CREATE TABLE catchups (
    platform text NOT NULL,
    user_id  text NOT NULL,
    last     timestamptz NOT NULL,
    PRIMARY KEY (platform, user_id)
);
