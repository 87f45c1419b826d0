-- The customer tally (store/history_repo.rs) counts an author's posts in
-- the history window, each post once with its first label over the brands
-- it names. Read from the mentions, it grouped every row of every post in
-- the window by post. This table holds one row per post (platform, author,
-- time, id) with its first label, kept by the commit that stores the
-- mentions and by the re-read that relabels one; its key carries the label
-- so the tally is read from the index alone once the table is vacuumed.
-- It replaces the mentions' author index, which only the tally read: a
-- commit now writes one row per post where it wrote one entry per mention.
CREATE TABLE author_posts (
    platform      TEXT   NOT NULL,
    author_handle TEXT   NOT NULL,
    posted_at     BIGINT NOT NULL,
    external_id   TEXT   NOT NULL,
    label         TEXT   NOT NULL,
    PRIMARY KEY (platform, author_handle, posted_at, external_id) INCLUDE (label)
);
INSERT INTO author_posts (platform, author_handle, posted_at, external_id, label)
    SELECT platform, author_handle, posted_at, external_id, MIN(label) FROM mentions
    GROUP BY platform, author_handle, posted_at, external_id;
DROP INDEX mentions_author_posts;
