-- Bookings. Dates are whole days since 1970-01-01 (`check_in_day`), the same integers on
-- PostgreSQL and SQLite; timestamps are Unix microseconds. The locked quote is encoded
-- protobuf; the refund schedule is `days:basis_points` pairs (`5:10000,1:5000,0:0`).
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
    quote               BLOB NOT NULL,
    cancellation_policy BIGINT NOT NULL,
    refund_schedule     TEXT NOT NULL,
    hold_expires_at     BIGINT NOT NULL,
    payment_status      TEXT NOT NULL,
    payment_name        TEXT NOT NULL DEFAULT '',
    refund              BLOB,
    end_reason          TEXT NOT NULL DEFAULT '',
    revision            BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    -- The creating request's id (AIP-155), so a retried create finds the booking it made.
    request_id          TEXT,
    UNIQUE (guest_id, request_id),
    CHECK (check_out_day > check_in_day)
);

CREATE INDEX bookings_guest ON bookings (guest_id, id);
CREATE INDEX bookings_host ON bookings (host_id, id);
CREATE INDEX bookings_property ON bookings (property_id, id);
CREATE INDEX bookings_state_hold ON bookings (state, hold_expires_at);

-- The backstop against double booking, SQLite's equivalent of PostgreSQL's exclusion
-- constraint: SQLite runs one writer at a time, so a trigger checking the other active
-- bookings of the listing sees every committed one.
CREATE TRIGGER bookings_no_overlapping_nights_insert
BEFORE INSERT ON bookings
WHEN NEW.state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')
BEGIN
    SELECT RAISE(ABORT, 'NIGHTS_UNAVAILABLE: bookings_no_overlapping_nights')
    WHERE EXISTS (
        SELECT 1 FROM bookings
        WHERE property_id = NEW.property_id
          AND state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')
          AND check_in_day < NEW.check_out_day AND NEW.check_in_day < check_out_day
    );
END;

CREATE TRIGGER bookings_no_overlapping_nights_update
BEFORE UPDATE OF state ON bookings
WHEN NEW.state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')
 AND OLD.state NOT IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')
BEGIN
    SELECT RAISE(ABORT, 'NIGHTS_UNAVAILABLE: bookings_no_overlapping_nights')
    WHERE EXISTS (
        SELECT 1 FROM bookings
        WHERE property_id = NEW.property_id AND id <> NEW.id
          AND state IN ('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')
          AND check_in_day < NEW.check_out_day AND NEW.check_in_day < check_out_day
    );
END;

-- Every step of every booking's saga, in order.
CREATE TABLE booking_saga_steps (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
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

-- One row per listing, written first by every booking of the listing: the write takes
-- SQLite's write lock before the overlap checks read, so checks and insert are one serialized
-- step (what `BEGIN IMMEDIATE` does, through the pool's ordinary transactions).
CREATE TABLE listing_locks (
    property_id TEXT PRIMARY KEY,
    bookings    BIGINT NOT NULL
);
