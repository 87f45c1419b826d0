-- Index the outbox by what waits, not by every row ever written.
--
-- The outbox had three indexes over all its rows: (receiver, state,
-- due_at) for the sender's claim, (receiver, group_key, state) for the
-- group flush and (state) over the pending ones for `/metrics`. Every
-- alert a poll stored took an entry in the first two, and in the third
-- while pending (`commit` bench under callgrind: 29k instructions per
-- outbox row), and sent rows stayed in two of them for good. Every read of
-- them asks for one state: the claim and the pending count for
-- 'pending', the flush for 'grouped'. So each state gets its own partial
-- index, and a row is in at most one of them, only while it waits.
DROP INDEX outbox_due;
DROP INDEX outbox_group;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (receiver, due_at) WHERE state = 'pending';
CREATE INDEX outbox_grouped ON outbox (receiver, group_key) WHERE state = 'grouped';

