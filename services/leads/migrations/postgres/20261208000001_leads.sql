-- The leads service's tables. Times are Unix microseconds.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- One lead per person and listing: a person is `user:{id}` or `email:{address}`.
CREATE TABLE leads (
    id                TEXT PRIMARY KEY,
    listing           TEXT NOT NULL,
    listing_title     TEXT NOT NULL,
    -- sale | rental
    listing_kind      TEXT NOT NULL,
    -- The asking price or the monthly rent when the lead last heard; 0 if unknown.
    price             BIGINT NOT NULL,
    currency_code     TEXT NOT NULL,
    agent_id          TEXT NOT NULL,
    -- agencies/{agency}, or '' for an independent agent.
    agency            TEXT NOT NULL,
    person_key        TEXT NOT NULL,
    contact_user_id   TEXT NOT NULL,
    contact_name      TEXT NOT NULL,
    contact_email     TEXT NOT NULL,
    contact_phone     TEXT NOT NULL,
    -- form | messaging
    source            TEXT NOT NULL,
    conversation      TEXT NOT NULL,
    -- new | contacted | viewing_scheduled | offer | won | lost
    stage             TEXT NOT NULL,
    lost_reason       TEXT NOT NULL,
    lost_note         TEXT NOT NULL,
    budget            BIGINT NOT NULL,
    -- '' | cash | mortgage_approved | mortgage_needed
    financing         TEXT NOT NULL,
    inquiry_count     BIGINT NOT NULL,
    last_message      TEXT NOT NULL,
    score             BIGINT NOT NULL,
    -- The score's factors, encoded `ScoreFactor`s in JSON.
    score_factors     TEXT NOT NULL,
    first_response_at BIGINT,
    revision          BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (listing, person_key)
);
CREATE INDEX leads_by_agent ON leads (agent_id, created_at DESC, id DESC);
CREATE INDEX leads_by_agency ON leads (agency, created_at DESC, id DESC);
CREATE INDEX leads_by_contact ON leads (contact_user_id, listing);

CREATE TABLE lead_notes (
    id         TEXT PRIMARY KEY,
    lead_id    TEXT NOT NULL REFERENCES leads (id),
    author_id  TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX lead_notes_by_lead ON lead_notes (lead_id, created_at, id);

CREATE TABLE lead_tasks (
    id           TEXT PRIMARY KEY,
    lead_id      TEXT NOT NULL REFERENCES leads (id),
    title        TEXT NOT NULL,
    due_at       BIGINT NOT NULL,
    completed_at BIGINT,
    creator_id   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX lead_tasks_by_lead ON lead_tasks (lead_id, due_at, id);

-- Agents' viewing slots. One lead books a slot (a lead holds at most one), and one agent's
-- slots never overlap: the exclusion constraint is the backstop for concurrent creations.
CREATE TABLE viewing_slots (
    id         TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    -- properties/{property}, or '' for any of the agent's listings.
    listing    TEXT NOT NULL,
    start_at   BIGINT NOT NULL,
    end_at     BIGINT NOT NULL,
    lead_id    TEXT UNIQUE REFERENCES leads (id),
    booked_at  BIGINT,
    created_at BIGINT NOT NULL,
    CHECK (end_at > start_at),
    CONSTRAINT viewing_slots_no_overlap EXCLUDE USING gist (
        agent_id WITH =,
        int8range(start_at, end_at) WITH &&
    )
);
CREATE INDEX viewing_slots_by_agent ON viewing_slots (agent_id, start_at, id);

-- What the score hears from other services: a saved search of the user matched the listing
-- (`saved_search`, keyed by the search), the user saved it to a wishlist (`favorite`, keyed by
-- the wishlist).
CREATE TABLE lead_signals (
    listing    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (listing, user_id, kind, source)
);

-- Round robin within an agency: who was given a lead when.
CREATE TABLE agency_assignments (
    agency           TEXT NOT NULL,
    agent_id         TEXT NOT NULL,
    last_assigned_at BIGINT NOT NULL,
    PRIMARY KEY (agency, agent_id)
);
