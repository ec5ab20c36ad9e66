-- Events waiting to leave, written in the same transaction as the state change they describe.
-- `id` orders publication; the relay publishes in `id` order, so one aggregate's events leave
-- in the order they were recorded.
CREATE TABLE event_outbox (
    id                 BIGSERIAL PRIMARY KEY,
    event_id           TEXT NOT NULL UNIQUE,
    topic              TEXT NOT NULL,
    message_key        TEXT NOT NULL,
    aggregate_type     TEXT NOT NULL,
    aggregate_sequence BIGINT NOT NULL,
    envelope           BYTEA NOT NULL,
    created_at         BIGINT NOT NULL,
    published_at       BIGINT,
    attempts           BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT,
    UNIQUE (aggregate_type, message_key, aggregate_sequence)
);

-- The relay's scan: pending rows in order.
CREATE INDEX event_outbox_pending ON event_outbox (id) WHERE published_at IS NULL;

-- Events this database's consumers have processed, per consumer group: recorded in the same
-- transaction as the handler's effects, so a redelivered event has no second effect.
CREATE TABLE event_inbox (
    consumer_group TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    processed_at   BIGINT NOT NULL,
    PRIMARY KEY (consumer_group, event_id)
);
