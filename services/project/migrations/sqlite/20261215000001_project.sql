-- The project service's tables. Times are Unix microseconds; dates are ISO `YYYY-MM-DD` text,
-- which sorts like dates.

CREATE TABLE projects (
    id                       TEXT PRIMARY KEY,
    developer_id             TEXT NOT NULL,
    display_name             TEXT NOT NULL,
    description              TEXT NOT NULL,
    address                  TEXT NOT NULL,
    city                     TEXT NOT NULL,
    -- The city lower-cased: ListProjects filters on it.
    city_key                 TEXT NOT NULL,
    country_code             TEXT NOT NULL,
    currency_code            TEXT NOT NULL,
    -- planned | under_construction | completed
    stage                    TEXT NOT NULL,
    -- '' when not given.
    expected_completion_date TEXT NOT NULL,
    revision                 BIGINT NOT NULL,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL
);
CREATE INDEX projects_by_time ON projects (created_at DESC, id DESC);
CREATE INDEX projects_by_developer ON projects (developer_id, created_at DESC, id DESC);
CREATE INDEX projects_by_city ON projects (city_key, created_at DESC, id DESC);

CREATE TABLE units (
    id                 TEXT PRIMARY KEY,
    project_id         TEXT NOT NULL REFERENCES projects (id),
    display_name       TEXT NOT NULL,
    unit_type          TEXT NOT NULL,
    floor              BIGINT NOT NULL,
    area_square_meters REAL NOT NULL,
    bedrooms           BIGINT NOT NULL,
    bathrooms          BIGINT NOT NULL,
    price              BIGINT NOT NULL,
    deposit_amount     BIGINT NOT NULL,
    currency_code      TEXT NOT NULL,
    -- properties/{property}; NULL when none. A listing is the listing of one unit at most.
    listing            TEXT UNIQUE,
    -- available | reserved | sold
    state              TEXT NOT NULL,
    -- The reservation holding the unit (reserved) or that sold it (sold); NULL otherwise.
    reservation_id     TEXT,
    revision           BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (project_id, display_name)
);
CREATE INDEX units_by_project ON units (project_id, floor, display_name, id);
CREATE INDEX units_by_state ON units (project_id, state);

CREATE TABLE milestones (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects (id),
    display_name TEXT NOT NULL,
    description  TEXT NOT NULL,
    planned_date TEXT NOT NULL,
    completed_at BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX milestones_by_project ON milestones (project_id, planned_date, id);

CREATE TABLE progress_updates (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL REFERENCES projects (id),
    text             TEXT NOT NULL,
    progress_percent BIGINT NOT NULL,
    -- A JSON array of media/{media} names.
    media            TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX progress_updates_by_project ON progress_updates (project_id, created_at DESC, id DESC);

CREATE TABLE project_documents (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id),
    -- brochure | floor_plan | specification | permit | other
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    media      TEXT NOT NULL,
    -- The unit's id, or '' for the whole project.
    unit_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX project_documents_by_project ON project_documents (project_id, created_at, id);

-- Reservations. The payment method is never stored: it travels only in the
-- `reservation.requested` event, to the payment service.
CREATE TABLE reservations (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects (id),
    unit_id        TEXT NOT NULL REFERENCES units (id),
    buyer_id       TEXT NOT NULL,
    developer_id   TEXT NOT NULL,
    deposit_amount BIGINT NOT NULL,
    currency_code  TEXT NOT NULL,
    -- pending_payment | reserved | completed | released
    state          TEXT NOT NULL,
    -- '' | payment_failed | expired | cancelled_by_buyer | cancelled_by_developer
    release_reason TEXT NOT NULL,
    failure_code   TEXT NOT NULL,
    -- The buyer's AIP-155 request id; NULL when none was sent.
    request_id     TEXT,
    expire_at      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (buyer_id, request_id)
);
CREATE INDEX reservations_by_project ON reservations (project_id, created_at DESC, id DESC);
CREATE INDEX reservations_by_buyer ON reservations (buyer_id, created_at DESC, id DESC);
CREATE INDEX reservations_pending ON reservations (expire_at) WHERE state = 'pending_payment';
-- The backstop of the units' conditional update: one live reservation per unit.
CREATE UNIQUE INDEX reservations_one_live_per_unit ON reservations (unit_id)
    WHERE state IN ('pending_payment', 'reserved');
