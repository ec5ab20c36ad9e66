//! Opaque credentials: refresh tokens, one-time tokens and recovery codes.
//!
//! Each is drawn from the OS random generator, handed to its holder once and stored only as its
//! SHA-256 digest. A fast hash is enough because the inputs are long random strings, not
//! passwords: there is nothing to guess.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// A fresh random token and its digest. The raw value never prints.
pub struct OpaqueToken {
    raw: String,
    digest: Vec<u8>,
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueToken(..)")
    }
}

impl OpaqueToken {
    /// 256 random bits, base64url without padding (43 characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let raw = URL_SAFE_NO_PAD.encode(bytes);
        let digest = digest(&raw);
        Self { raw, digest }
    }

    /// The value to hand to the holder.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The value to store.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }
}

/// The stored form of a token or code presented by a caller.
pub fn digest(raw: &str) -> Vec<u8> {
    Sha256::digest(raw.trim().as_bytes()).to_vec()
}

/// How many recovery codes a confirmed enrollment yields.
pub const RECOVERY_CODES: usize = 10;

/// Recovery codes like `k7qm-2xvd-9fha-tr3e`: 16 characters of a 32-letter alphabet without
/// look-alikes (80 random bits), grouped for reading aloud.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789#";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 16];
            OsRng.fill_bytes(&mut bytes);
            let chars: Vec<char> = bytes
                .iter()
                // 31 letters plus one stand-in keep the modulo unbiased; replace the stand-in.
                .map(|byte| match ALPHABET[usize::from(byte % 32)] {
                    b'#' => 'z',
                    c => char::from(c),
                })
                .collect();
            chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The stored form of a recovery code, ignoring case, spaces and dashes as typed.
pub fn recovery_code_digest(raw: &str) -> Vec<u8> {
    let normalized: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    digest(&normalized)
}

/// Whether a second-factor answer looks like a recovery code rather than a TOTP code.
pub fn is_recovery_code(raw: &str) -> bool {
    raw.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_their_digest_is_the_digest_of_the_raw_value() {
        let a = OpaqueToken::generate();
        let b = OpaqueToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert_eq!(a.digest(), digest(a.expose()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn recovery_codes_are_distinct_and_match_however_they_are_typed() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 19, "{code}");
        assert!(is_recovery_code(code));
        assert!(!is_recovery_code("123456"));
        let typed = format!(" {} ", code.replace('-', " ").to_uppercase());
        assert_eq!(recovery_code_digest(&typed), recovery_code_digest(code));
    }
}
