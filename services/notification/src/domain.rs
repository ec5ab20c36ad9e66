//! Categories, channels and preferences, parsed and checked at the edge.

use std::collections::BTreeMap;

use estospaces_proto::notification_v1 as pb;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's id, as identity assigns it: the `{user}` in `users/{user}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub Uuid);

impl UserId {
    /// Parses `users/{uuid}` followed by exactly `suffix` (`""`, `"/notificationPreferences"`).
    pub fn from_name(name: &str, suffix: &str) -> Option<Self> {
        name.strip_prefix("users/")
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Self)
    }

    /// `users/{user}`.
    pub fn name(&self) -> String {
        format!("users/{}", self.0)
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Account,
    Bookings,
    Messages,
    Alerts,
    Marketing,
}

impl Category {
    pub const ALL: [Self; 5] = [
        Self::Account,
        Self::Bookings,
        Self::Messages,
        Self::Alerts,
        Self::Marketing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Bookings => "bookings",
            Self::Messages => "messages",
            Self::Alerts => "alerts",
            Self::Marketing => "marketing",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::Category::try_from(value).ok()? {
            pb::Category::Account => Some(Self::Account),
            pb::Category::Bookings => Some(Self::Bookings),
            pb::Category::Messages => Some(Self::Messages),
            pb::Category::Alerts => Some(Self::Alerts),
            pb::Category::Marketing => Some(Self::Marketing),
            pb::Category::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> pb::Category {
        match self {
            Self::Account => pb::Category::Account,
            Self::Bookings => pb::Category::Bookings,
            Self::Messages => pb::Category::Messages,
            Self::Alerts => pb::Category::Alerts,
            Self::Marketing => pb::Category::Marketing,
        }
    }

    /// Account and security messages reach people whatever they chose.
    pub fn is_essential(self) -> bool {
        self == Self::Account
    }

    /// The channels a user who never chose has.
    fn default_channels(self) -> Vec<Channel> {
        match self {
            Self::Account => vec![Channel::InApp, Channel::Email, Channel::Sms],
            Self::Bookings | Self::Messages | Self::Alerts => vec![Channel::InApp, Channel::Email],
            Self::Marketing => vec![],
        }
    }
}

/// How a message reaches a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InApp,
    Email,
    Sms,
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::InApp, Self::Email, Self::Sms, Self::Push]
            .into_iter()
            .find(|c| c.as_str() == name)
    }

    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::Channel::try_from(value).ok()? {
            pb::Channel::InApp => Some(Self::InApp),
            pb::Channel::Email => Some(Self::Email),
            pb::Channel::Sms => Some(Self::Sms),
            pb::Channel::Push => Some(Self::Push),
            pb::Channel::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> pb::Channel {
        match self {
            Self::InApp => pb::Channel::InApp,
            Self::Email => pb::Channel::Email,
            Self::Sms => pb::Channel::Sms,
            Self::Push => pb::Channel::Push,
        }
    }
}

/// How often saved-search alerts are mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Digest {
    Immediate,
    #[default]
    Daily,
    Weekly,
}

impl Digest {
    /// The shortest time between two digests.
    pub fn period(self) -> std::time::Duration {
        let day = std::time::Duration::from_secs(24 * 60 * 60);
        match self {
            Self::Immediate => std::time::Duration::ZERO,
            Self::Daily => day,
            Self::Weekly => 7 * day,
        }
    }

    pub fn from_proto(value: pb::DigestFrequency) -> Self {
        match value {
            pb::DigestFrequency::Immediate => Self::Immediate,
            pb::DigestFrequency::Weekly => Self::Weekly,
            pb::DigestFrequency::Daily | pb::DigestFrequency::Unspecified => Self::Daily,
        }
    }

    pub fn to_proto(self) -> pb::DigestFrequency {
        match self {
            Self::Immediate => pb::DigestFrequency::Immediate,
            Self::Daily => pb::DigestFrequency::Daily,
            Self::Weekly => pb::DigestFrequency::Weekly,
        }
    }
}

/// Quiet hours: minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start_minute: u16,
    pub end_minute: u16,
}

impl QuietHours {
    /// Whether `minute` (after local midnight) falls inside, spanning midnight when the window
    /// ends before it starts.
    pub fn contains(self, minute: u16) -> bool {
        if self.start_minute <= self.end_minute {
            (self.start_minute..self.end_minute).contains(&minute)
        } else {
            minute >= self.start_minute || minute < self.end_minute
        }
    }
}

