//! Access tokens at the edge: the gateway verifies them against identity's key set before any
//! call leaves it, and refuses calls without one unless the method is public.
//!
//! The key set is trusted the way every service trusts it ([`IdentityKeys`]): fetched at start
//! and every `auth.jwks_refresh_interval`, and again before verifying a token that names a key
//! id not in it (a rotation), at most twice a second, so a flood of forged key ids cannot turn
//! into a flood of fetches. The same set carries identity's token revocations, fetched every
//! `auth.revocation_refresh_interval`, so a suspended or banned account's tokens stop here too.
//! Upstream services verify the forwarded `authorization` header again.

use estospaces_auth::{AuthError, Caller, IdentityKeys, KeySet, TokenVerifier};
use estospaces_status::ApiError;
use http::HeaderMap;
use tonic::transport::Channel;

/// Verifies bearer tokens, keeping identity's key set fresh.
#[derive(Debug)]
pub struct Authenticator {
    verifier: TokenVerifier,
    identity: Option<IdentityKeys>,
}

impl Authenticator {
    /// An authenticator fetching keys from `identity` (none: every token is refused).
    pub fn new(identity: Option<Channel>, issuer: &str, audience: &str) -> Self {
        let identity = identity.map(IdentityKeys::from_channel);
        let keys = identity
            .as_ref()
            .map_or_else(KeySet::default, IdentityKeys::key_set);
        Self {
            verifier: TokenVerifier::new(keys, issuer, audience),
            identity,
        }
    }

    /// Identity's key set, for the refresher.
    pub fn identity_keys(&self) -> Option<IdentityKeys> {
        self.identity.clone()
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

        match (self.verifier.verify(token), &self.identity) {
            (Err(AuthError::UnknownKey), Some(identity)) => {
                if let Some(kid) = estospaces_auth::remote::token_kid(token) {
                    identity.learn(&kid).await;
                }
                self.verifier.verify(token)
            }
            (verified, _) => verified,
        }
        .map(Some)
        .map_err(|err| unauthenticated(err.reason()))
    }
}

fn unauthenticated(reason: &'static str) -> ApiError {
    ApiError::unauthenticated(estospaces_auth::DOMAIN, reason)
}
