-- `/metrics` counts the pending outbox rows on every scrape: a partial
-- index holds only those, however many sent rows the outbox keeps, so the
-- count costs what is pending, not what was ever sent.
CREATE INDEX outbox_pending ON outbox (state) WHERE state = 'pending';
