//! Web Push: messages to browsers through their push service (FCM, Mozilla's, Apple's), as the
//! W3C Push API expects.
//!
//! - Each message is encrypted for the browser's keys (RFC 8291: ECDH on P-256, HKDF-SHA-256,
//!   AES-128-GCM in the `aes128gcm` content coding of RFC 8188), so the push service carries
//!   what it cannot read.
//! - The platform identifies itself with a VAPID key (RFC 8292): a P-256 key pair made at first
//!   start and kept in the service's database; each request carries a short-lived ES256 JWT for
//!   the push service's origin.
//! - A push service answering 404 or 410 says the subscription is gone: it is deleted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::BoxFuture;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

use crate::channels::SendError;

/// The application server's key pair (VAPID).
#[derive(Clone)]
pub struct VapidKey {
    secret: SecretKey,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey").finish_non_exhaustive()
    }
}

impl VapidKey {
    pub fn generate() -> Self {
        Self {
            secret: SecretKey::random(&mut rand::rngs::OsRng),
        }
    }

    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, p256::elliptic_curve::Error> {
        Ok(Self {
            secret: SecretKey::from_slice(bytes)?,
        })
    }

    pub fn secret_bytes(&self) -> Vec<u8> {
        self.secret.to_bytes().to_vec()
    }

    /// The public key as browsers take it: the uncompressed point, base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// `Authorization: vapid t=…, k=…` for a request to `endpoint`.
    pub fn authorization(&self, endpoint: &str, subject: &str, now: SystemTime) -> String {
        let audience = origin(endpoint).unwrap_or_default();
        let expires = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() + 12 * 3600;
        let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": audience, "exp": expires, "sub": subject});
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: p256::ecdsa::Signature =
            p256::ecdsa::SigningKey::from(&self.secret).sign(signing_input.as_bytes());
        let jwt = format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        );
        format!("vapid t={jwt}, k={}", self.public_key())
    }
}

/// `scheme://host[:port]` of a URL.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// Whether `endpoint` belongs to one of `allowed` push services (`https://fcm.googleapis.com`,
/// or `https://*.notify.windows.com` for any subdomain). The platform POSTs to the endpoint, so
/// an arbitrary URL would let anyone make it call anything.
pub fn is_allowed_endpoint(endpoint: &str, allowed: &[String]) -> bool {
    let Some(endpoint_origin) = origin(endpoint) else {
        return false;
    };
    allowed
        .iter()
        .any(|allowed| match allowed.split_once("://*.") {
            Some((scheme, domain)) => endpoint_origin
                .strip_prefix(&format!("{scheme}://"))
                .is_some_and(|host| host.ends_with(&format!(".{domain}"))),
            None => endpoint_origin == *allowed,
        })
}

/// A browser's subscription, as the sender needs it.
#[derive(Clone)]
pub struct Subscription {
    pub endpoint: String,
    /// The browser's public key: an uncompressed P-256 point (65 bytes).
    pub p256dh: Vec<u8>,
    /// The browser's authentication secret (16 bytes).
    pub auth: Vec<u8>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

fn base64url(text: &str) -> Result<Vec<u8>, &'static str> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| "must be base64url")
}

/// A browser's public key as the Push API gives it (`getKey("p256dh")`, base64url).
pub fn parse_p256dh(text: &str) -> Result<Vec<u8>, &'static str> {
    let key = base64url(text)?;
    PublicKey::from_sec1_bytes(&key).map_err(|_| "must be a P-256 public key")?;
    Ok(key)
}

/// A browser's authentication secret as the Push API gives it (`getKey("auth")`, base64url).
pub fn parse_auth(text: &str) -> Result<Vec<u8>, &'static str> {
    let auth = base64url(text)?;
    if auth.len() == 16 {
        Ok(auth)
    } else {
        Err("must be 16 bytes")
    }
}

/// The record size the content coding declares; a message is one record.
const RECORD_SIZE: u32 = 4096;

