-- Payments, one per booking. Amounts are integer minor units of `currency_code`; timestamps
-- are Unix microseconds so the same queries run on SQLite. The card number is never stored:
-- `payment_method_hint` is what may be shown (`card ending 4242`).
CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    booking_id          TEXT NOT NULL UNIQUE,
    payer_id            TEXT NOT NULL,
    host_id             TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN
                            ('authorized', 'failed', 'voided', 'captured',
                             'partially_refunded', 'refunded')),
    currency_code       TEXT NOT NULL,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    platform_fee        BIGINT NOT NULL CHECK (platform_fee >= 0 AND platform_fee <= amount),
    -- What was captured, and the platform's part of it.
    captured_amount     BIGINT NOT NULL DEFAULT 0,
    captured_fee        BIGINT NOT NULL DEFAULT 0,
    -- What was refunded, and the platform's part of it.
    refunded_amount     BIGINT NOT NULL DEFAULT 0,
    refunded_fee        BIGINT NOT NULL DEFAULT 0,
    payment_method_hint TEXT NOT NULL,
    provider            TEXT NOT NULL,
    provider_payment_id TEXT NOT NULL,
    failure_code        TEXT NOT NULL DEFAULT '',
    failure_message     TEXT NOT NULL DEFAULT '',
    revision            BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK (captured_amount >= 0 AND captured_amount <= amount),
    CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount)
);

CREATE INDEX payments_payer ON payments (payer_id, id);
CREATE INDEX payments_host ON payments (host_id, id);

-- The double-entry ledger: every transaction's entries sum to zero per currency (checked in
-- code before they are written). Positive amounts debit the account, negative credit it.
CREATE TABLE ledger_entries (
    transaction_id TEXT NOT NULL,
    entry_index    INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    account        TEXT NOT NULL,
    currency_code  TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    payment_id     TEXT NOT NULL REFERENCES payments (id),
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, entry_index)
);

CREATE INDEX ledger_entries_account ON ledger_entries (account, currency_code);
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id);

-- What is owed to hosts, one payout per payment, due some time after check-in. The amount is
-- fixed when it is paid: what the host is owed then, after any refund.
CREATE TABLE payouts (
    id            TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL UNIQUE REFERENCES payments (id),
    booking_id    TEXT NOT NULL,
    host_id       TEXT NOT NULL,
    currency_code TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('scheduled', 'paid', 'cancelled')),
    amount        BIGINT NOT NULL DEFAULT 0,
    scheduled_at  BIGINT NOT NULL,
    completed_at  BIGINT
);

CREATE INDEX payouts_due ON payouts (state, scheduled_at);
CREATE INDEX payouts_host ON payouts (host_id, id);

-- Results of mutating calls by idempotency key (Stripe's semantics), kept 24 hours. Either the
-- encoded response or the error (gRPC code, message and encoded google.rpc.Status details).
CREATE TABLE idempotency_keys (
    caller_id       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- The method and a SHA-256 of the request: a reused key must come with the same request.
    fingerprint     TEXT NOT NULL,
    response        BLOB,
    error_code      INTEGER,
    error_message   TEXT,
    error_details   BLOB,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (caller_id, idempotency_key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
