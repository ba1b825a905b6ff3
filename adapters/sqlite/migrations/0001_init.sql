-- digestbot schema, version 1. Times are INTEGER microseconds since the
-- Unix epoch (UTC), 0 for "never" / the zero time.

CREATE TABLE feeds (
    url           TEXT PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_poll     INTEGER NOT NULL DEFAULT 0,
    last_success  INTEGER NOT NULL DEFAULT 0,
    next_poll     INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,   -- consecutive
    last_error    TEXT NOT NULL DEFAULT '',
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feeds_due ON feeds (next_poll, url);
CREATE INDEX feeds_lease ON feeds (lease_owner) WHERE lease_owner <> '';

CREATE TABLE issues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    feed       TEXT NOT NULL,
    guid       TEXT NOT NULL,
    newsletter TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    published  INTEGER NOT NULL DEFAULT 0,
    standfirst TEXT NOT NULL DEFAULT '',
    image      TEXT NOT NULL DEFAULT '',
    split      INTEGER NOT NULL DEFAULT 0,
    hash       TEXT NOT NULL,
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    UNIQUE (feed, guid)
);
CREATE INDEX issues_published ON issues (published, id);

-- One row per lead story (item 0) and roundup item. Story ids only grow
-- (AUTOINCREMENT) and an updated story keeps its id: the search uses id
-- order as archive order.
CREATE TABLE stories (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    part     TEXT NOT NULL CHECK (part IN ('lead', 'roundup')),
    item     INTEGER NOT NULL,
    text     TEXT NOT NULL,   -- bot.Story.Text(): what is indexed and shown
    rich     TEXT NOT NULL,   -- JSON of the bot.Story: spans and links, for rendering
    url      TEXT NOT NULL DEFAULT '',
    UNIQUE (issue_id, part, item)
);

-- Full-text search: two external-content FTS5 indexes over stories.text.
-- stories_fts holds every story; stories_recent only the newest stories
-- (ids above search_meta.recent_floor, about recent_size of them) so that
-- bm25 over it stays cheap however large the archive grows. See search.go.
CREATE VIRTUAL TABLE stories_fts USING fts5 (
    text, content = 'stories', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE stories_recent USING fts5 (
    text, content = 'stories', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE search_meta (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    recent_size  INTEGER NOT NULL,  -- stories kept in stories_recent
    recent_floor INTEGER NOT NULL   -- stories_recent holds exactly the ids above this
);
INSERT INTO search_meta (id, recent_size, recent_floor) VALUES (1, 2000, 0);

CREATE TRIGGER stories_ai AFTER INSERT ON stories BEGIN
    INSERT INTO stories_fts (rowid, text) VALUES (new.id, new.text);
    INSERT INTO stories_recent (rowid, text) VALUES (new.id, new.text);
    -- Roll the recent window: drop the stories that fell out of it.
    INSERT INTO stories_recent (stories_recent, rowid, text)
        SELECT 'delete', s.id, s.text FROM stories s, search_meta m
        WHERE s.id > m.recent_floor AND s.id <= new.id - m.recent_size;
    UPDATE search_meta SET recent_floor = new.id - recent_size
        WHERE new.id - recent_size > recent_floor;
    -- Every transaction adds a segment (and the rolling deletes add
    -- tombstones): merge the small index into one segment every 128
    -- stories, some 30 ms, so that lookups and snippets stay cheap.
    INSERT INTO stories_recent (stories_recent) SELECT 'optimize' WHERE new.id % 128 = 0;
END;

CREATE TRIGGER stories_au AFTER UPDATE OF text ON stories
WHEN old.text IS NOT new.text BEGIN
    INSERT INTO stories_fts (stories_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO stories_fts (rowid, text) VALUES (new.id, new.text);
    INSERT INTO stories_recent (stories_recent, rowid, text)
        SELECT 'delete', old.id, old.text FROM search_meta WHERE old.id > recent_floor;
    INSERT INTO stories_recent (rowid, text)
        SELECT new.id, new.text FROM search_meta WHERE new.id > recent_floor;
END;

CREATE TRIGGER stories_ad AFTER DELETE ON stories BEGIN
    INSERT INTO stories_fts (stories_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO stories_recent (stories_recent, rowid, text)
        SELECT 'delete', old.id, old.text FROM search_meta WHERE old.id > recent_floor;
END;

-- The outbox: one row per post of an issue in a channel.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id     INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    part         TEXT NOT NULL,
    item         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'edit', 'failed')),
    ref          TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    next_attempt INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  INTEGER NOT NULL DEFAULT 0,
    claim_hash   TEXT NOT NULL DEFAULT '',  -- issues.hash when last claimed
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    UNIQUE (issue_id, channel, part, item)
);
CREATE INDEX deliveries_open ON deliveries (next_attempt) WHERE state IN ('pending', 'edit');
CREATE INDEX deliveries_order ON deliveries (issue_id, channel, seq);
CREATE INDEX deliveries_state ON deliveries (state, id);
CREATE INDEX deliveries_lease ON deliveries (lease_owner) WHERE lease_owner <> '';

CREATE TABLE replicas (
    id        TEXT PRIMARY KEY,
    info      TEXT NOT NULL DEFAULT '',
    started   INTEGER NOT NULL,
    heartbeat INTEGER NOT NULL
);
