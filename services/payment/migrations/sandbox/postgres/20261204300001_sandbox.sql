-- The sandbox card processor's own records, so it remembers across restarts what a real
-- processor would: its payment intents and the result of every idempotency key.
CREATE TABLE sandbox_intents (
    id         TEXT PRIMARY KEY,
    authorized BIGINT NOT NULL,
    captured   BIGINT NOT NULL,
    refunded   BIGINT NOT NULL,
    status     TEXT NOT NULL
);

CREATE TABLE sandbox_keys (
    idempotency_key TEXT PRIMARY KEY,
    fingerprint     TEXT NOT NULL,
    -- The result: ok_value on success, or error_kind (declined, rejected) with code and message.
    ok_value        TEXT,
    error_kind      TEXT,
    error_code      TEXT,
    error_message   TEXT
);
