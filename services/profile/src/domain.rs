//! Resource names and profile fields, parsed and checked at the edge.

use std::fmt;

use uuid::Uuid;

/// A user's id, as identity assigns it: the `{user}` in `users/{user}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(Uuid);

impl UserId {
    /// Parses `users/{uuid}` followed by exactly `suffix` (`""`, `"/profile"`, ...).
    pub fn from_name(name: &str, suffix: &str) -> Result<Self, &'static str> {
        name.strip_prefix("users/")
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Self)
            .ok_or("must be a resource name like users/{user}")
    }

    /// Parses a bare id.
    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    /// `users/{user}`.
    pub fn name(&self) -> String {
        format!("users/{}", self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An agency's id: the `{agency}` in `agencies/{agency}`, a UUIDv7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgencyId(Uuid);

impl AgencyId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    /// Parses `agencies/{uuid}`.
    pub fn from_name(name: &str) -> Result<Self, &'static str> {
        name.strip_prefix("agencies/")
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Self)
            .ok_or("must be a resource name like agencies/{agency}")
    }

    /// Parses `agencies/{agency}/members/{user}`.
    pub fn member_from_name(name: &str) -> Result<(Self, UserId), &'static str> {
        const WHY: &str = "must be a resource name like agencies/{agency}/members/{member}";
        let (agency, member) = name.split_once("/members/").ok_or(WHY)?;
        let agency = Self::from_name(agency).map_err(|_| WHY)?;
        let member = UserId::parse(member).map_err(|_| WHY)?;
        Ok((agency, member))
    }

    /// `agencies/{agency}`.
    pub fn name(&self) -> String {
        format!("agencies/{}", self.0)
    }

    /// `agencies/{agency}/members/{user}`.
    pub fn member_name(&self, user: UserId) -> String {
        format!("agencies/{}/members/{}", self.0, user)
    }
}

/// The parent of a list of members: one agency, or every agency (`agencies/-`, AIP-159).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencyParent {
    One(AgencyId),
    Every,
}

impl AgencyParent {
    /// Parses `agencies/{uuid}` or `agencies/-`.
    pub fn from_name(name: &str) -> Result<Self, &'static str> {
        if name == "agencies/-" {
            return Ok(Self::Every);
        }
        AgencyId::from_name(name)
            .map(Self::One)
            .map_err(|_| "must be a resource name like agencies/{agency}, or agencies/-")
    }
}

impl Default for AgencyId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A way to reach a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            "push" => Some(Self::Push),
            _ => None,
        }
    }
}

/// Where an agent's licence check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Pending,
    Verified,
    Rejected,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "verified" => Some(Self::Verified),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// A member's role in an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Owner,
    Manager,
    Agent,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Manager => "manager",
            Self::Agent => "agent",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "owner" => Some(Self::Owner),
            "manager" => Some(Self::Manager),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }
}

/// A profile's editable fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFields {
    pub display_name: String,
    pub avatar_media_id: String,
    pub bio: String,
    pub phone: String,
    pub languages: Vec<String>,
    pub city: String,
    pub currency: String,
    pub language: String,
    pub notification_channels: Vec<Channel>,
}

/// Free text of at most `max` characters, trimmed.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must not contain control characters".to_owned());
    }
    Ok(trimmed.to_owned())
}

/// An E.164 phone number (`+` and 8 to 15 digits), or empty to clear it.
pub fn phone(raw: &str) -> Result<String, &'static str> {
    let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if compact.is_empty() {
        return Ok(compact);
    }
    let digits = compact.strip_prefix('+').unwrap_or_default();
    if (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err("must be an E.164 number like +447700900123")
    }
}

