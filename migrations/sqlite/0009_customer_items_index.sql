-- Customer records (queue::customer) count an author's open and
-- acknowledged queue items and list their resolved ones for every batch.
-- A frequent author's open items pile up, and through the narrower
-- (platform, author_handle) index each one was a lookup in the table: the
-- read grew with every item they had. This index holds every column the
-- read takes (the id is the rowid, in every index entry), so an author's
-- items in a state are one contiguous range of it and the open ones are
-- counted without touching the table.
DROP INDEX queue_items_author;
CREATE INDEX queue_items_author_state ON queue_items (platform, author_handle, state, brand, resolved_at);
