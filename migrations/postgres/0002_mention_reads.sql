-- When a stored mention's post was last read (its engagement refreshed),
-- for momentum between polls. NULL: only when it was stored (stored_at).
ALTER TABLE mentions ADD COLUMN read_at BIGINT;
