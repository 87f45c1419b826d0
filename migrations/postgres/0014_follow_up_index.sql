-- The follow-up reminders look for resolved items whose reminder is still
-- owed. `queue_items_resolved (state, resolved_at)` took an entry for
-- every item from the moment it opened, and kept it after the reminder
-- was sent; this index holds only the items a reminder is owed for, so a
-- new (open) item is not entered in it. Its first column keeps the state,
-- so SQLite, which plans without statistics here, prefers it to
-- `queue_items_state` for the reminder query (a range on `resolved_at`
-- alone lost to that index's equality on the state).
DROP INDEX queue_items_resolved;
CREATE INDEX queue_items_follow_up ON queue_items (state, resolved_at) WHERE state = 'resolved' AND reminded_at IS NULL;
