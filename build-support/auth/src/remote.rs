//! The key set that verifies identity's access tokens in every other service, kept in step with
//! identity's `GetJwks`.
//!
//! [`IdentityKeys`] fetches the set at start (readiness waits for it), every
//! `jwks_refresh_interval`, and — through [`RefreshOnUnknownKeyLayer`] — before a request whose
//! token names a key the set does not hold yet, which is how a rotation at identity reaches
//! this service before the next periodic refresh. Unknown-key fetches are spaced at least
//! [`MIN_FETCH_GAP`] apart, so tokens with made-up key ids cannot turn this service into a
//! load generator against identity.
//!
//! Beside the keys it polls identity's `ListTokenRevocations` every
//! `auth.revocation_refresh_interval` (2 s) and refuses, through the same [`KeySet`], the tokens
//! of suspended and banned accounts issued before their revocation.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::{KeySet, PublicJwk};
use anyhow::Context as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use tonic::server::NamedService;
use tonic::transport::Channel;

/// The shortest time between two fetches.
pub const MIN_FETCH_GAP: Duration = Duration::from_millis(500);

/// Identity's key set, as this service trusts it.
#[derive(Debug, Clone)]
pub struct IdentityKeys {
    key_set: KeySet,
    client: IdentityServiceClient<estospaces_telemetry::TracedChannel>,
    /// When the last fetch happened; the lock also makes concurrent fetches queue.
    last_fetch: Arc<tokio::sync::Mutex<Option<Instant>>>,
}

impl IdentityKeys {
    /// Keys from the identity service at `identity_url` (`http://identity:50051`, or
    /// `https://` for TLS configured by `tls`). Connects lazily: nothing is fetched until
    /// [`IdentityKeys::fetch`].
    pub fn new(identity_url: &str, tls: &GrpcTlsConfig) -> anyhow::Result<Self> {
        let channel = estospaces_grpc_tls::channel(identity_url, tls)
            .with_context(|| format!("auth.identity_url {identity_url:?}"))?;
        Ok(Self::from_channel(channel))
    }

    /// Keys from the identity service behind `channel`.
    pub fn from_channel(channel: Channel) -> Self {
        Self {
            key_set: KeySet::default(),
            // Traced: a fetch for an unknown key id, made inside a call, shows in its trace.
            client: IdentityServiceClient::new(estospaces_telemetry::traced(channel)),
            last_fetch: Arc::default(),
        }
    }

    /// The set verifiers read; replaced in place by every fetch.
    pub fn key_set(&self) -> KeySet {
        self.key_set.clone()
    }

    /// Fetches the key set now and trusts exactly it.
    pub async fn fetch(&self) -> anyhow::Result<()> {
        let mut last_fetch = self.last_fetch.lock().await;
        self.fetch_locked(&mut last_fetch).await
    }

    /// Fetches unless the set is loaded already; for the readiness check.
    pub async fn ensure_loaded(&self) -> anyhow::Result<()> {
        if self.key_set.is_empty() {
            self.fetch().await
        } else {
            Ok(())
        }
    }

    /// Fetches if `kid` is still unknown, no sooner than [`MIN_FETCH_GAP`] after the previous
    /// fetch: a token signed by a key identity has just rotated in waits at most that long,
    /// while made-up key ids cannot make this service fetch more often.
    pub async fn learn(&self, kid: &str) {
        let mut last_fetch = self.last_fetch.lock().await;
        // Another request may have fetched while this one waited for the lock.
        if self.key_set.contains(kid) {
            return;
        }
        if let Some(at) = *last_fetch {
            tokio::time::sleep(MIN_FETCH_GAP.saturating_sub(at.elapsed())).await;
        }
        if let Err(err) = self.fetch_locked(&mut last_fetch).await {
            tracing::warn!("fetching identity's key set for an unknown key id: {err:#}");
        }
    }

    /// A `GetJwks` call that gives up after a few seconds: a hung identity must not hold the
    /// fetch lock, and with it every request waiting on an unknown key id.
    fn jwks_request() -> tonic::Request<identity::GetJwksRequest> {
        let mut request = tonic::Request::new(identity::GetJwksRequest {});
        request.set_timeout(Duration::from_secs(5));
        request
    }

    async fn fetch_locked(&self, last_fetch: &mut Option<Instant>) -> anyhow::Result<()> {
        *last_fetch = Some(Instant::now());
        let keys = self
            .client
            .clone()
            .get_jwks(Self::jwks_request())
            .await
            .context("calling identity GetJwks")?
            .into_inner()
            .keys;
        let keys: Vec<PublicJwk> = keys.into_iter().map(PublicJwk::from).collect();
        anyhow::ensure!(!keys.is_empty(), "identity published an empty key set");
        self.key_set.replace(&keys)?;
        tracing::debug!(keys = keys.len(), "loaded identity's key set");
        Ok(())
    }

