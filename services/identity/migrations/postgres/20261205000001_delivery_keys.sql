-- The notification service's delivery keys (public halves), learned from its
-- `notification.delivery_key_published` events: one-time tokens are sealed to the newest.
CREATE TABLE delivery_keys (
    key_id TEXT PRIMARY KEY,
    -- The 32-byte X25519 public key, base64 (standard alphabet).
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
