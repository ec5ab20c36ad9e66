-- Every upload. The bytes are in object storage (`originals/<id>`, `variants/<id>/<file>`).
CREATE TABLE media (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    visibility TEXT NOT NULL,
    -- processing | ready | rejected
    state TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    width BIGINT NOT NULL DEFAULT 0,
    height BIGINT NOT NULL DEFAULT 0,
    blurhash TEXT NOT NULL DEFAULT '',
    -- JSON: the variants served (domain::StoredVariant).
    variants TEXT NOT NULL DEFAULT '[]',
    rejection_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    ready_at BIGINT
);
CREATE INDEX media_by_owner ON media (owner_id, created_at DESC, id);

-- Images waiting for their variants, fed by `media.uploaded`. A worker claims a job by moving
-- `run_after` forward, so two replicas never process one image at once.
CREATE TABLE media_jobs (
    media_id TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL DEFAULT 0,
    run_after BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX media_jobs_due ON media_jobs (run_after);

-- Which published listings show which media, from the property service's events: media in
-- use cannot be deleted.
CREATE TABLE media_uses (
    media_id TEXT NOT NULL,
    property TEXT NOT NULL,
    PRIMARY KEY (media_id, property)
);
CREATE INDEX media_uses_by_property ON media_uses (property);

-- Resumable uploads; their pieces are objects `uploads/<id>/<offset>`.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    visibility TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    received_bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

-- The key signed URLs are made with, shared by every replica (base64).
CREATE TABLE url_signing_keys (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
