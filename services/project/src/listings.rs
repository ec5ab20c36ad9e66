//! Units' sale listings as the property service tells them.

use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_status::ApiError;
use estospaces_telemetry::{TracedChannel, traced};
use tonic::Code;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

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

    /// The listing `name` as the caller (whose `authorization` is passed on, so the developer's
    /// own drafts are found too) or else the public sees it; `None` when there is none to see.
    async fn get(
        &self,
        name: &str,
        authorization: Option<&AsciiMetadataValue>,
    ) -> Result<Option<property::Property>, ApiError> {
        let mut request = tonic::Request::new(property::GetPropertyRequest {
            name: name.to_owned(),
        });
        if let Some(value) = authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        match self.client.clone().get_property(request).await {
            Ok(response) => Ok(response.into_inner().property),
            Err(status)
                if matches!(
                    status.code(),
                    Code::NotFound | Code::InvalidArgument | Code::PermissionDenied
                ) =>
            {
                Ok(None)
            }
            // A token the property service does not take: ask as the public does.
            Err(status) if status.code() == Code::Unauthenticated && authorization.is_some() => {
                Box::pin(self.get(name, None)).await
            }
            Err(status) => Err(ApiError::unavailable(
                DOMAIN,
                anyhow::anyhow!("the property service: {}", status.message()),
            )),
        }
    }

    /// Whether `listing` may be the listing of a unit of `developer_id`'s project: a sale
    /// listing the developer owns. FAILED_PRECONDITION naming the listing otherwise.
    pub async fn check_sale_listing(
        &self,
        listing: &str,
        developer_id: &str,
        metadata: &MetadataMap,
    ) -> Result<(), ApiError> {
        let authorization = metadata.get("authorization").cloned();
        let found = self.get(listing, authorization.as_ref()).await?;
        let refused = |reason: &'static str, message: &str| {
            ApiError::failed_precondition(DOMAIN, reason, message).with_metadata("listing", listing)
        };
        let Some(found) = found else {
            return Err(refused(
                "LISTING_NOT_FOUND",
                "the unit's listing was not found in the property service",
            ));
        };
        if found.kind != property::ListingKind::Sale as i32 {
            return Err(refused(
                "LISTING_NOT_FOR_SALE",
                "a unit's listing must be a sale listing",
            ));
        }
        if found.owner != format!("users/{developer_id}") {
            return Err(refused(
                "NOT_THE_DEVELOPERS_LISTING",
                "a unit's listing must be the project developer's own",
            ));
        }
        Ok(())
    }
}
