-- Moderation. States `pending_review`, `rejected` and `taken_down` need no DDL (`state` is
-- TEXT). `moderation_reason` is why a moderator rejected or took down the listing, as its owner
-- reads it ('' otherwise); a column, not in the document, because the owner does not write it.
ALTER TABLE properties ADD COLUMN moderation_reason TEXT NOT NULL DEFAULT '';
-- When the listing was first published (directly or by a moderator's approval); NULL if never.
-- `listing_review = "new_hosts"` reviews the listings of owners with none published before.
ALTER TABLE properties ADD COLUMN first_published_at BIGINT;
-- Listings that are or were live before this column existed (paused ones were published).
UPDATE properties SET first_published_at = updated_at
    WHERE state IN ('published', 'paused', 'sold', 'rented');
