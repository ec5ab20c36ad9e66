-- Suspensions and bans. An account's tokens issued up to `tokens_revoked_at` are refused by
-- every service (ListTokenRevocations); a suspension whose end passed reads as active.
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'suspended', 'banned'));
ALTER TABLE users ADD COLUMN suspended_until BIGINT;
ALTER TABLE users ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN tokens_revoked_at BIGINT;
CREATE INDEX users_tokens_revoked_at ON users (tokens_revoked_at)
    WHERE tokens_revoked_at IS NOT NULL;

-- Moderators work the moderation queue.
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('guest', 'host', 'agent', 'admin', 'moderator'));
