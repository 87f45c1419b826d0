-- Routing: grouping into digests, silences, quiet hours.
-- Outbox states now: pending | sent | failed | grouped (waiting for its
-- group's digest) | digested (went out in the digest row `digest_id`) |
-- silenced (muted by `silence_id`, never sent).
ALTER TABLE outbox ADD COLUMN route TEXT;
ALTER TABLE outbox ADD COLUMN group_key TEXT;
ALTER TABLE outbox ADD COLUMN digest_id INTEGER;
ALTER TABLE outbox ADD COLUMN silence_id INTEGER;
CREATE INDEX outbox_group ON outbox (receiver, group_key, state);

-- One row per receiver x group: when its next digest is due (NULL:
-- nothing waiting) and when the last one went out.
CREATE TABLE alert_groups (
    receiver      TEXT    NOT NULL,
    group_key     TEXT    NOT NULL,
    flush_at      INTEGER,
    last_flush_at INTEGER,
    PRIMARY KEY (receiver, group_key)
);
CREATE INDEX alert_groups_due ON alert_groups (receiver, flush_at);

-- Silences: matchers (JSON array of `label op value`) muting alerts
-- between starts_at and ends_at. Expiring sets ends_at to now.
CREATE TABLE silences (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers   TEXT    NOT NULL,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX silences_ends ON silences (ends_at);
