//! Access tokens at the edge: the gateway verifies them against identity's key set before any
//! call leaves it, and refuses calls without one unless the method is public.
//!
//! The key set comes from identity's `GetJwks` over gRPC. It is fetched on first use and again
//! when a token names a key id not in it (a rotation), at most once per
//! `jwks_refetch_interval`, so a flood of forged key ids cannot turn into a flood of fetches.
//! Upstream services verify the forwarded `authorization` header again.

use std::time::{Duration, Instant};

use estospaces_auth::{AuthError, Caller, KeySet, PublicJwk, TokenVerifier};
use estospaces_proto::identity_v1::GetJwksRequest;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_status::ApiError;
use http::HeaderMap;
use tokio::sync::Mutex;
use tonic::transport::Channel;

/// Verifies bearer tokens, keeping identity's key set fresh.
#[derive(Debug)]
pub struct Authenticator {
    verifier: TokenVerifier,
    keys: KeySet,
    identity: Option<IdentityServiceClient<Channel>>,
    refetch_interval: Duration,
    /// When the key set was last fetched; held across the fetch so concurrent misses wait for
    /// one fetch instead of each starting their own.
    last_fetch: Mutex<Option<Instant>>,
}

impl Authenticator {
    /// An authenticator fetching keys from `identity` (none: every token is refused).
    pub fn new(
        identity: Option<Channel>,
        issuer: &str,
        audience: &str,
        refetch_interval: Duration,
    ) -> Self {
        let keys = KeySet::default();
        Self {
            verifier: TokenVerifier::new(keys.clone(), issuer, audience),
            keys,
            identity: identity.map(IdentityServiceClient::new),
            refetch_interval,
            last_fetch: Mutex::new(None),
        }
    }

    /// The caller the request's token speaks for: `None` for an anonymous call to a public
    /// method. A token that is sent must verify, even on a public method.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        public: bool,
    ) -> Result<Option<Caller>, ApiError> {
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return if public {
                Ok(None)
            } else {
                Err(unauthenticated("TOKEN_MISSING"))
            };
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| unauthenticated(AuthError::Malformed.reason()))?;

        match self.verifier.verify(token) {
            Err(AuthError::UnknownKey) => {
                self.refresh().await?;
                self.verifier.verify(token)
            }
            verified => verified,
        }
        .map(Some)
        .map_err(|err| unauthenticated(err.reason()))
    }

    /// Fetches the key set again unless that happened within the refetch interval.
    async fn refresh(&self) -> Result<(), ApiError> {
        let mut last_fetch = self.last_fetch.lock().await;
        if last_fetch.is_some_and(|at| at.elapsed() < self.refetch_interval) {
            return Ok(());
        }
        let Some(identity) = self.identity.clone() else {
            return Ok(());
        };
        let jwks = fetch_jwks(identity).await.map_err(|err| {
            ApiError::unavailable(crate::error::DOMAIN, err.context("fetching the key set"))
        })?;
        *last_fetch = Some(Instant::now());
        self.keys
            .replace(&jwks)
            .map_err(|err| ApiError::internal(crate::error::DOMAIN, err))?;
        tracing::info!(keys = jwks.len(), "fetched identity's key set");
        Ok(())
    }
}

async fn fetch_jwks(
    mut identity: IdentityServiceClient<Channel>,
) -> anyhow::Result<Vec<PublicJwk>> {
    let mut request = tonic::Request::new(GetJwksRequest {});
    request.set_timeout(Duration::from_secs(5));
    let response = identity.get_jwks(request).await?.into_inner();
    Ok(response.keys.into_iter().map(PublicJwk::from).collect())
}

fn unauthenticated(reason: &'static str) -> ApiError {
    ApiError::unauthenticated(estospaces_auth::DOMAIN, reason)
}
