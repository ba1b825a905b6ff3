-- Shares (issue 15, "Share in channel" buttons): one row per story shared
-- into a channel. The story is posted there through the outbox, under the
-- target (issue_id, channel) in issue_channels, like any other post.
CREATE TABLE shares (
    id        bigserial PRIMARY KEY,
    channel   text NOT NULL,    -- bot.ShareChannel(platform, target).ID
    issue_id  bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    key       text NOT NULL,    -- bot.PostKey of the story when it was shared
    user_id   text NOT NULL,    -- who shared it: the platform's user id
    user_name text NOT NULL DEFAULT '',
    created   timestamptz NOT NULL,
    UNIQUE (channel, issue_id, key)
);
