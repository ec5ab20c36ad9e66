//! `estospaces.search.v1.SearchService`.

use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use estospaces_auth::policy;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use estospaces_proto::search_v1::search_service_server::SearchService;
use estospaces_status::{ApiError, violation};
use estospaces_storage::unix_micros;
use prost::Message as _;
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::collect::{AMENITIES, Order, PROPERTY_TYPES};
use crate::index::{SearchIndex, fnv1a};
use crate::listing::parse_date;
use crate::pricing;
use crate::query::ListingQuery;
use crate::search::{self, Search, SearchPool};
use crate::store::{SavedSearchRecord, SearchStore, StoreError};

/// The most results a page holds.
const MAX_PAGE_SIZE: i32 = 100;
const DEFAULT_PAGE_SIZE: i32 = 20;
/// The deepest a search pages (offset + page size), so a page costs bounded memory.
const MAX_DEPTH: usize = 10_000;
const DEFAULT_HISTOGRAM_INTERVAL: i64 = 10_000;

/// The gRPC handlers, holding what they share.
#[derive(Debug, Clone)]
pub struct SearchHandlers {
    index: Arc<SearchIndex>,
    store: SearchStore,
    pool: SearchPool,
}

impl SearchHandlers {
    pub fn new(index: Arc<SearchIndex>, store: SearchStore) -> Self {
        Self {
            index,
            store,
            pool: SearchPool::per_core(),
        }
    }
}