/// A BCP 47 language tag (`en`, `pt-BR`, `zh-Hant-TW`), or empty to clear it.
pub fn language_tag(raw: &str) -> Result<String, &'static str> {
    const WHY: &str = "must be a BCP 47 language tag like en or pt-BR";
    let tag = raw.trim();
    if tag.is_empty() {
        return Ok(String::new());
    }
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    let rest_ok = parts.all(|part| {
        (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if primary_ok && rest_ok && tag.len() <= 35 {
        Ok(tag.to_owned())
    } else {
        Err(WHY)
    }
}

/// The key a city is found by in the agent directory: trimmed and lowercased (Unicode-aware),
/// so `LISBOA`, `Lisboa ` and `lisboa` are one city.
pub fn city_key(city: &str) -> String {
    city.trim().to_lowercase()
}

/// The agent directory's filters, checked: both optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentFilter {
    /// A [`city_key`]; `None` for any city.
    pub city: Option<String>,
    /// A BCP 47 tag, lowercased; `None` for any language. `pt` also finds `pt-BR`.
    pub language: Option<String>,
}

impl AgentFilter {
    /// Checks a request's `city` (at most 100 characters) and `language` (a BCP 47 tag); every
    /// bad field is reported, as (field, why).
    pub fn parse(city: &str, language: &str) -> Result<Self, Vec<(&'static str, String)>> {
        let mut bad = Vec::new();
        let city = match text(city, 100) {
            Ok(city) if city.is_empty() => None,
            Ok(city) => Some(city_key(&city)),
            Err(why) => {
                bad.push(("city", why));
                None
            }
        };
        let language = match language_tag(language) {
            Ok(tag) if tag.is_empty() => None,
            Ok(tag) => Some(tag.to_ascii_lowercase()),
            Err(why) => {
                bad.push(("language", why.to_owned()));
                None
            }
        };
        if bad.is_empty() {
            Ok(Self { city, language })
        } else {
            Err(bad)
        }
    }
}

/// An ISO 4217 currency code (three letters, upper-cased), or empty to clear it.
pub fn currency(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_ascii_uppercase();
    if code.is_empty() || (code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())) {
        Ok(code)
    } else {
        Err("must be an ISO 4217 code like EUR")
    }
}

/// A media id: letters, digits, `-` and `_`, at most 128; or empty to clear it.
pub fn media_id(raw: &str) -> Result<String, &'static str> {
    let id = raw.trim();
    if id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id.to_owned())
    } else {
        Err("must be a media id (letters, digits, - and _)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_are_refused() {
        let id = Uuid::now_v7();
        let user = UserId::from_name(&format!("users/{id}/profile"), "/profile").expect("valid");
        assert_eq!(user.name(), format!("users/{id}"));
        assert!(UserId::from_name(&format!("users/{id}"), "/profile").is_err());
        assert!(UserId::from_name("users/nope/profile", "/profile").is_err());

        let agency = AgencyId::new();
        let member = agency.member_name(user);
        assert_eq!(AgencyId::member_from_name(&member), Ok((agency, user)));
        assert!(AgencyId::member_from_name(&agency.name()).is_err());
        assert_eq!(
            AgencyParent::from_name(&agency.name()),
            Ok(AgencyParent::One(agency))
        );
        assert_eq!(
            AgencyParent::from_name("agencies/-"),
            Ok(AgencyParent::Every)
        );
        assert!(AgencyParent::from_name("agencies/").is_err());
        assert!(AgencyId::from_name("agencies/-").is_err());
    }

    #[test]
    fn phones_languages_and_currencies_are_checked() {
        assert_eq!(phone("+44 7700 900-123"), Ok("+447700900123".to_owned()));
        assert_eq!(phone(""), Ok(String::new()));
        for bad in ["07700900123", "+12", "+44abc90012345"] {
            assert!(phone(bad).is_err(), "accepted {bad}");
        }
        for good in ["en", "pt-BR", "zh-Hant-TW"] {
            assert!(language_tag(good).is_ok(), "refused {good}");
        }
        for bad in ["e", "english-language-tag-x", "en_GB", "e1"] {
            assert!(language_tag(bad).is_err(), "accepted {bad}");
        }
        assert_eq!(currency("eur"), Ok("EUR".to_owned()));
        assert!(currency("EURO").is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  Ann  ", 10), Ok("Ann".to_owned()));
        assert!(text(&"x".repeat(11), 10).is_err());
        assert!(text("a\u{7}b", 10).is_err());
    }
}
