-- Listings. The listing itself is stored as its encoded `estospaces.property.v1.Property`
-- (`document`); the columns beside it are what queries filter, order and check on.
-- Timestamps are Unix microseconds so the same queries run on SQLite.
CREATE TABLE properties (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    country_code TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    document     BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    -- The creating request's id (AIP-155), so a retried create finds the listing it made.
    request_id   TEXT,
    UNIQUE (owner_id, request_id)
);

-- Public listing pages: by state, newest (highest UUIDv7) first.
CREATE INDEX properties_state_id ON properties (state, id);
CREATE INDEX properties_owner_id ON properties (owner_id, id);

-- Nights that cannot be booked; a night not here is open. `day` is ISO 8601 (`2027-06-30`),
-- which orders like the dates it names.
CREATE TABLE property_calendar (
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('blocked', 'booked')),
    booking_id  TEXT,
    PRIMARY KEY (property_id, day)
);

-- View counts, apart from the listing so a view never writes the listing row: counted in
-- memory and added here periodically.
CREATE TABLE property_view_counts (
    property_id TEXT PRIMARY KEY REFERENCES properties (id) ON DELETE CASCADE,
    views       BIGINT NOT NULL
);
