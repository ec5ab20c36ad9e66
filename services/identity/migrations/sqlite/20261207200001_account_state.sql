-- Suspensions and bans. An account's tokens issued up to `tokens_revoked_at` are refused by
-- every service (ListTokenRevocations); a suspension whose end passed reads as active.
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'suspended', 'banned'));
ALTER TABLE users ADD COLUMN suspended_until BIGINT;
ALTER TABLE users ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN tokens_revoked_at BIGINT;
CREATE INDEX users_tokens_revoked_at ON users (tokens_revoked_at)
    WHERE tokens_revoked_at IS NOT NULL;

-- Moderators work the moderation queue. SQLite cannot change a CHECK: the table is rebuilt.
CREATE TABLE user_roles_new (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('guest', 'host', 'agent', 'admin', 'moderator')),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles_new (user_id, role, granted_at)
    SELECT user_id, role, granted_at FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;
