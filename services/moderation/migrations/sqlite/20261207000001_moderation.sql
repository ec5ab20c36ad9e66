-- The moderation service's tables. Times are Unix microseconds.

-- The queue: one open case per target at most; reports about it join it.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    -- listing | user | conversation | review | media
    target_kind TEXT NOT NULL,
    -- The account behind the target; '' when unknown.
    subject_id TEXT NOT NULL DEFAULT '',
    -- report | automatic_check | listing_review
    origin TEXT NOT NULL,
    -- open | assigned | decided
    state TEXT NOT NULL,
    priority BIGINT NOT NULL,
    report_count BIGINT NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    -- Rule ids, comma-separated.
    fired_rules TEXT NOT NULL DEFAULT '',
    assignee_id TEXT NOT NULL DEFAULT '',
    decision TEXT NOT NULL DEFAULT '',
    decision_reason TEXT NOT NULL DEFAULT '',
    decider_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE UNIQUE INDEX cases_one_open_per_target ON cases (target) WHERE state <> 'decided';
CREATE INDEX cases_queue ON cases (state, priority DESC, created_at);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    reporter_id TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    created_at BIGINT NOT NULL
);
-- A reporter reports a target once per case.
CREATE UNIQUE INDEX reports_once_per_case ON reports (reporter_id, case_id);
CREATE INDEX reports_by_reporter ON reports (reporter_id, created_at DESC);

-- The automatic checks' rules: data admins edit.
CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- banned_words | links | contact_details | duplicate_text | velocity | new_account
    kind TEXT NOT NULL,
    weight BIGINT NOT NULL,
    -- listing,review; '' for every kind.
    content_kinds TEXT NOT NULL DEFAULT '',
    -- One word or phrase per line.
    words TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT '',
    window_seconds BIGINT NOT NULL DEFAULT 0,
    limit_count BIGINT NOT NULL DEFAULT 0,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The defaults a new platform starts with (documented in docs/moderation.md).
INSERT INTO rules (id, display_name, kind, weight, content_kinds, words, locale, window_seconds, limit_count, enabled, created_at, updated_at) VALUES
    ('0193a000-0000-7000-8000-000000000001', 'Links', 'links', 30, '', '', '', 0, 0, 1, 0, 0),
    ('0193a000-0000-7000-8000-000000000002', 'Contact details', 'contact_details', 40, '', '', '', 0, 0, 1, 0, 0),
    ('0193a000-0000-7000-8000-000000000003', 'Payment outside the platform', 'banned_words', 60, '',
        'western union' || char(10) || 'moneygram' || char(10) || 'wire transfer' || char(10) || 'gift card' || char(10) || 'pay outside', 'en', 0, 0, 1, 0, 0),
    ('0193a000-0000-7000-8000-000000000004', 'Same text from another account', 'duplicate_text', 25, '', '', '', 86400, 0, 1, 0, 0),
    ('0193a000-0000-7000-8000-000000000005', 'More than 20 in an hour', 'velocity', 15, '', '', '', 3600, 20, 1, 0, 0),
    ('0193a000-0000-7000-8000-000000000006', 'Account younger than a day', 'new_account', 5, '', '', '', 86400, 0, 1, 0, 0);

-- What the automatic checks said about each piece of content.
CREATE TABLE content_checks (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    -- listing | review
    content_kind TEXT NOT NULL,
    author_id TEXT NOT NULL,
    -- SHA-256 of the normalized text: duplicates across accounts, and unchanged text not
    -- checked twice.
    text_hash TEXT NOT NULL,
    score BIGINT NOT NULL,
    fired_rules TEXT NOT NULL,
    held BIGINT NOT NULL,
    case_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX content_checks_by_target ON content_checks (target, created_at DESC);
CREATE INDEX content_checks_by_hash ON content_checks (text_hash, created_at);
CREATE INDEX content_checks_by_author ON content_checks (author_id, content_kind, created_at);

-- Accounts as identity's events tell them: their age for the new-account rule, and the count.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);

-- The audit trail: appended, never changed.
CREATE TABLE audit_entries (
    id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    before_state TEXT NOT NULL,
    after_state TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_entries_by_time ON audit_entries (created_at DESC, id DESC);

-- No API changes or removes an entry; the database refuses to as well.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;

-- Daily figures from the services' events: (day, metric, currency) -> value.
CREATE TABLE daily_metrics (
    day TEXT NOT NULL,
    metric TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT '',
    value BIGINT NOT NULL,
    PRIMARY KEY (day, metric, currency)
);

-- Each listing's state now, from property's events.
CREATE TABLE listing_states (
    listing TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
