//! Wishlists and comparison lists: the `estospaces.review.v1.CollectionService` handlers.

use estospaces_storage::Database;

use crate::listings::Listings;
use crate::store::ReviewStore;

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct CollectionHandlers {
    #[allow(dead_code)]
    db: Database,
    #[allow(dead_code)]
    reviews: ReviewStore,
    #[allow(dead_code)]
    listings: Listings,
}

impl CollectionHandlers {
    pub fn new(db: Database, reviews: ReviewStore, listings: Listings) -> Self {
        Self {
            db,
            reviews,
            listings,
        }
    }
}
