-- Saved searches, and what keeps their alerts single and spaced out.
CREATE TABLE saved_searches (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- The encoded estospaces.search.v1.PropertyQuery.
    query BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX saved_searches_owner ON saved_searches (owner_id, created_at);

-- One row per (saved search, listing change) already considered: replays of the topic (a
-- rebuild, another replica) never alert twice for the same change.
CREATE TABLE search_alerts (
    saved_search_id TEXT NOT NULL,
    property_id TEXT NOT NULL,
    aggregate_sequence BIGINT NOT NULL,
    sent BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (saved_search_id, property_id, aggregate_sequence)
);

-- When each user was last alerted, for the throttle.
CREATE TABLE alert_throttle (
    owner_id TEXT PRIMARY KEY,
    last_alert_at BIGINT NOT NULL
);
