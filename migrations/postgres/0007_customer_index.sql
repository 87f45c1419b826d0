-- Customer records (queue::customer) are read for every batch: sum up each
-- author's posts in the history window and list their queue items. Both
-- reads must cost what an author posted, not what the tables hold.

-- The tally reads only this index (covering: no row lookups), ranged on
-- the window; it replaces the narrower (platform, author_handle) index.
DROP INDEX mentions_author;
CREATE INDEX mentions_author_posts ON mentions (platform, author_handle, posted_at, label, external_id);

-- A queue item names its mention's author, so an author's items are one
-- index range instead of a join over every mention they ever posted.
ALTER TABLE queue_items ADD COLUMN platform TEXT;
ALTER TABLE queue_items ADD COLUMN author_handle TEXT;
UPDATE queue_items SET
    platform = (SELECT m.platform FROM mentions m WHERE m.id = queue_items.mention_id),
    author_handle = (SELECT m.author_handle FROM mentions m WHERE m.id = queue_items.mention_id);
CREATE INDEX queue_items_author ON queue_items (platform, author_handle);
