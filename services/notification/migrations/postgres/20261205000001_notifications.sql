-- The keys one-time secrets are sealed to (X25519, base64). The private half never leaves
-- this database; the public half is published as `notification.delivery_key_published`.
CREATE TABLE delivery_keys (
    key_id TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Where each account's email goes, learned from `identity.user_registered`.
CREATE TABLE recipients (
    user_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each user's choices, as JSON (domain::Preferences); no row means the defaults.
CREATE TABLE preferences (
    user_id TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The in-app inbox. Ids are UUIDv7: they sort in the order notifications were made.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    -- One event makes at most one notification per recipient and template.
    dedupe_key TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    template TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    subject TEXT NOT NULL,
    read_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);

-- One message on one channel to one recipient: the queue and the delivery log in one.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    -- One event makes at most one message per channel, recipient and template.
    dedupe_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    template TEXT NOT NULL,
    address TEXT NOT NULL,
    -- The rendered message; emptied once an account message (which holds a token) is sent.
    title TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    unsubscribe_url TEXT NOT NULL,
    -- queued | sent | skipped | dead_lettered
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- A sender holds the row until then; another may take it after (a sender that died).
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_user ON deliveries (user_id, id);
CREATE INDEX deliveries_recent ON deliveries (user_id, channel, sent_at);

-- Saved-search matches waiting for the owner's next digest.
CREATE TABLE alert_matches (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    saved_search TEXT NOT NULL,
    property TEXT NOT NULL,
    title TEXT NOT NULL,
    price BIGINT NOT NULL,
    currency_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    digested_at BIGINT
);
CREATE INDEX alert_matches_pending ON alert_matches (digested_at, user_id);

-- When each user's last digest was made.
CREATE TABLE digests (
    user_id TEXT PRIMARY KEY,
    last_sent_at BIGINT NOT NULL
);

-- Listing titles, from property's events, so booking messages can name the place.
CREATE TABLE listings (
    property TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The devices (user agents) each account has signed in from: a sign-in from one not seen before
-- is worth telling the owner about.
CREATE TABLE known_devices (
    user_id TEXT NOT NULL,
    device TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device)
);

-- Check-in reminders of confirmed bookings, due the day before at 09:00 in the guest's time
-- zone; removed when the booking ends before then.
CREATE TABLE reminders (
    booking TEXT PRIMARY KEY,
    guest_id TEXT NOT NULL,
    host_id TEXT NOT NULL,
    -- The booking's details for the templates, as JSON.
    details TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX reminders_due ON reminders (sent_at, due_at);

-- Browsers' push subscriptions. The endpoint is unique: a browser registering again replaces
-- its keys.
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    endpoint TEXT NOT NULL UNIQUE,
    -- base64url, as the Push API gives them.
    p256dh_key TEXT NOT NULL,
    auth_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

-- The application server's VAPID key pair (P-256), made at first start: one row.
CREATE TABLE vapid_keys (
    id TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
