//! TOTP second factors (RFC 6238): SHA-1, 6 digits, 30-second steps, one step of clock skew —
//! what every authenticator app understands.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Totp};

/// The issuer name authenticator apps show next to the account.
const ISSUER: &str = "EstoSpaces";

/// A new 160-bit secret, the length RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|err| anyhow::anyhow!("building a TOTP: {err}"))
}

/// What an authenticator app needs: the base32 secret and the `otpauth://` URI.
pub fn enrollment(secret: &[u8], account: &str) -> anyhow::Result<(String, String)> {
    let totp = totp(secret, account)?;
    let uri = totp
        .to_url()
        .map_err(|err| anyhow::anyhow!("building an otpauth URI: {err}"))?;
    Ok((totp.secret().to_base32(), uri))
}

/// The time step `code` is valid for at `now`, if it is valid. The caller must accept each step
/// only once.
pub fn check(secret: &[u8], code: &str, now: SystemTime) -> Option<u64> {
    let seconds = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    // The account name only matters for the URI.
    totp(secret, "check").ok()?.check(code.trim(), seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_code_checks_and_a_wrong_one_does_not() {
        let secret = new_secret();
        let now = SystemTime::now();
        let seconds = now
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let code = totp(&secret, "ann@example.com")
            .expect("valid")
            .generate(seconds)
            .to_string();

        assert_eq!(check(&secret, &code, now), Some(seconds / 30));
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(check(&secret, wrong, now), None);
    }

    #[test]
    fn the_enrollment_uri_names_the_issuer_account_and_secret() {
        let secret = new_secret();
        let (base32, uri) = enrollment(&secret, "ann@example.com").expect("valid");
        assert!(
            uri.starts_with("otpauth://totp/EstoSpaces:ann%40example.com?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={base32}")), "{uri}");
        assert!(uri.contains("issuer=EstoSpaces"), "{uri}");
    }
}
