-- Requests made with an idempotency key, per caller and method: the fingerprint of the request
-- that first used the key and, once it succeeded, its response (a gRPC message frame). A row
-- without a response is a request still running, or one that died; see `claimed_at`.
CREATE TABLE idempotent_requests (
    caller          TEXT NOT NULL,
    method          TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    response        BYTEA,
    claimed_at      BIGINT NOT NULL,
    PRIMARY KEY (caller, method, idempotency_key)
);

-- The sweep of expired keys.
CREATE INDEX idempotent_requests_claimed_at ON idempotent_requests (claimed_at);
