//! Wishlists and comparison lists: the `estospaces.review.v1.CollectionService` handlers.
//!
//! A user's wishlists and comparisons are theirs alone, admins included: anyone else naming
//! one is PERMISSION_DENIED before anything is looked up. A shared one is read, without its
//! token, by anyone holding its link.

mod compare;
mod store;

use estospaces_auth::policy::{self, Caller};
use estospaces_proto::review_v1 as pb;
use estospaces_proto::review_v1::collection_service_server::CollectionService;
use estospaces_status::ApiError;
use estospaces_storage::Database;
use prost_types::FieldMask;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use self::compare::listing_name;
use self::store::{CollectionStore, ComparisonRecord, Saved, Sharing, WishlistRecord};
use crate::DOMAIN;
use crate::listings::Listings;
use crate::service::{cursor, db, invalid, page_size};
use crate::store::{Cursor, ReviewStore};

/// How long a wishlist's title is at most, in characters.
const MAX_TITLE: usize = 100;

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct CollectionHandlers {
    store: CollectionStore,
    reviews: ReviewStore,
    listings: Listings,
}

impl CollectionHandlers {
    pub fn new(db: Database, reviews: ReviewStore, listings: Listings) -> Self {
        Self {
            store: CollectionStore::new(db),
            reviews,
            listings,
        }
    }
}

/// `user`'s id, when `caller` is them.
fn as_owner(caller: &Caller, user: Uuid) -> Result<String, ApiError> {
    if Uuid::parse_str(&caller.user_id).ok() == Some(user) {
        Ok(user.to_string())
    } else {
        Err(ApiError::permission_denied(DOMAIN, "owner"))
    }
}

/// The caller's id, when `parent` is their `users/{user}`.
fn own_parent<T>(request: &Request<T>, parent: &str) -> Result<String, ApiError> {
    let caller = policy::authenticated(request)?;
    let user = parent
        .strip_prefix("users/")
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| invalid("parent", "must be a resource name like users/{user}"))?;
    as_owner(caller, user)
}

/// The caller's id and the item's, when `name` is their `users/{user}/{collection}/{id}`.
fn own_item<T>(
    request: &Request<T>,
    field: &str,
    name: &str,
    collection: &str,
) -> Result<(String, Uuid), ApiError> {
    let caller = policy::authenticated(request)?;
    let parsed = name.strip_prefix("users/").and_then(|rest| {
        let (user, rest) = rest.split_once('/')?;
        let id = rest.strip_prefix(collection)?.strip_prefix('/')?;
        Some((Uuid::parse_str(user).ok()?, Uuid::parse_str(id).ok()?))
    });
    let (user, id) = parsed.ok_or_else(|| {
        invalid(
            field,
            format!("must be a resource name like users/{{user}}/{collection}/{{id}}"),
        )
    })?;
    Ok((as_owner(caller, user)?, id))
}

fn listing_field(field: &str, name: &str) -> Result<String, ApiError> {
    listing_name(name)
        .ok_or_else(|| invalid(field, "must be a resource name like properties/{property}"))
}

/// Keeps the first `limit` of `records` (fetched one over); the token of the next page.
fn next_token<T>(records: &mut Vec<T>, limit: i64, cursor: impl Fn(&T) -> Cursor) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if records.len() <= limit {
        return String::new();
    }
    records.truncate(limit);
    records.last().map_or_else(String::new, |last| {
        let (at, id) = cursor(last);
        format!("{at}.{id}")
    })
}

/// The paths of `mask` (every one of `allowed` when empty).
fn mask_paths(mask: Option<&FieldMask>, allowed: &[&'static str]) -> Result<Vec<String>, ApiError> {
    let paths = mask.map(|mask| mask.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Ok(allowed.iter().map(|path| (*path).to_owned()).collect());
    }
    if let Some(unknown) = paths.iter().find(|path| !allowed.contains(&path.as_str())) {
        return Err(invalid(
            "update_mask",
            format!("`{unknown}` cannot be changed; {} can", allowed.join(", ")),
        ));
    }
    Ok(paths)
}

fn wishlist_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(invalid("wishlist.title", "required"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(invalid("wishlist.title", "at most 100 characters"));
    }
    Ok(title.to_owned())
}

fn share_token_of(shared: bool) -> String {
    if shared {
        store::new_share_token()
    } else {
        String::new()
    }
}

fn shared_token(token: &str) -> Result<&str, ApiError> {
    if token.is_empty() {
        return Err(invalid("share_token", "required"));
    }
    Ok(token)
}

impl CollectionHandlers {
    async fn own_wishlist(&self, owner: &str, id: Uuid) -> Result<WishlistRecord, ApiError> {
        self.store
            .wishlist(owner, id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &store::wishlist_name(owner, id)))
    }

    async fn own_comparison(&self, owner: &str, id: Uuid) -> Result<ComparisonRecord, ApiError> {
        self.store
            .comparison(owner, id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &format!("users/{owner}/comparisons/{id}")))
    }
}

