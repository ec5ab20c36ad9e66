//! Who is calling, and may they?
//!
//! - [`keys`]: Ed25519 signing keys with RFC 7638 key ids, and their public halves as JWKs.
//! - [`token`]: issuing access tokens and verifying them against a [`KeySet`]: signature, `kid`,
//!   algorithm (EdDSA only, so `alg: none` and HMAC confusion are refused), expiry, issuer and
//!   audience.
//! - [`interceptor`]: a tonic interceptor that verifies a bearer token and puts the [`Caller`] in
//!   the request's extensions.
//! - [`policy`]: one-line decisions per RPC: public, authenticated, role, owner.
//! - [`remote`]: identity's key set as other services trust it, fetched over gRPC and refreshed
//!   on rotation.
//! - [`sealed`]: one-time secrets sealed to a recipient service's public key, so they can ride
//!   on shared event topics.

#![forbid(unsafe_code)]

pub mod interceptor;
pub mod keys;
pub mod policy;
pub mod remote;
pub mod sealed;
pub mod token;

pub use interceptor::AuthInterceptor;
pub use keys::{KeySet, PublicJwk, SigningKey};
pub use policy::{Caller, Role};
pub use remote::{IdentityKeys, KeyTrust, RefreshOnUnknownKeyLayer};
pub use token::{AuthError, IssuedToken, TokenIssuer, TokenVerifier};

/// The `ErrorInfo` domain of authentication and authorization errors.
pub const DOMAIN: &str = "auth.estospaces.dev";
