-- Issue 13: the outbox becomes a reconciler. Each issue delivered to a
-- channel has a target (issue_channels) that is dirty while the channel is
-- not in step with the issue; each post sent remembers its identity (key)
-- and the hash of the content it shows (sent_hash). Channels are leased to
-- one replica at a time (channel_leases). Issues can be withdrawn.

ALTER TABLE issues ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;

CREATE TABLE deliveries_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id     INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    key          TEXT NOT NULL,   -- bot.PostKey: "lead", "combined", "r:<link>", "t:<digest>"
    part         TEXT NOT NULL,
    item         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'edit', 'failed', 'removed')),
    ref          TEXT NOT NULL DEFAULT '',
    sent_hash    TEXT NOT NULL DEFAULT '',  -- bot.PostHash of what the message shows
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    next_attempt INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT NOT NULL DEFAULT '',  -- unused since 0003
    lease_until  INTEGER NOT NULL DEFAULT 0,
    claim_hash   TEXT NOT NULL DEFAULT '',  -- bot.PostHash of the content last attempted
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    UNIQUE (issue_id, channel, key)
);

-- Keys of existing posts: a roundup item by its source link when it is the
-- first with that link, else by position (such an item is reposted once if
-- its issue changes later). Legacy sent posts show what they should
-- ("*"); posts waiting for an edit show something older ("").
INSERT INTO deliveries_new (id, issue_id, channel, key, part, item, seq, state, ref, sent_hash,
    attempts, last_error, next_attempt, claim_hash, created, updated)
SELECT d.id, d.issue_id, d.channel,
    CASE d.part
        WHEN 'lead' THEN 'lead'
        WHEN 'combined' THEN 'combined'
        ELSE COALESCE((SELECT 'r:' || s.url FROM stories s
            WHERE s.issue_id = d.issue_id AND s.part = 'roundup' AND s.item = d.item AND s.url <> ''
                AND NOT EXISTS (SELECT 1 FROM stories s2 WHERE s2.issue_id = s.issue_id
                    AND s2.part = 'roundup' AND s2.url = s.url AND s2.item < s.item)),
            'legacy:' || d.part || ':' || d.item)
    END,
    d.part, d.item, d.seq,
    CASE d.state WHEN 'edit' THEN 'sent' ELSE d.state END,
    d.ref,
    CASE d.state WHEN 'sent' THEN '*' ELSE '' END,
    CASE WHEN d.state = 'pending' AND d.attempts = 0 THEN 0 ELSE d.attempts END,
    d.last_error, d.next_attempt, '', d.created, d.updated
FROM deliveries d
WHERE NOT (d.state = 'pending' AND d.attempts = 0);

-- Targets, from the channels that had deliveries: in step when every post
-- was settled.
CREATE TABLE issue_channels (
    issue_id     INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    done_hash    TEXT NOT NULL DEFAULT '',  -- issues.hash (or 'withdrawn') when last in step
    dirty        INTEGER NOT NULL DEFAULT 1,
    next_attempt INTEGER NOT NULL DEFAULT 0, -- the channel waits until then
    last_error   TEXT NOT NULL DEFAULT '',
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    PRIMARY KEY (issue_id, channel)
);
CREATE INDEX issue_channels_dirty ON issue_channels (channel, next_attempt) WHERE dirty = 1;

INSERT INTO issue_channels (issue_id, channel, done_hash, dirty, created, updated)
SELECT d.issue_id, d.channel,
    CASE WHEN SUM(d.state IN ('pending', 'edit')) = 0 THEN i.hash ELSE '' END,
    CASE WHEN SUM(d.state IN ('pending', 'edit')) = 0 THEN 0 ELSE 1 END,
    MIN(d.created), MAX(d.updated)
FROM deliveries d JOIN issues i ON i.id = d.issue_id
GROUP BY d.issue_id, d.channel;

DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_order ON deliveries (issue_id, channel, seq);
CREATE INDEX deliveries_state ON deliveries (state, id);
CREATE INDEX deliveries_channel_sent ON deliveries (channel, updated) WHERE state = 'sent';

CREATE TABLE channel_leases (
    channel TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    until   INTEGER NOT NULL
);
