//! Issuing and verifying access tokens.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::keys::{KeySet, SigningKey};
use crate::policy::{Caller, Role};

/// The claims of an EstoSpaces access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    /// The user's id (the `{user}` of `users/{user}`).
    sub: String,
    iss: String,
    aud: String,
    iat: u64,
    exp: u64,
    roles: Vec<Role>,
}

/// A signed token and when it stops being accepted.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: SystemTime,
}

/// Signs access tokens with one key. The identity service holds the only one.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    key: SigningKey,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl TokenIssuer {
    pub fn new(key: SigningKey, issuer: &str, audience: &str, ttl: Duration) -> Self {
        Self {
            key,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        }
    }

    /// A token saying `user_id` holds `roles`, valid from now for the issuer's lifetime.
    pub fn issue(&self, user_id: &str, roles: &[Role]) -> IssuedToken {
        self.issue_at(user_id, roles, SystemTime::now())
    }

    /// Like [`TokenIssuer::issue`] with an explicit issue time: for tests of expiry, and for
    /// identity stamping a token after its account's last revocation (whole seconds).
    pub fn issue_at(&self, user_id: &str, roles: &[Role], now: SystemTime) -> IssuedToken {
        let iat = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat,
            exp: iat + self.ttl.as_secs(),
            roles: roles.to_vec(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key.kid().to_owned());
        let token = jsonwebtoken::encode(&header, &claims, self.key.encoding_key())
            .expect("Ed25519 signing of serializable claims cannot fail");
        IssuedToken { token, expires_at }
    }
}

/// Why a token was refused. Each maps to an `ErrorInfo` reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token names no key id, or one this service does not trust")]
    UnknownKey,
    #[error("the token is signed with an algorithm other than EdDSA")]
    WrongAlgorithm,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued by someone else or for someone else")]
    WrongIssuerOrAudience,
    #[error("the account's tokens were revoked (a suspension or a ban)")]
    Revoked,
}

impl AuthError {
    /// The stable `ErrorInfo` reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed => "TOKEN_MALFORMED",
            Self::UnknownKey => "TOKEN_KEY_UNKNOWN",
            Self::WrongAlgorithm => "TOKEN_ALGORITHM_REFUSED",
            Self::BadSignature => "TOKEN_SIGNATURE_INVALID",
            Self::Expired => "TOKEN_EXPIRED",
            Self::WrongIssuerOrAudience => "TOKEN_NOT_FOR_THIS_SERVICE",
            Self::Revoked => "TOKEN_REVOKED",
        }
    }
}

