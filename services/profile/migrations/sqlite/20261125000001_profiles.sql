-- Profiles, keyed by identity's user id. Lists are stored as comma-separated text (language tags
-- and channel names contain no commas). Timestamps are Unix microseconds.
CREATE TABLE profiles (
    user_id               TEXT PRIMARY KEY,
    display_name          TEXT NOT NULL DEFAULT '',
    avatar_media_id       TEXT NOT NULL DEFAULT '',
    bio                   TEXT NOT NULL DEFAULT '',
    phone                 TEXT NOT NULL DEFAULT '',
    languages             TEXT NOT NULL DEFAULT '',
    city                  TEXT NOT NULL DEFAULT '',
    currency              TEXT NOT NULL DEFAULT '',
    language              TEXT NOT NULL DEFAULT '',
    notification_channels TEXT NOT NULL DEFAULT '',
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE host_profiles (
    user_id               TEXT PRIMARY KEY,
    about                 TEXT NOT NULL DEFAULT '',
    response_time_minutes BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL
);

-- verification_status: pending, verified or rejected.
CREATE TABLE agent_profiles (
    user_id             TEXT PRIMARY KEY,
    licence_number      TEXT NOT NULL DEFAULT '',
    verification_status TEXT NOT NULL CHECK (verification_status IN ('pending', 'verified', 'rejected')),
    verified_at         BIGINT,
    verified_by         TEXT,
    created_at          BIGINT NOT NULL
);

CREATE TABLE agencies (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE agency_members (
    agency_id  TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'agent')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (agency_id, user_id)
);
CREATE INDEX agency_members_by_user ON agency_members (user_id);
