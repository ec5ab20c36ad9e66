//! Access tokens at the edge: the gateway verifies them against identity's key set before any
//! call leaves it, and refuses calls without one unless the method is public.
//!
//! The key set comes from identity's `GetJwks` over gRPC. It is fetched on first use and again
//! when a token names a key id not in it (a rotation), at most once per
//! `jwks_refetch_interval`, so a flood of forged key ids cannot turn into a flood of fetches.
//! Upstream services verify the forwarded `authorization` header again.

use std::time::{Duration, Instant};

use estospaces_auth::{AuthError, Caller, IdentityKeys, KeySet, TokenVerifier};
use estospaces_status::ApiError;
use http::HeaderMap;
use tokio::sync::Mutex;
use tonic::transport::Channel;

/// Verifies bearer tokens, keeping identity's key set fresh.
#[derive(Debug)]
pub struct Authenticator {
    verifier: TokenVerifier,
    identity: Option<IdentityKeys>,
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
        let identity = identity.map(IdentityKeys::from_channel);
        let keys = identity
            .as_ref()
            .map_or_else(KeySet::default, IdentityKeys::key_set);
        Self {
            verifier: TokenVerifier::new(keys, issuer, audience),
            identity,
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
        let Some(identity) = &self.identity else {
            return Ok(());
        };
        identity.fetch().await.map_err(|err| {
            ApiError::unavailable(crate::error::DOMAIN, err.context("fetching the key set"))
        })?;
        *last_fetch = Some(Instant::now());
        Ok(())
    }
}

fn unauthenticated(reason: &'static str) -> ApiError {
    ApiError::unauthenticated(estospaces_auth::DOMAIN, reason)
}