/// Verifies access tokens against a key set.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    keys: KeySet,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(keys: KeySet, issuer: &str, audience: &str) -> Self {
        // EdDSA only: the algorithm comes from our policy, never from the token's header.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Clocks in a mesh drift a little; a few seconds of grace, not the crate's default minute.
        validation.leeway = 5;
        Self { keys, validation }
    }

    /// The caller a token speaks for, if it verifies.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::WrongAlgorithm);
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let key = self.keys.get(&kid).ok_or(AuthError::UnknownKey)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(
            |err| match err.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    AuthError::WrongAlgorithm
                }
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                    AuthError::WrongIssuerOrAudience
                }
                _ => AuthError::Malformed,
            },
        )?;
        if self.keys.is_revoked(&data.claims.sub, data.claims.iat) {
            return Err(AuthError::Revoked);
        }
        Ok(Caller {
            user_id: data.claims.sub,
            roles: data.claims.roles,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    const ISSUER: &str = "https://identity.test";
    const AUDIENCE: &str = "estospaces";

    fn issuer_and_verifier() -> (TokenIssuer, TokenVerifier) {
        let key = SigningKey::generate();
        let keys = KeySet::new(&[key.public_jwk().clone()]).expect("Ed25519 key");
        (
            TokenIssuer::new(key, ISSUER, AUDIENCE, Duration::from_secs(900)),
            TokenVerifier::new(keys, ISSUER, AUDIENCE),
        )
    }

    /// Splits a JWT into its three base64url parts.
    fn parts(token: &str) -> [String; 3] {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(
            parts.len(),
            3,
            "a JWS compact serialization has three parts"
        );
        [
            parts[0].to_owned(),
            parts[1].to_owned(),
            parts[2].to_owned(),
        ]
    }

    #[test]
    fn a_fresh_token_is_accepted_with_its_subject_and_roles() {
        let (issuer, verifier) = issuer_and_verifier();
        let issued = issuer.issue("user-1", &[Role::Guest, Role::Host]);

        let caller = verifier.verify(&issued.token).expect("valid token");
        assert_eq!(caller.user_id, "user-1");
        assert_eq!(caller.roles, [Role::Guest, Role::Host]);
    }

    #[test]
    fn a_token_issued_before_its_accounts_revocation_is_refused_and_a_later_one_accepted() {
        let key = SigningKey::generate();
        let keys = KeySet::new(&[key.public_jwk().clone()]).expect("Ed25519 key");
        let issuer = TokenIssuer::new(key, ISSUER, AUDIENCE, Duration::from_secs(900));
        let verifier = TokenVerifier::new(keys.clone(), ISSUER, AUDIENCE);
        let now = SystemTime::now();
        let second = now
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let before = issuer.issue_at("u1", &[Role::Guest], now).token;
        let other = issuer.issue_at("u2", &[Role::Guest], now).token;
        keys.revoke("u1", second);
        assert_eq!(verifier.verify(&before), Err(AuthError::Revoked));
        assert!(
            verifier.verify(&other).is_ok(),
            "other accounts are untouched"
        );
        let after = issuer
            .issue_at("u1", &[Role::Guest], now + Duration::from_secs(1))
            .token;
        assert!(
            verifier.verify(&after).is_ok(),
            "a token issued after the revocation"
        );
        keys.replace_revocations([]);
        assert!(verifier.verify(&before).is_ok(), "lifted");
    }

    #[test]
    fn an_expired_token_is_refused() {
        let (issuer, verifier) = issuer_and_verifier();
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        let issued = issuer.issue_at("user-1", &[Role::Guest], an_hour_ago);

        assert_eq!(verifier.verify(&issued.token), Err(AuthError::Expired));
    }

    #[test]
    fn a_token_signed_by_an_unknown_key_is_refused() {
        let (_, verifier) = issuer_and_verifier();
        let stranger = TokenIssuer::new(
            SigningKey::generate(),
            ISSUER,
            AUDIENCE,
            Duration::from_secs(900),
        );
        let issued = stranger.issue("user-1", &[Role::Admin]);

        assert_eq!(verifier.verify(&issued.token), Err(AuthError::UnknownKey));
    }

    #[test]
    fn a_token_claiming_a_trusted_kid_but_signed_by_another_key_is_refused() {
        let (issuer, verifier) = issuer_and_verifier();
        let genuine = issuer.issue("user-1", &[Role::Guest]);
        let forger = TokenIssuer::new(
            SigningKey::generate(),
            ISSUER,
            AUDIENCE,
            Duration::from_secs(900),
        );
        let forged = forger.issue("user-1", &[Role::Admin]);
        // Keep the forged claims and signature, but claim the trusted key id.
        let [genuine_header, _, _] = parts(&genuine.token);
        let [_, forged_claims, forged_signature] = parts(&forged.token);
        let token = format!("{genuine_header}.{forged_claims}.{forged_signature}");

        assert_eq!(verifier.verify(&token), Err(AuthError::BadSignature));
    }

    #[test]
    fn a_token_with_a_tampered_payload_is_refused() {
        let (issuer, verifier) = issuer_and_verifier();
        let issued = issuer.issue("user-1", &[Role::Guest]);
        let [header, claims, signature] = parts(&issued.token);
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("base64url"))
                .expect("json");
        claims["roles"] = serde_json::json!(["guest", "admin"]);
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));

        assert_eq!(
            verifier.verify(&format!("{header}.{claims}.{signature}")),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn an_unsigned_token_with_alg_none_is_refused() {
        let (issuer, verifier) = issuer_and_verifier();
        let issued = issuer.issue("user-1", &[Role::Guest]);
        let [_, claims, _] = parts(&issued.token);
        let kid = issuer.key.kid();
        let header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#));

        for token in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
            assert!(verifier.verify(&token).is_err(), "accepted {token}");
        }
    }

    #[test]
    fn a_token_signed_with_hmac_over_the_public_key_is_refused() {
        // The classic algorithm-confusion attack: sign with HS256 using the public key as secret.
        let (issuer, verifier) = issuer_and_verifier();
        let claims = Claims {
            sub: "user-1".to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: 0,
            exp: u64::MAX / 2,
            roles: vec![Role::Admin],
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(issuer.key.kid().to_owned());
        let secret = jsonwebtoken::EncodingKey::from_secret(issuer.key.public_jwk().x.as_bytes());
        let token = jsonwebtoken::encode(&header, &claims, &secret).expect("hmac");

        assert_eq!(verifier.verify(&token), Err(AuthError::WrongAlgorithm));
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let key = SigningKey::generate();
        let keys = KeySet::new(&[key.public_jwk().clone()]).expect("Ed25519 key");
        let issuer = TokenIssuer::new(key, ISSUER, "another-platform", Duration::from_secs(900));
        let verifier = TokenVerifier::new(keys, ISSUER, AUDIENCE);

        assert_eq!(
            verifier.verify(&issuer.issue("user-1", &[Role::Guest]).token),
            Err(AuthError::WrongIssuerOrAudience)
        );
    }

    #[test]
    fn an_old_key_keeps_verifying_after_rotation_while_it_stays_in_the_set() {
        let old = SigningKey::generate();
        let new = SigningKey::generate();
        let keys = KeySet::new(&[old.public_jwk().clone()]).expect("key");
        let verifier = TokenVerifier::new(keys.clone(), ISSUER, AUDIENCE);
        let old_token = TokenIssuer::new(old.clone(), ISSUER, AUDIENCE, Duration::from_secs(900))
            .issue("user-1", &[Role::Guest]);

        keys.replace(&[new.public_jwk().clone(), old.public_jwk().clone()])
            .expect("keys");
        assert!(verifier.verify(&old_token.token).is_ok());

        keys.replace(&[new.public_jwk().clone()]).expect("keys");
        assert_eq!(
            verifier.verify(&old_token.token),
            Err(AuthError::UnknownKey)
        );
    }
}
