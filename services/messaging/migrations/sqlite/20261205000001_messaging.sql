-- One conversation per listing, owner and inquirer. Times are Unix microseconds.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    listing TEXT NOT NULL,
    listing_title TEXT NOT NULL,
    -- stay | rental | sale
    topic TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    inquirer_id TEXT NOT NULL,
    booking TEXT NOT NULL DEFAULT '',
    -- 1 once contact details are shown as written (a booking was confirmed).
    contact_allowed BIGINT NOT NULL DEFAULT 0,
    -- 1 once a participant reported it: admins may read it.
    reported BIGINT NOT NULL DEFAULT 0,
    -- The number of the newest message. A message's number is taken under this row's lock,
    -- so numbers commit in order within a conversation.
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (listing, owner_id, inquirer_id)
);

-- Each participant's reading position, unread count and reminders.
CREATE TABLE participants (
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    read_at BIGINT,
    unread_count BIGINT NOT NULL DEFAULT 0,
    -- When the oldest unread message arrived; NULL with nothing unread.
    unread_since BIGINT,
    -- The conversation's `last_seq` the last reminder covered, and when it went.
    reminded_seq BIGINT NOT NULL DEFAULT 0,
    reminded_at BIGINT,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX participants_by_user ON participants (user_id);
CREATE INDEX participants_unread ON participants (unread_since);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    -- '' for system messages.
    sender_id TEXT NOT NULL,
    -- text | system
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    -- Media ids, space-separated.
    attachments TEXT NOT NULL DEFAULT '',
    system_event TEXT NOT NULL DEFAULT '',
    booking TEXT NOT NULL DEFAULT '',
    masked BIGINT NOT NULL DEFAULT 0,
    request_id TEXT NOT NULL DEFAULT '',
    -- The text's lower-cased words, what search matches.
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT,
    UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_by_request ON messages (conversation_id, sender_id, request_id)
    WHERE request_id <> '';
CREATE INDEX messages_by_sender ON messages (sender_id, created_at);

-- Each user's stream: every stored event in their conversations, numbered per user. A number
-- is taken under the user's `feeds` row lock, so numbers commit in order and a cursor never
-- skips one that commits later.
CREATE TABLE feeds (
    user_id TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE feed_events (
    user_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    conversation_id TEXT NOT NULL,
    -- sent | edited | deleted | read
    kind TEXT NOT NULL,
    -- The message sent, edited or deleted; for `read`, the newest message read.
    message_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE TABLE blocks (
    user_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    reporter_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    -- '' when the whole conversation is reported.
    message_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Who has a stream open, on any replica: renewed while it is.
CREATE TABLE presence (
    user_id TEXT PRIMARY KEY,
    connected_until BIGINT NOT NULL
);
