-- A session is one login on one device; its refresh tokens form a family. Only SHA-256 hashes of
-- refresh tokens are stored: they are 256-bit random strings, so a fast hash suffices.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent     TEXT NOT NULL,
    client_address TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    refreshed_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);

-- Every refresh token ever issued in a session. A token with rotated_at set was exchanged
-- already; presenting it again revokes the session (reuse detection).
CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    rotated_at BIGINT
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Single-use tokens sent by mail or handed out mid-login: email verification, password reset,
-- MFA challenge. Hashed like refresh tokens.
CREATE TABLE one_time_tokens (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('email_verification', 'password_reset', 'mfa_challenge')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (user_id);

-- A TOTP second factor. Pending until confirmed_at is set; last_step is the last accepted time
-- step, so a code is never accepted twice (RFC 6238 section 5.2).
CREATE TABLE mfa_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT
);

-- Recovery codes, SHA-256 hashed (80 random bits each).
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Failed sign-in attempts per throttling key (`account:<email>` or `address:<ip>`), counted in a
-- fixed window. Keyed by the email as typed (normalized), registered or not, so throttling
-- behaves the same for unknown emails.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT
);