#[tonic::async_trait]
impl SearchService for SearchHandlers {
    async fn search_properties(
        &self,
        request: Request<spb::SearchPropertiesRequest>,
    ) -> Result<Response<spb::SearchPropertiesResponse>, Status> {
        let request = request.into_inner();
        let query_pb = request.query.clone().unwrap_or_default();
        let mut bad = Vec::new();
        let query = ListingQuery::parse(&query_pb, "query.").unwrap_or_else(|violations| {
            bad.extend(violations);
            ListingQuery::default()
        });
        let order = match spb::SortOrder::try_from(request.order_by) {
            Ok(spb::SortOrder::Unspecified) if query.has_text() => Order::Relevance,
            Ok(spb::SortOrder::Unspecified | spb::SortOrder::Newest) => Order::Newest,
            Ok(spb::SortOrder::Relevance) => Order::Relevance,
            Ok(spb::SortOrder::PriceAscending) => Order::PriceAscending,
            Ok(spb::SortOrder::PriceDescending) => Order::PriceDescending,
            Ok(spb::SortOrder::Rating) => Order::Rating,
            Ok(spb::SortOrder::Distance) => {
                if !matches!(query_pb.area, Some(spb::property_query::Area::Circle(_))) {
                    bad.push(violation(
                        "order_by",
                        "sorting by distance needs a `query.circle`",
                    ));
                }
                Order::Distance
            }
            Err(_) => {
                bad.push(violation("order_by", "not a sort order"));
                Order::Newest
            }
        };
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            size if (1..=MAX_PAGE_SIZE).contains(&size) => size,
            _ => {
                bad.push(violation("page_size", "must be from 0 to 100"));
                DEFAULT_PAGE_SIZE
            }
        };
        let page_size = usize::try_from(page_size).unwrap_or(20);
        let histogram_interval = match request.price_histogram_interval {
            0 => DEFAULT_HISTOGRAM_INTERVAL,
            interval if interval > 0 => interval,
            _ => {
                bad.push(violation(
                    "price_histogram_interval",
                    "must not be negative",
                ));
                DEFAULT_HISTOGRAM_INTERVAL
            }
        };
        let fingerprint = fingerprint(&request);
        let offset = if request.page_token.is_empty() {
            0
        } else {
            match decode_token(&request.page_token, fingerprint) {
                Some(offset) => offset,
                None => {
                    bad.push(violation(
                        "page_token",
                        "not a token of this query; start again without one",
                    ));
                    0
                }
            }
        };
        if offset + page_size > MAX_DEPTH {
            bad.push(violation(
                "page_token",
                "results page at most 10000 deep; narrow the query",
            ));
        }
        if !bad.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, bad).into());
        }

        let search = Search {
            query: query.clone(),
            order,
            offset,
            page_size,
            histogram_interval: u64::try_from(histogram_interval).unwrap_or(1),
        };
        let index = self.index.clone();
        let page = self
            .pool
            .run(move || search::search(&index, &search))
            .await
            .map_err(|err| ApiError::internal(DOMAIN, err))?
            .map_err(|err| ApiError::internal(DOMAIN, err))?;

        let guests = query_pb.guests.max(1);
        let results = page
            .matches
            .into_iter()
            .map(|found| {
                let property = found.listing.property.unwrap_or_default();
                let price = query.stay.and_then(|stay| {
                    pricing::stay_price(&property, stay.check_in, stay.check_out, guests)
                });
                spb::SearchResult {
                    relevance: if query.has_text() && order == Order::Relevance {
                        found.hit.score
                    } else {
                        0.0
                    },
                    distance_meters: found.hit.distance,
                    stay_total: price.map_or(0, |price| price.total),
                    stay_nights_subtotal: price.map_or(0, |price| price.nights_subtotal),
                    cover_photo_uri: cover_photo_uri(&property),
                    property: Some(property),
                }
            })
            .collect();
        let total = page.found.total;
        let next = offset + page_size;
        let next_page_token = if (next as u64) < total && next < MAX_DEPTH {
            encode_token(next, fingerprint)
        } else {
            String::new()
        };
        let facets = spb::Facets {
            property_types: (1..PROPERTY_TYPES)
                .filter(|value| page.found.property_types[*value] > 0)
                .map(|value| spb::FacetCount {
                    value: pb::PropertyType::try_from(value as i32)
                        .map_or_else(|_| value.to_string(), |t| t.as_str_name().to_owned()),
                    count: page.found.property_types[value] as i64,
                })
                .collect(),
            amenities: (1..AMENITIES)
                .filter(|value| page.found.amenities[*value] > 0)
                .map(|value| spb::FacetCount {
                    value: pb::Amenity::try_from(value as i32)
                        .map_or_else(|_| value.to_string(), |a| a.as_str_name().to_owned()),
                    count: page.found.amenities[value] as i64,
                })
                .collect(),
            price_histogram: page
                .found
                .prices
                .iter()
                .map(|(bucket, count)| spb::FacetCount {
                    value: bucket.to_string(),
                    count: *count as i64,
                })
                .collect(),
        };
        Ok(Response::new(spb::SearchPropertiesResponse {
            results,
            next_page_token,
            total_size: total as i64,
            facets: Some(facets),
        }))
    }

    async fn autocomplete(
        &self,
        request: Request<spb::AutocompleteRequest>,
    ) -> Result<Response<spb::AutocompleteResponse>, Status> {
        let request = request.into_inner();
        let mut bad = Vec::new();
        let prefix = request.prefix.trim().to_owned();
        if prefix.is_empty() || !prefix.chars().any(char::is_alphanumeric) {
            bad.push(violation(
                "prefix",
                "required: at least one letter or digit",
            ));
        } else if prefix.chars().count() > 100 {
            bad.push(violation("prefix", "at most 100 characters"));
        }
        let limit = match request.limit {
            0 => 5,
            limit @ 1..=20 => limit,
            _ => {
                bad.push(violation("limit", "must be from 0 to 20"));
                5
            }
        };
        if !bad.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, bad).into());
        }
        let index = self.index.clone();
        let limit = usize::try_from(limit).unwrap_or(5);
        let (places, listings) = self
            .pool
            .run(move || search::autocomplete(&index, &prefix, limit))
            .await
            .map_err(|err| ApiError::internal(DOMAIN, err))?
            .map_err(|err| ApiError::internal(DOMAIN, err))?;
        Ok(Response::new(spb::AutocompleteResponse {
            places: places
                .into_iter()
                .map(|place| spb::PlaceSuggestion {
                    place: place.place,
                    listing_count: place.count as i64,
                })
                .collect(),
            listings: listings
                .into_iter()
                .map(|listing| spb::ListingSuggestion {
                    property: format!("properties/{}", listing.id),
                    title: listing.property.map(|p| p.title).unwrap_or_default(),
                })
                .collect(),
        }))
    }

    async fn create_saved_search(
        &self,
        request: Request<spb::CreateSavedSearchRequest>,
    ) -> Result<Response<spb::CreateSavedSearchResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let request = request.into_inner();
        let owner = parse_user("parent", &request.parent)?;
        // Saved searches are made for oneself only, admins included (alerts go to the owner).
        if owner != caller.user_id {
            return Err(ApiError::permission_denied(DOMAIN, "owner").into());
        }
        let mut bad = Vec::new();
        let saved = request.saved_search.unwrap_or_default();
        if saved.display_name.chars().count() > 100 {
            bad.push(violation(
                "saved_search.display_name",
                "at most 100 characters",
            ));
        }
        let query = match saved.query {
            Some(query) => {
                if let Err(violations) = ListingQuery::parse(&query, "saved_search.query.") {
                    bad.extend(violations);
                }
                query
            }
            None => {
                bad.push(violation("saved_search.query", "required"));
                spb::PropertyQuery::default()
            }
        };
        if let Some(check_in) = query.check_in.as_ref().and_then(parse_date)
            && check_in < time::OffsetDateTime::now_utc().date()
        {
            bad.push(violation(
                "saved_search.query.check_in",
                "must not be in the past",
            ));
        }
        if !bad.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, bad).into());
        }
        let record = SavedSearchRecord {
            id: uuid::Uuid::now_v7().to_string(),
            owner_id: owner,
            display_name: saved.display_name,
            query,
            created_at: unix_micros(SystemTime::now()),
        };
        self.store.insert(&record).await.map_err(store_error)?;
        Ok(Response::new(spb::CreateSavedSearchResponse {
            saved_search: Some(record.to_proto()),
        }))
    }

    async fn list_saved_searches(
        &self,
        request: Request<spb::ListSavedSearchesRequest>,
    ) -> Result<Response<spb::ListSavedSearchesResponse>, Status> {
        let owner = parse_user("parent", &request.get_ref().parent)?;
        policy::owner_or_admin(&request, &owner)?;
        let saved = self.store.list(&owner).await.map_err(store_error)?;
        Ok(Response::new(spb::ListSavedSearchesResponse {
            saved_searches: saved.iter().map(SavedSearchRecord::to_proto).collect(),
        }))
    }

    async fn delete_saved_search(
        &self,
        request: Request<spb::DeleteSavedSearchRequest>,
    ) -> Result<Response<spb::DeleteSavedSearchResponse>, Status> {
        let name = request.get_ref().name.clone();
        let (owner, id) = name
            .strip_prefix("users/")
            .and_then(|rest| rest.split_once("/savedSearches/"))
            .filter(|(owner, id)| !owner.is_empty() && !id.is_empty() && !id.contains('/'))
            .ok_or_else(|| {
                ApiError::invalid_argument(
                    DOMAIN,
                    vec![violation(
                        "name",
                        "must be users/{user}/savedSearches/{saved_search}",
                    )],
                )
            })?;
        // Permission first: a stranger learns nothing about what exists.
        policy::owner_or_admin(&request, owner)?;
        if !self.store.delete(owner, id).await.map_err(store_error)? {
            return Err(ApiError::not_found(DOMAIN, &name).into());
        }
        Ok(Response::new(spb::DeleteSavedSearchResponse {}))
    }
}

