-- How clients rate agents: the review service's latest summary of each user's published
-- reviews (`review.rating_changed` of `users/{user}/ratingSummary`), replaced by each newer one.
CREATE TABLE agent_ratings (
    user_id        TEXT PRIMARY KEY,
    review_count   BIGINT NOT NULL,
    average_rating REAL NOT NULL,
    updated_at     BIGINT NOT NULL
);