/// A user's choices; what is stored, as JSON, in one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub channels: BTreeMap<Category, Vec<Channel>>,
    pub time_zone: String,
    pub quiet_hours: Option<QuietHours>,
    pub language: String,
    pub phone_number: String,
    pub alert_digest: Digest,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            channels: Category::ALL
                .into_iter()
                .map(|category| (category, category.default_channels()))
                .collect(),
            time_zone: "UTC".to_owned(),
            quiet_hours: None,
            language: "en".to_owned(),
            phone_number: String::new(),
            alert_digest: Digest::Daily,
        }
    }
}

impl Preferences {
    /// The channels `category` uses. Account messages use every channel the user has.
    pub fn channels_for(&self, category: Category) -> Vec<Channel> {
        if category.is_essential() {
            return category.default_channels();
        }
        self.channels
            .get(&category)
            .cloned()
            .unwrap_or_else(|| category.default_channels())
    }

    /// The user's time zone; UTC when the stored name is no longer known.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// When a non-essential text or push at `now` may go: `now`, or the end of quiet hours.
    pub fn quiet_until(&self, now: std::time::SystemTime) -> Option<std::time::SystemTime> {
        let quiet = self.quiet_hours?;
        let now = jiff::Timestamp::try_from(now).ok()?;
        let local = now.to_zoned(self.zone());
        let minute =
            u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).ok()?;
        if !quiet.contains(minute) {
            return None;
        }
        let wait = (i64::from(quiet.end_minute) - i64::from(minute)).rem_euclid(24 * 60);
        let end = now
            .checked_add(jiff::SignedDuration::from_mins(wait))
            .ok()?;
        Some(std::time::SystemTime::from(end))
    }
}

/// An E.164 phone number: `+` and 8 to 15 digits.
pub fn check_phone_number(number: &str) -> Result<(), &'static str> {
    let digits = number
        .strip_prefix('+')
        .ok_or("must start with + and the country code")?;
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("must be + followed by 8 to 15 digits (E.164)")
    }
}

/// A BCP 47 language tag as far as templates need it: letters, digits and hyphens.
pub fn check_language(tag: &str) -> Result<(), &'static str> {
    let ok = !tag.is_empty()
        && tag.len() <= 35
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err("must be a language tag such as en or pt-BR")
    }
}

/// Hides most of an address in the delivery log: `al***@example.com`, `+3519*****78`.
pub fn mask(address: &str) -> String {
    if let Some((local, domain)) = address.split_once('@') {
        let shown: String = local.chars().take(2).collect();
        return format!("{shown}***@{domain}");
    }
    let chars: Vec<char> = address.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn account_messages_use_every_channel_whatever_the_user_chose() {
        let mut preferences = Preferences::default();
        preferences.channels.insert(Category::Account, vec![]);
        preferences.channels.insert(Category::Bookings, vec![]);
        assert_eq!(
            preferences.channels_for(Category::Account),
            [Channel::InApp, Channel::Email, Channel::Sms]
        );
        assert!(preferences.channels_for(Category::Bookings).is_empty());
        assert!(preferences.channels_for(Category::Marketing).is_empty());
    }

    #[test]
    fn quiet_hours_span_midnight_in_the_users_time_zone() {
        let preferences = Preferences {
            time_zone: "Asia/Tokyo".to_owned(), // UTC+9, no daylight saving
            quiet_hours: Some(QuietHours {
                start_minute: 22 * 60,
                end_minute: 7 * 60,
            }),
            ..Preferences::default()
        };
        // 14:00 UTC is 23:00 in Tokyo: quiet until 07:00 Tokyo, 22:00 UTC.
        let at = UNIX_EPOCH + Duration::from_secs(14 * 3600);
        assert_eq!(
            preferences.quiet_until(at),
            Some(UNIX_EPOCH + Duration::from_secs(22 * 3600))
        );
        // 03:00 UTC is 12:00 in Tokyo: not quiet.
        assert_eq!(
            preferences.quiet_until(UNIX_EPOCH + Duration::from_secs(3 * 3600)),
            None
        );
    }

    #[test]
    fn phone_numbers_and_addresses_are_checked_and_masked() {
        assert!(check_phone_number("+351912345678").is_ok());
        assert!(check_phone_number("0912345678").is_err());
        assert!(check_phone_number("+12").is_err());
        assert_eq!(mask("alice@example.com"), "al***@example.com");
        assert_eq!(mask("+351912345678"), "+3519******78");
        assert!(check_language("pt-BR").is_ok());
        assert!(check_language("pt_BR").is_err());
    }
}
