-- digestbot schema, version 1, for PostgreSQL 13 or later.
--
-- Times are timestamptz; "never" (Go's zero time) is stored as
-- 0001-01-01 00:00:00+00, so every time column is NOT NULL and compares
-- like the SQLite store's 0.

-- Full-text search configuration: English stemming, plus accent folding
-- when the unaccent extension (package postgresql-contrib) is available
-- and this role may create it. Without it, "café" and "cafe" are different
-- words. Installing unaccent later: see docs/postgres.md.
CREATE TEXT SEARCH CONFIGURATION digestbot_english (COPY = pg_catalog.english);
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'digestbot: unaccent extension not available (%), searching without accent folding', SQLERRM;
        RETURN;
    END;
    ALTER TEXT SEARCH CONFIGURATION digestbot_english
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
END
$$;

CREATE TABLE feeds (
    url           text PRIMARY KEY,
    title         text NOT NULL DEFAULT '',
    etag          text NOT NULL DEFAULT '',
    last_modified text NOT NULL DEFAULT '',
    last_poll     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    last_success  timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    next_poll     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    failures      integer NOT NULL DEFAULT 0,  -- consecutive
    last_error    text NOT NULL DEFAULT '',
    lease_owner   text NOT NULL DEFAULT '',    -- replica polling it, '' when none
    lease_until   timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00'
);
CREATE INDEX feeds_due ON feeds (next_poll, url);
CREATE INDEX feeds_lease ON feeds (lease_owner) WHERE lease_owner <> '';

CREATE TABLE issues (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed       text NOT NULL,
    guid       text NOT NULL,
    newsletter text NOT NULL DEFAULT '',
    title      text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT '',
    published  timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    standfirst text NOT NULL DEFAULT '',
    image      text NOT NULL DEFAULT '',
    split      boolean NOT NULL DEFAULT false,
    hash       text NOT NULL,
    created    timestamptz NOT NULL DEFAULT now(),
    updated    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (feed, guid)
);
CREATE INDEX issues_published ON issues (published, id);

-- One row per lead story (part 'lead', item 0) and roundup item. Story ids
-- only grow and an updated story keeps its id: search uses id order as
-- archive order.
CREATE TABLE stories (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    part     text NOT NULL CHECK (part IN ('lead', 'roundup')),
    item     integer NOT NULL,
    text     text NOT NULL,   -- bot.Story.Text(): what is indexed and shown
    rich     jsonb NOT NULL,  -- the bot.Story: spans and links, for rendering
    url      text NOT NULL DEFAULT '',
    tsv      tsvector GENERATED ALWAYS AS (to_tsvector('digestbot_english'::regconfig, text)) STORED,
    UNIQUE (issue_id, part, item)
);
CREATE INDEX stories_tsv ON stories USING gin (tsv);

-- The outbox: one row per post of an issue in a channel.
CREATE TABLE deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id     bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    channel      text NOT NULL,
    part         text NOT NULL,
    item         integer NOT NULL,
    seq          integer NOT NULL,
    state        text NOT NULL CHECK (state IN ('pending', 'sent', 'edit', 'failed')),
    ref          text NOT NULL DEFAULT '',
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    next_attempt timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    lease_owner  text NOT NULL DEFAULT '',  -- replica sending it, '' when none
    lease_until  timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    claim_hash   text NOT NULL DEFAULT '',  -- issues.hash when last claimed
    created      timestamptz NOT NULL DEFAULT now(),
    updated      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issue_id, channel, part, item)
);
CREATE INDEX deliveries_open ON deliveries (next_attempt) WHERE state IN ('pending', 'edit');
CREATE INDEX deliveries_order ON deliveries (issue_id, channel, seq) WHERE state IN ('pending', 'edit');
CREATE INDEX deliveries_state ON deliveries (state, id);
CREATE INDEX deliveries_lease ON deliveries (lease_owner) WHERE lease_owner <> '';

CREATE TABLE replicas (
    id        text PRIMARY KEY,
    info      text NOT NULL DEFAULT '',
    started   timestamptz NOT NULL,
    heartbeat timestamptz NOT NULL
);
