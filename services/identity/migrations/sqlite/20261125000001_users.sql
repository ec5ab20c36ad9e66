-- Accounts. Timestamps are Unix microseconds so the same queries run on SQLite.
CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    email_verified_at BIGINT,
    created_at        BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('guest', 'host', 'agent', 'admin')),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Ed25519 keys that sign access tokens. A retired key no longer signs but stays published
-- until the tokens it signed have expired.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