fn parse_user(field: &str, name: &str) -> Result<String, ApiError> {
    name.strip_prefix("users/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::invalid_argument(DOMAIN, vec![violation(field, "must be users/{user}")])
        })
}

fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::TooMany => ApiError::failed_precondition(
            DOMAIN,
            "TOO_MANY_SAVED_SEARCHES",
            "a user keeps at most 50 saved searches; delete one first",
        ),
        StoreError::Corrupt(err) => ApiError::internal(DOMAIN, err),
        StoreError::Database(err) => estospaces_storage::api_error(DOMAIN, err),
    }
}

/// What a page token is bound to: the query, order and histogram (not the page size).
fn fingerprint(request: &spb::SearchPropertiesRequest) -> u64 {
    let mut bytes = request.query.clone().unwrap_or_default().encode_to_vec();
    bytes.extend(request.order_by.to_le_bytes());
    bytes.extend(request.price_histogram_interval.to_le_bytes());
    fnv1a(&bytes)
}

fn encode_token(offset: usize, fingerprint: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{fingerprint:x}"))
}

fn decode_token(token: &str, fingerprint: u64) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (offset, bound) = text.split_once(':')?;
    (u64::from_str_radix(bound, 16).ok()? == fingerprint).then_some(())?;
    offset.parse().ok()
}

/// Where the media service serves the card variant of the listing's cover photo.
fn cover_photo_uri(property: &estospaces_proto::property_v1::Property) -> String {
    property
        .photos
        .iter()
        .find(|photo| photo.cover)
        .or_else(|| property.photos.first())
        .map(|photo| format!("/v1/media/{}/content/card.webp", photo.media_id))
        .unwrap_or_default()
}
