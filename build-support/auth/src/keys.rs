//! Ed25519 keys: the private half signs in the identity service, the public half travels as a
//! JSON Web Key to every verifier.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An Ed25519 private key with its key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    pkcs8_der: Vec<u8>,
    encoding: EncodingKey,
    public: PublicJwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never prints.
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The private key bytes could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid Ed25519 PKCS#8 private key")]
pub struct InvalidKey;

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Self {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        Self::from_dalek(&key).expect("a freshly generated key encodes as PKCS#8")
    }

    /// Reads a key stored with [`SigningKey::to_pkcs8_der`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, InvalidKey> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| InvalidKey)?;
        Self::from_dalek(&key)
    }

    fn from_dalek(key: &ed25519_dalek::SigningKey) -> Result<Self, InvalidKey> {
        let pkcs8_der = key
            .to_pkcs8_der()
            .map_err(|_| InvalidKey)?
            .as_bytes()
            .to_vec();
        let encoding = EncodingKey::from_ed_der(&pkcs8_der);
        let public = PublicJwk::ed25519(&key.verifying_key().to_bytes());
        Ok(Self {
            kid: public.kid.clone(),
            pkcs8_der,
            encoding,
            public,
        })
    }

    /// The key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key as PKCS#8 DER, for storage. Handle as a secret.
    pub fn to_pkcs8_der(&self) -> &[u8] {
        &self.pkcs8_der
    }

    /// The public half, as published in the key set.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.public
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }
}

/// An Ed25519 public key as a JSON Web Key (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

impl PublicJwk {
    fn ed25519(public_key: &[u8; 32]) -> Self {
        let x = URL_SAFE_NO_PAD.encode(public_key);
        // RFC 7638: the thumbprint hashes the required members, sorted, without whitespace.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Self {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x,
            kid,
            alg: "EdDSA".to_owned(),
            use_: "sig".to_owned(),
        }
    }
}

/// A key as identity's `GetJwks` publishes it.
impl From<estospaces_proto::identity_v1::JsonWebKey> for PublicJwk {
    fn from(key: estospaces_proto::identity_v1::JsonWebKey) -> Self {
        Self {
            kty: key.kty,
            crv: key.crv,
            x: key.x,
            kid: key.kid,
            alg: key.alg,
            use_: key.r#use,
        }
    }
}

impl From<&PublicJwk> for estospaces_proto::identity_v1::JsonWebKey {
    fn from(jwk: &PublicJwk) -> Self {
        Self {
            kty: jwk.kty.clone(),
            crv: jwk.crv.clone(),
            x: jwk.x.clone(),
            kid: jwk.kid.clone(),
            alg: jwk.alg.clone(),
            r#use: jwk.use_.clone(),
        }
    }
}

/// A JWK that cannot verify EdDSA tokens.
#[derive(Debug, thiserror::Error)]
#[error("unsupported key {kid}: only OKP/Ed25519 keys for EdDSA are accepted")]
pub struct UnsupportedKey {
    pub kid: String,
}

/// The public keys a verifier trusts, by key id, and the accounts whose earlier tokens it no
/// longer trusts (suspended or banned: user id -> the Unix second up to which their tokens are
/// refused). Cheap to clone; [`KeySet::replace`] and [`KeySet::replace_revocations`] swap them
/// for every clone at once, so a refresher can update them under running servers.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Arc<RwLock<HashMap<String, DecodingKey>>>,
    revoked: Arc<RwLock<HashMap<String, u64>>>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self.read().keys().cloned().collect();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

impl KeySet {
    /// A key set trusting exactly `jwks`.
    pub fn new(jwks: &[PublicJwk]) -> Result<Self, UnsupportedKey> {
        let set = Self::default();
        set.replace(jwks)?;
        Ok(set)
    }

    /// Refuses, from now on, exactly the tokens these revocations name: `(user id, Unix second)`
    /// refuses every token of the user issued at or before that second.
    pub fn replace_revocations(&self, revocations: impl IntoIterator<Item = (String, u64)>) {
        *self
            .revoked
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = revocations.into_iter().collect();
    }

    /// Refuses `user`'s tokens issued at or before `second` too.
    pub fn revoke(&self, user: &str, second: u64) {
        let mut revoked = self
            .revoked
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        let entry = revoked.entry(user.to_owned()).or_default();
        *entry = (*entry).max(second);
    }

    /// Whether a token of `user` issued at `issued_at` (Unix seconds) was revoked.
    pub fn is_revoked(&self, user: &str, issued_at: u64) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .get(user)
            .is_some_and(|until| issued_at <= *until)
    }

    /// Trusts exactly `jwks` from now on; on error the previous keys stay.
    pub fn replace(&self, jwks: &[PublicJwk]) -> Result<(), UnsupportedKey> {
        let mut keys = HashMap::with_capacity(jwks.len());
        for jwk in jwks {
            if jwk.kty != "OKP" || jwk.crv != "Ed25519" || jwk.alg != "EdDSA" {
                return Err(UnsupportedKey {
                    kid: jwk.kid.clone(),
                });
            }
            let key = DecodingKey::from_ed_components(&jwk.x).map_err(|_| UnsupportedKey {
                kid: jwk.kid.clone(),
            })?;
            keys.insert(jwk.kid.clone(), key);
        }
        *self
            .keys
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = keys;
        Ok(())
    }

    /// Whether a key with this id is trusted; lets a verifier refresh its set before refusing a
    /// token signed by a key it has not seen yet.
    pub fn contains(&self, kid: &str) -> bool {
        self.read().contains_key(kid)
    }

    /// Whether the set trusts no key at all (not loaded yet).
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    pub(crate) fn get(&self, kid: &str) -> Option<DecodingKey> {
        self.read().get(kid).cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, DecodingKey>> {
        // A writer panicking mid-replace cannot leave a half-written map: replace builds the new
        // map first and swaps it in one assignment.
        self.keys
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_reads_back_with_the_same_key_id() {
        let key = SigningKey::generate();
        let restored = SigningKey::from_pkcs8_der(key.to_pkcs8_der()).expect("valid der");
        assert_eq!(restored.kid(), key.kid());
        assert_eq!(restored.public_jwk(), key.public_jwk());
    }

    #[test]
    fn the_private_key_never_prints() {
        let key = SigningKey::generate();
        let printed = format!("{key:?}");
        assert!(printed.contains(key.kid()));
        assert!(!printed.contains(&URL_SAFE_NO_PAD.encode(key.to_pkcs8_der())));
    }

    #[test]
    fn a_revocation_covers_its_accounts_tokens_up_to_and_including_its_second() {
        let keys = KeySet::default();
        keys.revoke("u1", 100);
        keys.revoke("u1", 90);
        assert!(keys.is_revoked("u1", 99));
        assert!(
            keys.is_revoked("u1", 100),
            "the same second: maybe issued before it"
        );
        assert!(!keys.is_revoked("u1", 101));
        assert!(!keys.is_revoked("u2", 50), "other accounts are untouched");

        let clone = keys.clone();
        clone.replace_revocations([("u2".to_owned(), 50)]);
        assert!(
            !keys.is_revoked("u1", 99),
            "a replacement applies to every clone"
        );
        assert!(keys.is_revoked("u2", 50));
    }

    #[test]
    fn a_key_set_refuses_keys_of_other_types() {
        let mut jwk = SigningKey::generate().public_jwk().clone();
        jwk.kty = "RSA".to_owned();
        assert!(KeySet::new(&[jwk]).is_err());
    }
}
