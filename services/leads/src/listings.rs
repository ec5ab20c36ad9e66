//! Listings as the property service tells them: who owns them, what they cost.

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_status::ApiError;
use estospaces_telemetry::{TracedChannel, traced};
use tonic::Code;

use crate::DOMAIN;
use crate::domain::ListingKind;

/// What a lead needs to know of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// `properties/{property}`.
    pub name: String,
    pub title: String,
    /// The owner's user id.
    pub owner_id: String,
    /// `None` for short stays, which are booked rather than asked about.
    pub kind: Option<ListingKind>,
    /// The asking price or the monthly rent, in minor units.
    pub price: i64,
    pub currency_code: String,
    pub published: bool,
}

impl Listing {
    fn from_proto(found: property::Property) -> Self {
        let kind = match property::ListingKind::try_from(found.kind) {
            Ok(property::ListingKind::Sale) => Some(ListingKind::Sale),
            Ok(property::ListingKind::LongTermRental) => Some(ListingKind::Rental),
            _ => None,
        };
        let price = match kind {
            Some(ListingKind::Sale) => found.sale_pricing.map_or(0, |p| p.asking_price),
            Some(ListingKind::Rental) => found.long_term_pricing.map_or(0, |p| p.monthly_rent),
            None => 0,
        };
        Self {
            owner_id: found
                .owner
                .strip_prefix("users/")
                .unwrap_or_default()
                .to_owned(),
            published: found.state == property::property::State::Published as i32,
            name: found.name,
            title: found.title,
            kind,
            price,
            currency_code: found.currency_code,
        }
    }
}

/// A client of the property service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Listings {
    client: PropertyServiceClient<TracedChannel>,
}

impl Listings {
    /// A client of the property service at `url` (over TLS when `https://`); connects on
    /// first use.
    pub fn connect_lazy(url: &str, tls: &GrpcTlsConfig) -> anyhow::Result<Self> {
        let channel = estospaces_grpc_tls::channel(url, tls)?;
        Ok(Self {
            client: PropertyServiceClient::new(traced(channel)),
        })
    }

    /// The listing `name` as the public sees it; `None` when there is none to see (drafts,
    /// paused and deleted listings are not found by the public call this makes).
    pub async fn public(&self, name: &str) -> Result<Option<Listing>, tonic::Status> {
        match self
            .client
            .clone()
            .get_property(property::GetPropertyRequest {
                name: name.to_owned(),
            })
            .await
        {
            Ok(response) => Ok(response.into_inner().property.map(Listing::from_proto)),
            Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                Ok(None)
            }
            Err(status) => Err(status),
        }
    }

    /// The published sale or rental listing `name`, as an inquiry needs it.
    pub async fn askable(&self, name: &str) -> Result<Listing, ApiError> {
        let listing = self
            .public(name)
            .await
            .map_err(|status| unavailable(&status))?
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        if listing.kind.is_none() {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "LISTING_IS_A_SHORT_STAY",
                "short stays are booked, not asked about: message the host instead",
            ));
        }
        if !listing.published {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "LISTING_NOT_PUBLISHED",
                "the listing is no longer offered",
            ));
        }
        Ok(listing)
    }
}

/// The property service could not answer: UNAVAILABLE, so the caller retries.
pub(crate) fn unavailable(status: &tonic::Status) -> ApiError {
    ApiError::unavailable(
        DOMAIN,
        anyhow::anyhow!("the property service: {}", status.message()),
    )
}