/// Encrypts `plaintext` for `subscription` (RFC 8291), returning the `aes128gcm` body.
pub fn encrypt(subscription: &Subscription, plaintext: &[u8]) -> Result<Vec<u8>, &'static str> {
    let browser = PublicKey::from_sec1_bytes(&subscription.p256dh).map_err(|_| "bad p256dh")?;
    let ephemeral = p256::ecdh::EphemeralSecret::random(&mut rand::rngs::OsRng);
    let server_public = ephemeral.public_key().to_encoded_point(false);
    let shared = ephemeral.diffie_hellman(&browser);

    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(&subscription.p256dh);
    key_info.extend_from_slice(server_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&subscription.auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| "hkdf")?;

    let salt: [u8; 16] = rand::random();
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|_| "hkdf")?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| "hkdf")?;

    let mut padded = plaintext.to_vec();
    padded.push(2); // the last (and only) record's delimiter
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| "aes key")?;
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), padded.as_slice())
        .map_err(|_| "aes-gcm")?;

    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(server_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// Sends push messages.
pub trait PushProvider: std::fmt::Debug + Send + Sync + 'static {
    fn send<'a>(
        &'a self,
        subscription: &'a Subscription,
        payload: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SendError>>;
}

/// Sends nothing: the message stays in the delivery log (`ListDeliveries`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxPush;

impl PushProvider for SandboxPush {
    fn send<'a>(
        &'a self,
        _subscription: &'a Subscription,
        _payload: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The Web Push protocol (RFC 8030) to the browser's push service.
#[derive(Debug)]
pub struct WebPush {
    client: reqwest::Client,
    key: VapidKey,
    subject: String,
    ttl: Duration,
}

impl WebPush {
    pub fn new(key: VapidKey, subject: String, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder().timeout(timeout).build()?,
            key,
            subject,
            ttl: Duration::from_secs(24 * 3600),
        })
    }
}

impl PushProvider for WebPush {
    fn send<'a>(
        &'a self,
        subscription: &'a Subscription,
        payload: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let body = encrypt(subscription, payload).map_err(|why| {
                SendError::Permanent(format!("encrypting for the subscription: {why}"))
            })?;
            let response = self
                .client
                .post(&subscription.endpoint)
                .header(
                    "authorization",
                    self.key.authorization(
                        &subscription.endpoint,
                        &self.subject,
                        SystemTime::now(),
                    ),
                )
                .header("content-encoding", "aes128gcm")
                .header("content-type", "application/octet-stream")
                .header("ttl", self.ttl.as_secs().to_string())
                .header("urgency", "normal")
                .body(body)
                .send()
                .await
                .map_err(|err| SendError::Transient(format!("push service: {err}")))?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let why = format!("the push service answered {status}");
            match status.as_u16() {
                404 | 410 => Err(SendError::Gone(why)),
                429 | 500.. => Err(SendError::Transient(why)),
                _ => Err(SendError::Permanent(why)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_endpoints_of_allowed_push_services_are_accepted() {
        let allowed = vec![
            "https://fcm.googleapis.com".to_owned(),
            "https://*.notify.windows.com".to_owned(),
        ];
        assert!(is_allowed_endpoint(
            "https://fcm.googleapis.com/fcm/send/abc",
            &allowed
        ));
        assert!(is_allowed_endpoint(
            "https://wns2-par02p.notify.windows.com/w/?token=x",
            &allowed
        ));
        assert!(!is_allowed_endpoint(
            "https://fcm.googleapis.com.evil.example/x",
            &allowed
        ));
        assert!(!is_allowed_endpoint(
            "http://fcm.googleapis.com/x",
            &allowed
        ));
        assert!(!is_allowed_endpoint(
            "https://169.254.169.254/latest/meta-data",
            &allowed
        ));
        assert!(!is_allowed_endpoint(
            "https://notify.windows.com/x",
            &allowed
        ));
    }
}
