-- SLA clocks, follow-ups and breaches of the rapid-response queue.
--
-- An item's SLA clock starts when it is opened and again when it is
-- reopened (sla_since; NULL means opened_at). acked_at and resolved_at are
-- stamped by the moves of the current cycle (a resolve also answers the
-- acknowledge SLA); reopening clears them.
ALTER TABLE queue_items ADD COLUMN sla_since INTEGER;
ALTER TABLE queue_items ADD COLUMN acked_at INTEGER;
ALTER TABLE queue_items ADD COLUMN resolved_at INTEGER;
-- When the follow-up reminder for the current resolve was queued.
ALTER TABLE queue_items ADD COLUMN reminded_at INTEGER;
-- What the customer's latest post after the resolve said:
-- recovered (positive or neutral) | still_negative; and which mention.
ALTER TABLE queue_items ADD COLUMN outcome TEXT;
ALTER TABLE queue_items ADD COLUMN outcome_mention_id INTEGER REFERENCES mentions (id);

-- Stamps for items moved before this migration, from their audit trail.
UPDATE queue_items SET acked_at = (
    SELECT MIN(e.at) FROM queue_events e WHERE e.item_id = queue_items.id AND e.to_state IN ('acknowledged', 'resolved')
) WHERE state IN ('acknowledged', 'resolved', 'followed_up');
UPDATE queue_items SET resolved_at = (
    SELECT MIN(e.at) FROM queue_events e WHERE e.item_id = queue_items.id AND e.to_state = 'resolved'
) WHERE state IN ('resolved', 'followed_up');

-- One row per SLA breach: an item's acknowledge or resolve deadline passed
-- in one SLA cycle. Unique per cycle, so a breach is escalated once.
CREATE TABLE queue_breaches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     INTEGER NOT NULL REFERENCES queue_items (id),
    kind        TEXT    NOT NULL, -- ack | resolve
    cycle_start INTEGER NOT NULL, -- the SLA clock's start (opened or reopened)
    deadline    INTEGER NOT NULL,
    at          INTEGER NOT NULL, -- when the breach was noticed and escalated
    UNIQUE (item_id, kind, cycle_start)
);
CREATE INDEX queue_breaches_at ON queue_breaches (at);
CREATE INDEX queue_items_resolved ON queue_items (state, resolved_at);
