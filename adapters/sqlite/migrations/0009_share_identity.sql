-- Shares remember the story they share (review finding 1): the roundup
-- item's identity check (bot.StoryRef.Check, 8 hex of its link, else its
-- text), its index when shared and, when another item of the issue had
-- the same identity then, the check of its text. The outbox finds the
-- shared item by them, not by its PostKey, whose "#n" follows position.
-- Rows from 0008 have none ('' / 0) and keep the key lookup.
ALTER TABLE shares ADD COLUMN item_check TEXT NOT NULL DEFAULT '';
ALTER TABLE shares ADD COLUMN item INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shares ADD COLUMN text_check TEXT NOT NULL DEFAULT '';
