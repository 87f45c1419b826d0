-- Spike detection (routing::spike): one series per brand (topic '') and per
-- brand + topic, with its EWMA baseline and whether a spike is firing.
-- Outbox rows may now also be 'inhibited' (not sent: a spike of their brand
-- was firing when they were written).
CREATE TABLE spike_series (
    brand        TEXT    NOT NULL,
    topic        TEXT    NOT NULL DEFAULT '', -- '' = the whole brand
    baseline     DOUBLE PRECISION NOT NULL,
    intervals    BIGINT  NOT NULL,
    quiet        BIGINT  NOT NULL DEFAULT 0,
    firing_since BIGINT ,                     -- start of the spike (ms) or NULL
    last_count   BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (brand, topic)
);

-- How far spike detection has counted: the end of the last interval (ms).
CREATE TABLE spike_progress (
    id      BIGINT  PRIMARY KEY CHECK (id = 1),
    counted BIGINT  NOT NULL
);

CREATE INDEX mentions_stored ON mentions (stored_at);
