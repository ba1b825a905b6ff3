-- Shares (issue 15, "Share in channel" buttons): one row per story shared
-- into a channel. The story is posted there through the outbox, under the
-- target (issue_id, channel) in issue_channels, like any other post.
CREATE TABLE shares (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    channel   TEXT NOT NULL,    -- bot.ShareChannel(platform, target).ID
    issue_id  INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    key       TEXT NOT NULL,    -- bot.PostKey of the story when it was shared
    user_id   TEXT NOT NULL,    -- who shared it: the platform's user id
    user_name TEXT NOT NULL DEFAULT '',
    created   INTEGER NOT NULL,
    UNIQUE (channel, issue_id, key)
);
