//! The listings inquiries are about, from the property service.

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_status::ApiError;
use estospaces_telemetry::{TracedChannel, traced};
use tonic::Code;

use crate::DOMAIN;
use crate::domain::Topic;

/// What an inquiry needs to know of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub name: String,
    pub title: String,
    /// The owner's id (the `{user}` of `users/{user}`).
    pub owner: String,
    pub topic: Topic,
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

    /// The published listing `name`: NOT_FOUND when there is none (drafts and paused
    /// listings are not found by the public call this makes), FAILED_PRECONDITION when it is
    /// sold, rented or archived.
    pub async fn published(&self, name: &str) -> Result<Listing, ApiError> {
        let found = self
            .client
            .clone()
            .get_property(property::GetPropertyRequest {
                name: name.to_owned(),
            })
            .await
            .map_err(|status| match status.code() {
                Code::NotFound | Code::InvalidArgument => ApiError::not_found(DOMAIN, name),
                _ => ApiError::unavailable(
                    DOMAIN,
                    anyhow::anyhow!("the property service answered {status}"),
                ),
            })?
            .into_inner()
            .property
            .ok_or_else(|| {
                ApiError::internal(DOMAIN, anyhow::anyhow!("GetProperty: no listing"))
            })?;
        if found.state != property::property::State::Published as i32 {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "LISTING_NOT_PUBLISHED",
                "the listing is no longer offered",
            ));
        }
        let topic = match property::ListingKind::try_from(found.kind) {
            Ok(property::ListingKind::ShortStay) => Topic::Stay,
            Ok(property::ListingKind::LongTermRental) => Topic::Rental,
            _ => Topic::Sale,
        };
        let owner = found
            .owner
            .strip_prefix("users/")
            .unwrap_or_default()
            .to_owned();
        Ok(Listing {
            name: found.name,
            title: found.title,
            owner,
            topic,
        })
    }
}
