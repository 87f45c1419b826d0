-- earshot schema, SQLite backend. Times are unix epoch milliseconds (INTEGER)
-- so both backends compare them the same way.

-- A mention is a post x brand. The same post read twice (overlapping poll
-- windows, a restart) is one row: unique on platform + external id + brand.
CREATE TABLE mentions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    platform         TEXT    NOT NULL,
    external_id      TEXT    NOT NULL,
    brand            TEXT    NOT NULL,
    source           TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    author_handle    TEXT    NOT NULL,
    author_name      TEXT,
    author_followers INTEGER,
    body             TEXT    NOT NULL,
    lang             TEXT,
    likes            INTEGER,
    reposts          INTEGER,
    replies          INTEGER,
    posted_at        INTEGER NOT NULL,
    stored_at        INTEGER NOT NULL,
    terms            TEXT    NOT NULL, -- JSON array of the watch terms that hit
    compound         REAL    NOT NULL,
    label            TEXT    NOT NULL,
    urgency          REAL    NOT NULL,
    level            TEXT    NOT NULL,
    topics           TEXT    NOT NULL, -- JSON array
    reasons          TEXT    NOT NULL, -- JSON array
    UNIQUE (platform, external_id, brand)
);
CREATE INDEX mentions_brand_posted ON mentions (brand, posted_at);
CREATE INDEX mentions_author ON mentions (platform, author_handle);

-- Where each source got to. Written only in the transaction that stores
-- what was read before it.
CREATE TABLE source_cursors (
    source     TEXT    PRIMARY KEY,
    cursor     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Transactional outbox: one row per mention x receiver, written with the
-- mention (or per receiver for a source-health alert, with no mention).
-- Workers claim due rows with a lease, send, then mark them.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mention_id    INTEGER REFERENCES mentions (id),
    receiver      TEXT    NOT NULL,
    payload       TEXT    NOT NULL, -- JSON Notification
    state         TEXT    NOT NULL DEFAULT 'pending', -- pending | sent | failed
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        INTEGER NOT NULL,
    claimed_until INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER
);
CREATE INDEX outbox_due ON outbox (receiver, state, due_at);

-- Rapid-response queue: one item per urgent mention.
CREATE TABLE queue_items (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    mention_id INTEGER NOT NULL UNIQUE REFERENCES mentions (id),
    brand      TEXT    NOT NULL,
    level      TEXT    NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'open', -- open | acknowledged | resolved | followed_up | dismissed
    assignee   TEXT,
    opened_at  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX queue_items_state ON queue_items (state, opened_at);

-- Audit trail: every move of a queue item, who made it and from where.
CREATE TABLE queue_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    INTEGER NOT NULL REFERENCES queue_items (id),
    from_state TEXT,
    to_state   TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    via        TEXT    NOT NULL, -- pipeline | api | cli | slack | timer
    note       TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX queue_events_item ON queue_events (item_id, at);
