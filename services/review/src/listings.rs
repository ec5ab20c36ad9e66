//! Listings as the property service tells them: for saving, comparing and pricing.

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_status::ApiError;
use estospaces_telemetry::{TracedChannel, traced};
use tonic::Code;

use crate::DOMAIN;

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

    /// The listing `name` as the public sees it: `None` when there is none to see (drafts,
    /// paused or deleted listings are not found by the public call this makes).
    pub async fn public(&self, name: &str) -> Result<Option<property::Property>, ApiError> {
        match self
            .client
            .clone()
            .get_property(property::GetPropertyRequest {
                name: name.to_owned(),
            })
            .await
        {
            Ok(response) => Ok(response.into_inner().property),
            Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                Ok(None)
            }
            Err(status) => Err(unavailable(&status)),
        }
    }

    /// The published listing `name`: NOT_FOUND when there is none, FAILED_PRECONDITION when
    /// it is sold, rented or archived.
    pub async fn published(&self, name: &str) -> Result<property::Property, ApiError> {
        let found = self
            .public(name)
            .await?
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        if found.state != property::property::State::Published as i32 {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "LISTING_NOT_PUBLISHED",
                "the listing is no longer offered",
            ));
        }
        Ok(found)
    }

    /// The total for a stay, or why there is none (nights booked, too short a stay).
    pub async fn quote(
        &self,
        name: &str,
        check_in: property::Date,
        check_out: property::Date,
        guests: i32,
    ) -> Result<Result<property::QuotePriceResponse, String>, ApiError> {
        match self
            .client
            .clone()
            .quote_price(property::QuotePriceRequest {
                property: name.to_owned(),
                check_in: Some(check_in),
                check_out: Some(check_out),
                guests,
            })
            .await
        {
            Ok(response) => Ok(Ok(response.into_inner())),
            Err(status)
                if matches!(
                    status.code(),
                    Code::FailedPrecondition
                        | Code::InvalidArgument
                        | Code::NotFound
                        | Code::OutOfRange
                ) =>
            {
                Ok(Err(status.message().to_owned()))
            }
            Err(status) => Err(unavailable(&status)),
        }
    }
}

fn unavailable(status: &tonic::Status) -> ApiError {
    ApiError::unavailable(
        DOMAIN,
        anyhow::anyhow!("the property service answered {status}"),
    )
}
