//! Input parsed into types that can only hold valid values.

use std::fmt;

use uuid::Uuid;

/// A normalized email address: trimmed and lower-cased, so `Ann@Example.com ` and
/// `ann@example.com` are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The address, or why it is not one.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required");
        }
        // RFC 5321 limits a path to 256 octets including the angle brackets.
        if email.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must be an email address like name@example.com");
        };
        let plausible = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err("must be an email address like name@example.com");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy: 12 to 128 characters (NIST SP 800-63B asks for length, not
/// composition rules), not one character repeated.
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    /// The password, or why it is too weak.
    pub fn parse(raw: String) -> Result<Self, &'static str> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err("must be at least 12 characters");
        }
        if chars > Self::MAX_CHARS {
            return Err("must be at most 128 characters");
        }
        let mut distinct = raw.chars();
        let first = distinct.next();
        if distinct.all(|c| Some(c) == first) {
            return Err("must not repeat a single character");
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A user's id: the `{user}` in `users/{user}`, a UUIDv7 (time-ordered, so index-friendly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(Uuid);

impl UserId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses a resource name `users/{uuid}`.
    pub fn from_name(name: &str) -> Result<Self, &'static str> {
        let id = name
            .strip_prefix("users/")
            .ok_or("must be a resource name like users/{user}")?;
        Self::parse(id).map_err(|_| "must be a resource name like users/{user}")
    }

    /// Parses a bare id.
    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    /// The resource name, `users/{uuid}`.
    pub fn name(&self) -> String {
        format!("users/{}", self.0)
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A session's id: the `{session}` in `users/{user}/sessions/{session}`, a UUIDv7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(Uuid);

impl SessionId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses a bare id.
    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    /// Parses a resource name `users/{user}/sessions/{session}`.
    pub fn from_name(name: &str) -> Result<(UserId, Self), &'static str> {
        const WHY: &str = "must be a resource name like users/{user}/sessions/{session}";
        let (user, session) = name.split_once("/sessions/").ok_or(WHY)?;
        let user = UserId::from_name(user).map_err(|_| WHY)?;
        let session = Self::parse(session).map_err(|_| WHY)?;
        Ok((user, session))
    }

    /// The resource name, `users/{user}/sessions/{session}`.
    pub fn name(&self, user: UserId) -> String {
        format!("{}/sessions/{}", user.name(), self.0)
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Ann.Lee@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ann.lee@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@.com",
        ] {
            assert!(Email::parse(raw).is_err(), "accepted {raw:?}");
        }
    }

    #[test]
    fn short_long_and_monotonous_passwords_are_refused() {
        for raw in ["short".to_owned(), "a".repeat(12), "x".repeat(129)] {
            assert!(Password::parse(raw.clone()).is_err(), "accepted {raw:?}");
        }
        assert!(Password::parse("correct horse battery".to_owned()).is_ok());
    }

    #[test]
    fn a_password_never_prints() {
        let password = Password::parse("correct horse battery".to_owned()).expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn user_names_round_trip_and_bad_ones_are_refused() {
        let id = UserId::new();
        assert_eq!(UserId::from_name(&id.name()), Ok(id));
        assert!(UserId::from_name("users/not-a-uuid").is_err());
        assert!(UserId::from_name(&id.to_string()).is_err());
    }

    #[test]
    fn session_names_round_trip_and_bad_ones_are_refused() {
        let user = UserId::new();
        let session = SessionId::new();
        assert_eq!(
            SessionId::from_name(&session.name(user)),
            Ok((user, session))
        );
        for bad in [
            user.name(),
            format!("{}/sessions/nope", user.name()),
            format!("users/x/sessions/{session}"),
        ] {
            assert!(SessionId::from_name(&bad).is_err(), "accepted {bad}");
        }
    }
}
