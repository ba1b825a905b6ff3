-- Follows (/digest follow): one row per user and normalised query.
CREATE TABLE follows (
    platform TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    query    TEXT NOT NULL,     -- bot.Query.String()
    created  INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id, query)
);

-- When each user last ran /digest catchup.
CREATE TABLE catchups (
    platform TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id)
);
