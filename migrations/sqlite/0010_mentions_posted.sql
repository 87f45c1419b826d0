-- Mentions by time, not by brand then time.
--
-- (brand, posted_at) took each new mention to its brand's end of the
-- index: with a thousand brands a commit wrote a page of that index into
-- the WAL for nearly every mention it stored. No read could use it
-- well either: the board's volume and topic reads ask for a time range
-- over every brand (they scanned the whole index or table), and spike
-- examples read the spike's window, which `mentions_stored` finds.
-- New mentions land at the end of (posted_at), and the board's reads
-- search its range.
DROP INDEX mentions_brand_posted;
CREATE INDEX mentions_posted ON mentions (posted_at);
