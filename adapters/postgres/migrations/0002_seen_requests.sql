-- Issue 12: signed requests already accepted (Slack commands, Discord
-- interactions), kept until their signature expires, so that a replay is
-- refused after a restart and by every replica.
CREATE TABLE IF NOT EXISTS seen_requests (
    key     text PRIMARY KEY,
    expires timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_requests_expires ON seen_requests (expires);
