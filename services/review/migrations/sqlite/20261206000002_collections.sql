-- Wishlists and comparison lists. Times are Unix microseconds.

CREATE TABLE wishlists (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    title TEXT NOT NULL,
    -- The read-only link's token while shared; empty otherwise.
    share_token TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX wishlists_of_owner ON wishlists (owner_id, updated_at, id);
CREATE UNIQUE INDEX wishlists_by_share_token ON wishlists (share_token) WHERE share_token <> '';

CREATE TABLE wishlist_listings (
    wishlist_id TEXT NOT NULL,
    -- properties/{property}
    listing TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (wishlist_id, listing)
);
CREATE INDEX wishlist_listings_by_listing ON wishlist_listings (listing);

-- One row per listing ever saved, locked while its saves change: writers of one listing
-- take turns, so its save counts and `favorite.*` events follow commit order.
CREATE TABLE saved_listings (
    listing TEXT PRIMARY KEY,
    updated_at BIGINT NOT NULL
);

CREATE TABLE comparisons (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    title TEXT NOT NULL,
    -- One to four properties/{property}, in display order, joined by newlines.
    listings TEXT NOT NULL,
    -- YYYY-MM-DD, or both empty.
    check_in TEXT NOT NULL DEFAULT '',
    check_out TEXT NOT NULL DEFAULT '',
    guests BIGINT NOT NULL DEFAULT 1,
    share_token TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX comparisons_of_owner ON comparisons (owner_id, updated_at, id);
CREATE UNIQUE INDEX comparisons_by_share_token ON comparisons (share_token) WHERE share_token <> '';
