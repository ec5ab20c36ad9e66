//! The identity service's configuration.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The identity service's configuration: the shared settings plus [`IdentitySettings`].
pub type IdentityConfig = estospaces_config::Config<IdentitySettings>;

/// Settings only the identity service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// How long an access token is accepted (`ESTOSPACES_IDENTITY__ACCESS_TOKEN_TTL=15m`).
    #[serde(with = "humantime_serde")]
    pub access_token_ttl: Duration,
    /// How long a session lasts from its login, however often it is refreshed
    /// (`ESTOSPACES_IDENTITY__SESSION_TTL=30days`).
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// How long an email verification token works.
    #[serde(with = "humantime_serde")]
    pub email_verification_ttl: Duration,
    /// How long a password reset token works.
    #[serde(with = "humantime_serde")]
    pub password_reset_ttl: Duration,
    /// How long a login may wait for its second factor.
    #[serde(with = "humantime_serde")]
    pub mfa_challenge_ttl: Duration,
    /// How often the key set is reloaded, so keys created by other replicas verify here too.
    #[serde(with = "humantime_serde")]
    pub key_refresh_interval: Duration,
    /// How long a rotated key is published before it signs anything, so every verifier (and
    /// every identity replica) has fetched it by the time a token names it. At least
    /// `key_refresh_interval`.
    #[serde(with = "humantime_serde")]
    pub signing_key_pre_publication: Duration,
    /// A PKCS#8 PEM Ed25519 private key (`ESTOSPACES_IDENTITY__SIGNING_KEY_FILE`, mounted from a Secret).
    /// When set, this key signs every token and `RotateSigningKey` is refused: rotate by
    /// replacing the file and restarting. When unset, keys are generated and kept in the
    /// database.
    pub signing_key_file: Option<PathBuf>,
    /// The email whose account becomes an admin once that email is verified
    /// (`ESTOSPACES_IDENTITY__BOOTSTRAP_ADMIN_EMAIL`). This is how the first admin comes to exist; later
    /// admins are granted by admins. Verification, not registration, grants it, so whoever
    /// registers the address first gains nothing without its mailbox.
    pub bootstrap_admin_email: Option<String>,
    /// Whether to take the client address (for login throttling and the address recorded with a
    /// session) from the last `x-forwarded-for` entry instead of the connection's peer. The
    /// gateway sets that header itself on every call, to the one client address it resolved
    /// (the TCP peer, or the client its trusted proxies name: `gateway.trusted_proxies`),
    /// replacing whatever the caller sent. Set this only when identity is reachable through the
    /// gateway alone (the Helm chart's NetworkPolicies see to it); otherwise a client calling
    /// identity directly could pick its own address and dodge throttling.
    pub trust_forwarded_for: bool,
    /// Throttling of failed sign-ins.
    pub login_throttle: ThrottleSettings,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(15 * 60),
            session_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            email_verification_ttl: Duration::from_secs(24 * 60 * 60),
            password_reset_ttl: Duration::from_secs(60 * 60),
            mfa_challenge_ttl: Duration::from_secs(5 * 60),
            key_refresh_interval: Duration::from_secs(30),
            signing_key_pre_publication: Duration::from_secs(60),
            signing_key_file: None,
            bootstrap_admin_email: None,
            trust_forwarded_for: false,
            login_throttle: ThrottleSettings::default(),
        }
    }
}

/// How failed sign-ins (wrong passwords, wrong second factors) are throttled
/// (`ESTOSPACES_IDENTITY__LOGIN_THROTTLE__ACCOUNT_MAX_FAILURES=5`, ...).
///
/// Failures are counted per email and per client address in a fixed window. Once a key reaches
/// its maximum, it is locked for `lockout`, doubling with each further failure up to
/// `max_lockout`. A successful sign-in clears the email's count, not the address's.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleSettings {
    pub account_max_failures: u32,
    pub address_max_failures: u32,
    #[serde(with = "humantime_serde")]
    pub window: Duration,
    #[serde(with = "humantime_serde")]
    pub lockout: Duration,
    #[serde(with = "humantime_serde")]
    pub max_lockout: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            account_max_failures: 5,
            address_max_failures: 50,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(60 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: estospaces_config::Placement =
        estospaces_config::Placement::Section(crate::SERVICE_NAME);

    #[test]
    fn nested_throttle_settings_and_the_key_file_are_read_from_a_config_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("identity.toml");
        std::fs::write(
            &file,
            "[identity]\n\
             signing_key_file = \"/run/secrets/signing-key.pem\"\n\
             bootstrap_admin_email = \"ops@example.com\"\n\
             session_ttl = \"7days\"\n\
             [identity.login_throttle]\n\
             account_max_failures = 3\n\
             lockout = \"30s\"\n",
        )
        .expect("written");

        let config: IdentityConfig =
            estospaces_config::load_from(Some(&file), IDENTITY).expect("valid");

        let settings = config.service;
        assert_eq!(
            settings.signing_key_file.as_deref(),
            Some(std::path::Path::new("/run/secrets/signing-key.pem"))
        );
        assert_eq!(
            settings.bootstrap_admin_email.as_deref(),
            Some("ops@example.com")
        );
        assert_eq!(settings.session_ttl, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(settings.login_throttle.account_max_failures, 3);
        assert_eq!(settings.login_throttle.lockout, Duration::from_secs(30));
        assert_eq!(
            settings.login_throttle.address_max_failures, 50,
            "defaults fill the rest"
        );
    }

    #[test]
    fn an_unknown_throttle_setting_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("identity.toml");
        std::fs::write(&file, "[identity.login_throttle]\nmax_tries = 3\n").expect("written");

        let err = estospaces_config::load_from::<IdentitySettings>(Some(&file), IDENTITY)
            .expect_err("typo");

        assert!(err.to_string().contains("max_tries"), "{err}");
    }
}
