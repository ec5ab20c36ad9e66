-- Bookings. Dates are whole days since 1970-01-01 (`check_in_day`), the same integers on
-- PostgreSQL and SQLite; timestamps are Unix microseconds. The locked quote is encoded
-- protobuf; the refund schedule is `days:basis_points` pairs (`5:10000,1:5000,0:0`).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE bookings (
    id                  TEXT PRIMARY KEY,
    property_id         TEXT NOT NULL,
    guest_id            TEXT NOT NULL,
    host_id             TEXT NOT NULL,
    check_in_day        BIGINT NOT NULL,
    check_out_day       BIGINT NOT NULL,
    guests              BIGINT NOT NULL,
    state               TEXT NOT NULL,
    booking_mode        TEXT NOT NULL,
    total_amount        BIGINT NOT NULL,
    currency_code       TEXT NOT NULL,
    platform_fee        BIGINT NOT NULL,
    quote               BYTEA NOT NULL,
    cancellation_policy BIGINT NOT NULL,
    refund_schedule     TEXT NOT NULL,
    hold_expires_at     BIGINT NOT NULL,
    payment_status      TEXT NOT NULL,
    payment_name        TEXT NOT NULL DEFAULT '',
    refund              BYTEA,
    end_reason          TEXT NOT NULL DEFAULT '',
    revision            BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    -- The creating request's id (AIP-155), so a retried create finds the booking it made.
    request_id          TEXT,
    UNIQUE (guest_id, request_id),
    CHECK (check_out_day > check_in_day),
    -- The backstop against double booking: two bookings holding a night of one listing cannot
    -- both be stored. Writers take a per-listing advisory lock first, so concurrent bookings of
    -- one listing queue instead of deadlocking on this constraint's index.
    CONSTRAINT bookings_no_overlapping_nights EXCLUDE USING gist (
        property_id WITH =,
        daterange(DATE '1970-01-01' + check_in_day::integer,
                  DATE '1970-01-01' + check_out_day::integer) WITH &&
    ) WHERE (state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed'))
);

CREATE INDEX bookings_guest ON bookings (guest_id, id);
CREATE INDEX bookings_host ON bookings (host_id, id);
CREATE INDEX bookings_property ON bookings (property_id, id);
-- The timer's scans: holds that lapse, stays that start or end.
CREATE INDEX bookings_state_hold ON bookings (state, hold_expires_at);

-- Every step of every booking's saga, in order.
CREATE TABLE booking_saga_steps (
    id         BIGSERIAL PRIMARY KEY,
    booking_id TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    step       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    event_id   TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX booking_saga_steps_booking ON booking_saga_steps (booking_id, id);

-- Nights the host blocked, mirrored from `property.calendar_changed`; bookings cannot hold them.
CREATE TABLE listing_blocked_nights (
    property_id TEXT NOT NULL,
    day         BIGINT NOT NULL,
    PRIMARY KEY (property_id, day)
);
