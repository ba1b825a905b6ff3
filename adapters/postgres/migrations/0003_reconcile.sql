-- Issue 13: the outbox becomes a reconciler. Each issue delivered to a
-- channel has a target (issue_channels) that is dirty while the channel is
-- not in step with the issue; each post sent remembers its identity (key)
-- and the hash of the content it shows (sent_hash). Channels are leased to
-- one replica at a time (channel_leases). Issues can be withdrawn.

ALTER TABLE issues ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;

-- Posts never attempted are not messages: the reconciler derives them.
DELETE FROM deliveries WHERE state = 'pending' AND attempts = 0;

ALTER TABLE deliveries ADD COLUMN key text;
ALTER TABLE deliveries ADD COLUMN sent_hash text NOT NULL DEFAULT '';

-- Keys of existing posts: a roundup item by its source link when it is the
-- first with that link, else by position (such an item is reposted once if
-- its issue changes later). Legacy sent posts show what they should
-- ("*"); posts waiting for an edit show something older ("").
UPDATE deliveries d SET key = CASE d.part
        WHEN 'lead' THEN 'lead'
        WHEN 'combined' THEN 'combined'
        ELSE COALESCE((SELECT 'r:' || s.url FROM stories s
            WHERE s.issue_id = d.issue_id AND s.part = 'roundup' AND s.item = d.item AND s.url <> ''
                AND NOT EXISTS (SELECT 1 FROM stories s2 WHERE s2.issue_id = s.issue_id
                    AND s2.part = 'roundup' AND s2.url = s.url AND s2.item < s.item)),
            'legacy:' || d.part || ':' || d.item)
    END,
    sent_hash = CASE d.state WHEN 'sent' THEN '*' ELSE '' END,
    claim_hash = '';

CREATE TABLE issue_channels (
    issue_id     bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    channel      text NOT NULL,
    done_hash    text NOT NULL DEFAULT '',  -- issues.hash (or 'withdrawn') when last in step
    dirty        boolean NOT NULL DEFAULT true,
    next_attempt timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00', -- the channel waits until then
    last_error   text NOT NULL DEFAULT '',
    created      timestamptz NOT NULL DEFAULT now(),
    updated      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issue_id, channel)
);
CREATE INDEX issue_channels_dirty ON issue_channels (channel, next_attempt) WHERE dirty;

INSERT INTO issue_channels (issue_id, channel, done_hash, dirty, created, updated)
SELECT d.issue_id, d.channel,
    CASE WHEN bool_and(d.state IN ('sent', 'failed')) THEN i.hash ELSE '' END,
    NOT bool_and(d.state IN ('sent', 'failed')),
    MIN(d.created), MAX(d.updated)
FROM deliveries d JOIN issues i ON i.id = d.issue_id
GROUP BY d.issue_id, d.channel, i.hash;

UPDATE deliveries SET state = 'sent' WHERE state = 'edit';

ALTER TABLE deliveries ALTER COLUMN key SET NOT NULL;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_issue_id_channel_part_item_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_issue_channel_key UNIQUE (issue_id, channel, key);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'sent', 'edit', 'failed', 'removed'));
DROP INDEX deliveries_order;
DROP INDEX deliveries_open;
CREATE INDEX deliveries_order ON deliveries (issue_id, channel, seq);
CREATE INDEX deliveries_channel_sent ON deliveries (channel, updated) WHERE state = 'sent';

CREATE TABLE channel_leases (
    channel text PRIMARY KEY,
    owner   text NOT NULL,
    until   timestamptz NOT NULL
);
