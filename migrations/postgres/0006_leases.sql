-- Named, expiring leases for running several replicas on one database: a
-- source is polled, and a cluster-wide timer fires, only by the replica
-- holding its lease ("source:NAME", "timer:NAME"). The holder renews it
-- before expires_at (unix ms); once lapsed, any replica may take it over.
CREATE TABLE leases (
    name        TEXT   PRIMARY KEY,
    holder      TEXT   NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
