-- The customer tally (store/history_repo.rs) counts each post of an
-- author once, however many brands it names: it groups the author's
-- mentions by post. Ordered (posted_at, label, external_id), the rows of
-- one post were apart whenever another post had the same time, so every
-- batch sorted all of its regular authors' rows first. Ordered
-- (posted_at, external_id, label), a post's rows are neighbours and the
-- grouping reads them in index order.
DROP INDEX mentions_author_posts;
CREATE INDEX mentions_author_posts ON mentions (platform, author_handle, posted_at, external_id, label);
