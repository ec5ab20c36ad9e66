//! Signed URLs for private media: `…/content/<file>?expires=<unix seconds>&signature=<sig>`,
//! where the signature is HMAC-SHA256 of the content name and the expiry under a key every
//! replica shares (kept in the database). Whoever holds the URL may read that one variant
//! until it expires; nothing else is granted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks URLs.
#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
    ttl: Duration,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSigner")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why a signed URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the URL is not signed")]
    Missing,
    #[error("the signed URL has expired")]
    Expired,
    #[error("the URL's signature is not valid")]
    Invalid,
}

impl SignatureError {
    /// The `ErrorInfo` reason.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "SIGNATURE_REQUIRED",
            Self::Expired => "SIGNATURE_EXPIRED",
            Self::Invalid => "SIGNATURE_INVALID",
        }
    }
}

impl UrlSigner {
    pub fn new(key: Vec<u8>, ttl: Duration) -> Self {
        Self { key, ttl }
    }

    fn mac(&self, content: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any size");
        mac.update(content.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The expiry and signature for `content` (`media/<id>/content/<file>`), valid from `now`
    /// for the signer's time to live.
    pub fn sign(&self, content: &str, now: SystemTime) -> (i64, String) {
        let expires = unix_seconds(now + self.ttl);
        let signature = URL_SAFE_NO_PAD.encode(self.mac(content, expires).finalize().into_bytes());
        (expires, signature)
    }

    /// Whether `signature` signs `content` until `expires`, and `expires` is still ahead.
    pub fn verify(
        &self,
        content: &str,
        expires: i64,
        signature: &str,
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        if signature.is_empty() {
            return Err(SignatureError::Missing);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| SignatureError::Invalid)?;
        self.mac(content, expires)
            .verify_slice(&bytes)
            .map_err(|_| SignatureError::Invalid)?;
        if expires <= unix_seconds(now) {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

pub fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_works_for_its_content_until_it_expires() {
        let signer = UrlSigner::new(b"key".to_vec(), Duration::from_secs(60));
        let now = SystemTime::now();
        let content = "media/1/content/original";
        let (expires, signature) = signer.sign(content, now);
        assert_eq!(signer.verify(content, expires, &signature, now), Ok(()));
        assert_eq!(
            signer.verify(content, expires, &signature, now + Duration::from_secs(61)),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            signer.verify("media/2/content/original", expires, &signature, now),
            Err(SignatureError::Invalid),
            "another media's URL"
        );
        assert_eq!(
            signer.verify(content, expires + 3600, &signature, now),
            Err(SignatureError::Invalid),
            "a later expiry written in by hand"
        );
        let other = UrlSigner::new(b"other".to_vec(), Duration::from_secs(60));
        assert_eq!(
            other.verify(content, expires, &signature, now),
            Err(SignatureError::Invalid)
        );
    }
}
