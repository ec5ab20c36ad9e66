//! One-time secrets (verification and password-reset tokens) sealed to the notification
//! service's delivery key: libsodium sealed boxes (X25519 + XSalsa20-Poly1305, an ephemeral
//! sender key per message). Whoever reads the event topic sees only ciphertext; only the holder
//! of the private key, the notification service, can open it.

use crypto_box::{PublicKey, SecretKey};

/// A delivery key pair: the private half stays with its service.
#[derive(Clone)]
pub struct DeliveryKey {
    secret: SecretKey,
}

impl std::fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryKey").finish_non_exhaustive()
    }
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("a delivery key is 32 bytes, not {0}")]
    KeyLength(usize),
    #[error("the sealed secret does not open with this key")]
    Open,
    #[error("the secret could not be sealed")]
    Seal,
}

impl DeliveryKey {
    /// A new random key pair.
    pub fn generate() -> Self {
        Self {
            secret: SecretKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The key pair whose private half is `bytes`.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SealError::KeyLength(bytes.len()))?;
        Ok(Self {
            secret: SecretKey::from(bytes),
        })
    }

    /// The private half, to store.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// The public half, to publish.
    pub fn public_bytes(&self) -> [u8; 32] {
        *self.secret.public_key().as_bytes()
    }

    /// Opens a secret sealed to this key.
    pub fn open(&self, sealed: &[u8]) -> Result<String, SealError> {
        let plain = self.secret.unseal(sealed).map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map_err(|_| SealError::Open)
    }
}

/// Seals `secret` to the 32-byte public key `public_key`.
pub fn seal(public_key: &[u8], secret: &str) -> Result<Vec<u8>, SealError> {
    let bytes: [u8; 32] = public_key
        .try_into()
        .map_err(|_| SealError::KeyLength(public_key.len()))?;
    PublicKey::from(bytes)
        .seal(&mut rand::rngs::OsRng, secret.as_bytes())
        .map_err(|_| SealError::Seal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key() {
        let key = DeliveryKey::generate();
        let sealed = seal(&key.public_bytes(), "s3cret-token").expect("sealed");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(key.open(&sealed).expect("opens"), "s3cret-token");

        let other = DeliveryKey::generate();
        assert!(matches!(other.open(&sealed), Err(SealError::Open)));
        let restored = DeliveryKey::from_secret_bytes(&key.secret_bytes()).expect("32 bytes");
        assert_eq!(restored.open(&sealed).expect("opens"), "s3cret-token");
        assert!(matches!(
            seal(&[1, 2, 3], "x"),
            Err(SealError::KeyLength(3))
        ));
    }
}