#[tonic::async_trait]
impl CollectionService for CollectionHandlers {
    async fn create_wishlist(
        &self,
        request: Request<pb::CreateWishlistRequest>,
    ) -> Result<Response<pb::CreateWishlistResponse>, Status> {
        let owner = own_parent(&request, &request.get_ref().parent)?;
        let Some(draft) = request.get_ref().wishlist.as_ref() else {
            return Err(invalid("wishlist", "required").into());
        };
        let mut wishlist = WishlistRecord::new(&owner, wishlist_title(&draft.title)?);
        wishlist.share_token = share_token_of(draft.shared);
        self.store.create_wishlist(&wishlist).await.map_err(db)?;
        Ok(Response::new(pb::CreateWishlistResponse {
            wishlist: Some(wishlist.proto()),
        }))
    }

    async fn list_wishlists(
        &self,
        request: Request<pb::ListWishlistsRequest>,
    ) -> Result<Response<pb::ListWishlistsResponse>, Status> {
        let message = request.get_ref();
        let owner = own_parent(&request, &message.parent)?;
        let limit = page_size(message.page_size)?;
        let after = cursor(&message.page_token)?;
        let mut wishlists = self
            .store
            .wishlists(&owner, after.as_ref(), limit)
            .await
            .map_err(db)?;
        let next_page_token = next_token(&mut wishlists, limit, WishlistRecord::cursor);
        Ok(Response::new(pb::ListWishlistsResponse {
            wishlists: wishlists.iter().map(WishlistRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn get_wishlist(
        &self,
        request: Request<pb::GetWishlistRequest>,
    ) -> Result<Response<pb::GetWishlistResponse>, Status> {
        let (owner, id) = own_item(&request, "name", &request.get_ref().name, "wishlists")?;
        let wishlist = self.own_wishlist(&owner, id).await?;
        Ok(Response::new(pb::GetWishlistResponse {
            wishlist: Some(wishlist.proto()),
        }))
    }

    async fn update_wishlist(
        &self,
        request: Request<pb::UpdateWishlistRequest>,
    ) -> Result<Response<pb::UpdateWishlistResponse>, Status> {
        let message = request.get_ref();
        let Some(changes) = message.wishlist.as_ref() else {
            return Err(invalid("wishlist", "required").into());
        };
        let (owner, id) = own_item(&request, "wishlist.name", &changes.name, "wishlists")?;
        let paths = mask_paths(message.update_mask.as_ref(), &["title", "shared"])?;
        let title = if paths.iter().any(|path| path == "title") {
            Some(wishlist_title(&changes.title)?)
        } else {
            None
        };
        let sharing = if paths.iter().any(|path| path == "shared") {
            Sharing::from_shared(changes.shared)
        } else {
            Sharing::Keep
        };
        let updated = self
            .store
            .update_wishlist(&owner, id, title.as_deref(), sharing)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &changes.name))?;
        Ok(Response::new(pb::UpdateWishlistResponse {
            wishlist: Some(updated.proto()),
        }))
    }

    async fn delete_wishlist(
        &self,
        request: Request<pb::DeleteWishlistRequest>,
    ) -> Result<Response<pb::DeleteWishlistResponse>, Status> {
        let name = &request.get_ref().name;
        let (owner, id) = own_item(&request, "name", name, "wishlists")?;
        if !self.store.delete_wishlist(&owner, id).await.map_err(db)? {
            return Err(ApiError::not_found(DOMAIN, name).into());
        }
        Ok(Response::new(pb::DeleteWishlistResponse {}))
    }

    async fn add_wishlist_listing(
        &self,
        request: Request<pb::AddWishlistListingRequest>,
    ) -> Result<Response<pb::AddWishlistListingResponse>, Status> {
        let message = request.get_ref();
        let (owner, id) = own_item(&request, "name", &message.name, "wishlists")?;
        let listing = listing_field("listing", &message.listing)?;
        let current = self.own_wishlist(&owner, id).await?;
        // Saving again changes nothing, even once the listing is no longer offered.
        if current.listings.iter().any(|(saved, _)| *saved == listing) {
            return Ok(Response::new(pb::AddWishlistListingResponse {
                wishlist: Some(current.proto()),
            }));
        }
        self.listings.published(&listing).await?;
        let saved = match self
            .store
            .add_listing(&owner, id, &listing)
            .await
            .map_err(db)?
        {
            Saved::Wishlist(saved) => saved,
            Saved::NotFound => return Err(ApiError::not_found(DOMAIN, &message.name).into()),
            Saved::Full => {
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "WISHLIST_FULL",
                    format!(
                        "a wishlist holds at most {} listings",
                        store::MAX_WISHLIST_LISTINGS
                    ),
                )
                .into());
            }
        };
        Ok(Response::new(pb::AddWishlistListingResponse {
            wishlist: Some(saved.proto()),
        }))
    }

    async fn remove_wishlist_listing(
        &self,
        request: Request<pb::RemoveWishlistListingRequest>,
    ) -> Result<Response<pb::RemoveWishlistListingResponse>, Status> {
        let message = request.get_ref();
        let (owner, id) = own_item(&request, "name", &message.name, "wishlists")?;
        let listing = listing_field("listing", &message.listing)?;
        let wishlist = self
            .store
            .remove_listing(&owner, id, &listing)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &message.name))?;
        Ok(Response::new(pb::RemoveWishlistListingResponse {
            wishlist: Some(wishlist.proto()),
        }))
    }

    async fn get_shared_wishlist(
        &self,
        request: Request<pb::GetSharedWishlistRequest>,
    ) -> Result<Response<pb::GetSharedWishlistResponse>, Status> {
        // Public: the token is the permission.
        let token = shared_token(&request.get_ref().share_token)?;
        let wishlist = self
            .store
            .shared_wishlist(token)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &format!("sharedWishlists/{token}")))?;
        Ok(Response::new(pb::GetSharedWishlistResponse {
            wishlist: Some(pb::Wishlist {
                share_token: String::new(),
                ..wishlist.proto()
            }),
        }))
    }

    async fn get_listing_save_count(
        &self,
        request: Request<pb::GetListingSaveCountRequest>,
    ) -> Result<Response<pb::GetListingSaveCountResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let listing = listing_field("listing", &request.get_ref().listing)?;
        if !caller.is_admin() {
            // A listing not found is refused alike: strangers learn nothing of drafts.
            let owner = self
                .listings
                .public(&listing)
                .await?
                .and_then(|found| {
                    let id = found.owner.strip_prefix("users/")?;
                    Uuid::parse_str(id).ok()
                })
                .ok_or_else(|| ApiError::permission_denied(DOMAIN, "owner"))?;
            as_owner(caller, owner)?;
        }
        let save_count = self.store.save_count(&listing).await.map_err(db)?;
        Ok(Response::new(pb::GetListingSaveCountResponse {
            save_count,
        }))
    }

    async fn create_comparison(
        &self,
        request: Request<pb::CreateComparisonRequest>,
    ) -> Result<Response<pb::CreateComparisonResponse>, Status> {
        let owner = own_parent(&request, &request.get_ref().parent)?;
        let Some(draft) = request.get_ref().comparison.as_ref() else {
            return Err(invalid("comparison", "required").into());
        };
        let contents = compare::check(draft)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        let now = std::time::SystemTime::now();
        let comparison = ComparisonRecord {
            id: Uuid::now_v7(),
            owner,
            title: contents.title,
            listings: contents.listings,
            check_in: contents.check_in,
            check_out: contents.check_out,
            guests: contents.guests,
            share_token: share_token_of(draft.shared),
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_comparison(&comparison)
            .await
            .map_err(db)?;
        Ok(Response::new(pb::CreateComparisonResponse {
            comparison: Some(comparison.proto()),
        }))
    }

    async fn list_comparisons(
        &self,
        request: Request<pb::ListComparisonsRequest>,
    ) -> Result<Response<pb::ListComparisonsResponse>, Status> {
        let message = request.get_ref();
        let owner = own_parent(&request, &message.parent)?;
        let limit = page_size(message.page_size)?;
        let after = cursor(&message.page_token)?;
        let mut comparisons = self
            .store
            .comparisons(&owner, after.as_ref(), limit)
            .await
            .map_err(db)?;
        let next_page_token = next_token(&mut comparisons, limit, ComparisonRecord::cursor);
        Ok(Response::new(pb::ListComparisonsResponse {
            comparisons: comparisons.iter().map(ComparisonRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn get_comparison(
        &self,
        request: Request<pb::GetComparisonRequest>,
    ) -> Result<Response<pb::GetComparisonResponse>, Status> {
        let (owner, id) = own_item(&request, "name", &request.get_ref().name, "comparisons")?;
        let comparison = self.own_comparison(&owner, id).await?;
        let listings = compare::side_by_side(&self.listings, &self.reviews, &comparison).await?;
        Ok(Response::new(pb::GetComparisonResponse {
            comparison: Some(comparison.proto()),
            listings,
        }))
    }

    async fn update_comparison(
        &self,
        request: Request<pb::UpdateComparisonRequest>,
    ) -> Result<Response<pb::UpdateComparisonResponse>, Status> {
        let message = request.get_ref();
        let Some(changes) = message.comparison.as_ref() else {
            return Err(invalid("comparison", "required").into());
        };
        let (owner, id) = own_item(&request, "comparison.name", &changes.name, "comparisons")?;
        let paths = mask_paths(
            message.update_mask.as_ref(),
            &[
                "title",
                "listings",
                "check_in",
                "check_out",
                "guests",
                "shared",
            ],
        )?;
        let current = self.own_comparison(&owner, id).await?;
        // The result is checked whole: new dates must pair with the ones kept.
        let mut merged = current.proto();
        let mut sharing = Sharing::Keep;
        for path in &paths {
            match path.as_str() {
                "title" => merged.title.clone_from(&changes.title),
                "listings" => merged.listings.clone_from(&changes.listings),
                "check_in" => merged.check_in.clone_from(&changes.check_in),
                "check_out" => merged.check_out.clone_from(&changes.check_out),
                "guests" => merged.guests = changes.guests,
                "shared" => sharing = Sharing::from_shared(changes.shared),
                _ => {}
            }
        }
        let contents = compare::check(&merged)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        let changed = ComparisonRecord {
            title: contents.title,
            listings: contents.listings,
            check_in: contents.check_in,
            check_out: contents.check_out,
            guests: contents.guests,
            ..current
        };
        let updated = self
            .store
            .update_comparison(&changed, sharing)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &changes.name))?;
        Ok(Response::new(pb::UpdateComparisonResponse {
            comparison: Some(updated.proto()),
        }))
    }

    async fn delete_comparison(
        &self,
        request: Request<pb::DeleteComparisonRequest>,
    ) -> Result<Response<pb::DeleteComparisonResponse>, Status> {
        let name = &request.get_ref().name;
        let (owner, id) = own_item(&request, "name", name, "comparisons")?;
        if !self.store.delete_comparison(&owner, id).await.map_err(db)? {
            return Err(ApiError::not_found(DOMAIN, name).into());
        }
        Ok(Response::new(pb::DeleteComparisonResponse {}))
    }

    async fn get_shared_comparison(
        &self,
        request: Request<pb::GetSharedComparisonRequest>,
    ) -> Result<Response<pb::GetSharedComparisonResponse>, Status> {
        // Public: the token is the permission.
        let token = shared_token(&request.get_ref().share_token)?;
        let comparison = self
            .store
            .shared_comparison(token)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &format!("sharedComparisons/{token}")))?;
        let listings = compare::side_by_side(&self.listings, &self.reviews, &comparison).await?;
        Ok(Response::new(pb::GetSharedComparisonResponse {
            comparison: Some(pb::Comparison {
                share_token: String::new(),
                ..comparison.proto()
            }),
            listings,
        }))
    }
}

#[cfg(test)]
mod tests {
    use estospaces_auth::Role;

    use super::*;

    fn request_of(user: &str) -> Request<()> {
        let mut request = Request::new(());
        request.extensions_mut().insert(Caller {
            user_id: user.to_owned(),
            roles: vec![Role::Admin],
        });
        request
    }

    #[test]
    fn an_item_is_its_owners_only_admins_included() {
        let me = Uuid::now_v7();
        let item = Uuid::now_v7();
        let name = format!("users/{me}/wishlists/{item}");
        let request = request_of(&me.to_string());
        assert_eq!(
            own_item(&request, "name", &name, "wishlists").expect("mine"),
            (me.to_string(), item)
        );
        let admin = request_of(&Uuid::now_v7().to_string());
        let refused = own_item(&admin, "name", &name, "wishlists").expect_err("not theirs");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        let wrong = own_item(&request, "name", &name, "comparisons").expect_err("a wishlist");
        assert_eq!(wrong.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn page_tokens_continue_after_the_last_kept() {
        let mut records = vec![(5, "a"), (4, "b"), (3, "c")];
        let id = Uuid::now_v7();
        let token = next_token(&mut records, 2, |_| (4, id.to_string()));
        assert_eq!(records.len(), 2);
        assert_eq!(cursor(&token).expect("a token"), Some((4, id.to_string())));
        assert!(cursor("nonsense").is_err());
    }
}
