-- Provider calls waiting to be made, or whose outcome is not recorded yet: a step is written
-- (with its idempotency key) before the provider is called and deleted in the transaction
-- that records the outcome. A step left behind by a crash is run again with the same key, so
-- the provider answers with what it did the first time (see src/steps.rs).
CREATE TABLE payment_steps (
    id              TEXT PRIMARY KEY,
    -- The payment (for an authorization: the id the payment will have).
    payment_id      TEXT NOT NULL,
    booking_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
    -- Capture and refund: how much; NULL for all of it.
    amount          BIGINT,
    -- The provider's idempotency key.
    provider_key    TEXT NOT NULL UNIQUE,
    -- An authorization's request (an encoded estospaces.payment.v1.AuthorizePaymentRequest,
    -- payment method included): deleted with the step.
    request         BYTEA,
    -- 1: a capture at check-in, which also schedules the host's payout.
    schedule_payout BIGINT NOT NULL DEFAULT 0,
    -- The event that asked for the step (its correlation and event id), empty for an RPC.
    correlation_id  TEXT NOT NULL DEFAULT '',
    causation_id    TEXT NOT NULL DEFAULT '',
    -- The RPC that asked for the step: its result is kept under this caller's key.
    rpc_caller_id   TEXT,
    rpc_key         TEXT,
    -- 'pending' until done (then deleted); 'refused' when the provider refused it for good
    -- and nothing could be recorded: kept for an operator.
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'refused')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    run_after       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX payment_steps_one_authorization ON payment_steps (booking_id)
    WHERE kind = 'authorize';
CREATE INDEX payment_steps_due ON payment_steps (state, run_after);
CREATE INDEX payment_steps_payment ON payment_steps (payment_id, id);
CREATE INDEX payment_steps_rpc ON payment_steps (rpc_caller_id, rpc_key);

-- Bookings that ended (expired, declined, cancelled, failed): an authorization that arrives
-- for one of them, or is still held, is voided (the orphan sweeper in src/steps.rs).
CREATE TABLE ended_bookings (
    booking_id TEXT PRIMARY KEY,
    ended_at   BIGINT NOT NULL
);
