-- Stays that may be reviewed, from the booking service's events. Times are Unix microseconds.
CREATE TABLE stays (
    -- bookings/{booking}
    booking TEXT PRIMARY KEY,
    listing TEXT NOT NULL,
    guest_id TEXT NOT NULL,
    host_id TEXT NOT NULL,
    -- Midnight UTC of the check-out day.
    check_out_at BIGINT NOT NULL,
    -- confirmed | completed | cancelled
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Who asked an agent or landlord about a sale or rental listing, from messaging's events.
CREATE TABLE contacts (
    inquirer_id TEXT NOT NULL,
    listing TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (inquirer_id, listing)
);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    -- guest | host | agent
    kind TEXT NOT NULL,
    -- One review per author and subject: `bookings/{booking}` for stays, `agents/{user}` for
    -- an agent or landlord.
    subject_key TEXT NOT NULL,
    booking TEXT NOT NULL DEFAULT '',
    listing TEXT NOT NULL,
    author_id TEXT NOT NULL,
    reviewee_id TEXT NOT NULL,
    rating BIGINT NOT NULL,
    cleanliness BIGINT NOT NULL DEFAULT 0,
    accuracy BIGINT NOT NULL DEFAULT 0,
    communication BIGINT NOT NULL DEFAULT 0,
    location BIGINT NOT NULL DEFAULT 0,
    check_in BIGINT NOT NULL DEFAULT 0,
    value BIGINT NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    -- pending | published | hidden
    state TEXT NOT NULL,
    response TEXT NOT NULL DEFAULT '',
    responded_at BIGINT,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    window_closes_at BIGINT,
    request_id TEXT NOT NULL DEFAULT '',
    hidden_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (subject_key, author_id)
);
CREATE UNIQUE INDEX reviews_by_request ON reviews (author_id, request_id) WHERE request_id <> '';
CREATE INDEX reviews_of_listing ON reviews (listing, state, published_at);
CREATE INDEX reviews_of_reviewee ON reviews (reviewee_id, state, published_at);
CREATE INDEX reviews_by_author ON reviews (author_id, created_at);
CREATE INDEX reviews_pending ON reviews (state, window_closes_at);

-- One helpful mark per user and review.
CREATE TABLE votes (
    review_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, user_id)
);

-- One report per user and review, for the moderators.
CREATE TABLE reports (
    review_id TEXT NOT NULL,
    reporter_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, reporter_id)
);

-- Each listing's and user's rating summary, recomputed from `reviews` under this row's lock
-- whenever a review of theirs is published, hidden or restored: summaries and their events
-- follow each other in commit order.
CREATE TABLE summaries (
    -- properties/{property} | users/{user}
    subject TEXT PRIMARY KEY,
    review_count BIGINT NOT NULL DEFAULT 0,
    average_rating DOUBLE PRECISION NOT NULL DEFAULT 0,
    score DOUBLE PRECISION NOT NULL DEFAULT 0,
    cleanliness DOUBLE PRECISION NOT NULL DEFAULT 0,
    accuracy DOUBLE PRECISION NOT NULL DEFAULT 0,
    communication DOUBLE PRECISION NOT NULL DEFAULT 0,
    location DOUBLE PRECISION NOT NULL DEFAULT 0,
    check_in DOUBLE PRECISION NOT NULL DEFAULT 0,
    value DOUBLE PRECISION NOT NULL DEFAULT 0,
    guest_review_count BIGINT NOT NULL DEFAULT 0,
    guest_average_rating DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