    /// Fetches identity's token revocations now and refuses exactly those.
    pub async fn fetch_revocations(&self) -> anyhow::Result<()> {
        let mut request = tonic::Request::new(identity::ListTokenRevocationsRequest {});
        request.set_timeout(Duration::from_secs(5));
        let revocations = self
            .client
            .clone()
            .list_token_revocations(request)
            .await
            .context("calling identity ListTokenRevocations")?
            .into_inner()
            .revocations;
        self.key_set
            .replace_revocations(revocations.into_iter().filter_map(|revocation| {
                let user = revocation.user.strip_prefix("users/")?.to_owned();
                let second = u64::try_from(revocation.revoke_time?.seconds).ok()?;
                Some((user, second))
            }));
        Ok(())
    }

    /// Fetches the key set every `keys_every` (`auth.jwks_refresh_interval`) and the token
    /// revocations every `revocations_every` (`auth.revocation_refresh_interval`), for as long
    /// as the task runs. Revocations are polled rather than pushed: identity keeps no list of
    /// its verifiers, and a poll that fails just keeps the last list.
    pub async fn refresh_every(self, keys_every: Duration, revocations_every: Duration) {
        // Never faster than unknown-key fetches, so a zero in the configuration cannot turn
        // every replica into a load generator against identity.
        let revocations_every = revocations_every.max(MIN_FETCH_GAP);
        let revocations = self.clone();
        tokio::join!(self.refresh_keys_every(keys_every), async move {
            loop {
                if let Err(err) = revocations.fetch_revocations().await {
                    tracing::debug!("fetching identity's token revocations: {err:#}");
                }
                tokio::time::sleep(revocations_every).await;
            }
        });
    }

    async fn refresh_keys_every(&self, every: Duration) {
        loop {
            // Until a fetch succeeds, try again soon: every token is refused meanwhile.
            let pause = match self.fetch().await {
                Ok(()) => every,
                Err(err) => {
                    tracing::warn!("fetching identity's key set: {err:#}");
                    every.min(Duration::from_secs(2))
                }
            };
            tokio::time::sleep(pause).await;
        }
    }
}

/// Which keys a service trusts, and how it learns new ones.
#[derive(Debug, Clone)]
pub enum KeyTrust {
    /// Identity's key set: fetched before the service reports SERVING, again when a token names
    /// an unknown key, and every refresh interval.
    Identity(IdentityKeys),
    /// Exactly these keys, replaced by their owner: identity's own ring, or a test's.
    Fixed(KeySet),
}

impl KeyTrust {
    /// The keys verifiers read.
    pub fn key_set(&self) -> KeySet {
        match self {
            Self::Identity(keys) => keys.key_set(),
            Self::Fixed(keys) => keys.clone(),
        }
    }

    /// Fetches identity's key set unless it is loaded already; for the readiness check.
    pub async fn ensure_loaded(&self) -> anyhow::Result<()> {
        match self {
            Self::Identity(keys) => keys.ensure_loaded().await,
            Self::Fixed(_) => Ok(()),
        }
    }

    /// Learns `kid` if it is unknown and can be learnt (see [`IdentityKeys::learn`]).
    pub async fn learn(&self, kid: &str) {
        if let Self::Identity(keys) = self {
            keys.learn(kid).await;
        }
    }
}

/// The `kid` in the header of the request's bearer token, if there is one.
fn bearer_kid(headers: &http::HeaderMap) -> Option<String> {
    let token = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    token_kid(token)
}

/// The `kid` in a JWT's header, unverified: only to decide whether to fetch the key set.
pub fn token_kid(token: &str) -> Option<String> {
    let header = URL_SAFE_NO_PAD
        .decode(token.trim().split('.').next()?)
        .ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

/// Fetches identity's key set before a request whose token names an unknown key; sits in
/// front of the auth interceptor.
#[derive(Debug, Clone)]
pub struct RefreshOnUnknownKeyLayer {
    keys: KeyTrust,
}

impl RefreshOnUnknownKeyLayer {
    pub fn new(keys: KeyTrust) -> Self {
        Self { keys }
    }
}

impl<S> tower::Layer<S> for RefreshOnUnknownKeyLayer {
    type Service = RefreshOnUnknownKey<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RefreshOnUnknownKey {
            inner,
            keys: self.keys.clone(),
        }
    }
}

/// See [`RefreshOnUnknownKeyLayer`].
#[derive(Debug, Clone)]
pub struct RefreshOnUnknownKey<S> {
    inner: S,
    keys: KeyTrust,
}

impl<S: NamedService> NamedService for RefreshOnUnknownKey<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower::Service<http::Request<B>> for RefreshOnUnknownKey<S>
where
    S: tower::Service<http::Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let unknown = match &self.keys {
            KeyTrust::Identity(keys) => {
                bearer_kid(request.headers()).filter(|kid| !keys.key_set.contains(kid))
            }
            KeyTrust::Fixed(_) => None,
        };
        // The clone is ready only if polled; take the ready one and leave the clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let keys = self.keys.clone();
        Box::pin(async move {
            if let Some(kid) = unknown {
                keys.learn(&kid).await;
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kid_is_read_from_a_bearer_tokens_header() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","kid":"k-1"}"#);
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {header}.e30.sig").parse().expect("ascii"),
        );
        assert_eq!(bearer_kid(&headers).as_deref(), Some("k-1"));

        headers.insert(
            http::header::AUTHORIZATION,
            "Bearer garbage".parse().expect("ascii"),
        );
        assert_eq!(bearer_kid(&headers), None);
    }
}
