-- Each listing's rating, as the review service's `review.rating_changed` events last said.
-- Columns beside the document, not in it: a rating is not the owner's write, so it changes
-- neither the listing's revision (its etag) nor updated_at. rating_count 0: no rating.
ALTER TABLE properties ADD COLUMN rating_average DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE properties ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE properties ADD COLUMN rating_score DOUBLE PRECISION NOT NULL DEFAULT 0;
