-- Mentions by time, not by brand then time (as the SQLite schema).
--
-- (brand, posted_at) took each new mention to its brand's end of the
-- index: with a thousand brands nearly every mention a commit stored
-- dirtied a page of its own there. No read could use it well either: the
-- board's volume and topic reads ask for a time range over every brand,
-- and spike examples read the spike's window, which `mentions_stored`
-- finds. New mentions land at the end of (posted_at), and the board's
-- reads search its range.
DROP INDEX mentions_brand_posted;
CREATE INDEX mentions_posted ON mentions (posted_at);
