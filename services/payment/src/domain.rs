//! Payments as the service reasons about them: ids, resource names, states and money.

use std::fmt;

use estospaces_proto::payment_v1 as pb;
use estospaces_status::{FieldViolation, violation};
use uuid::Uuid;

/// A UUIDv7 id behind a resource name (`payments/{id}`), so ids order by age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id<const P: char>(Uuid);

/// A payment's id: the `{payment}` of `payments/{payment}`.
pub type PaymentId = Id<'p'>;

/// A payout's id: the `{payout}` of `payouts/{payout}`.
pub type PayoutId = Id<'o'>;

impl<const P: char> Id<P> {
    const COLLECTION: &'static str = if P == 'p' { "payments" } else { "payouts" };

    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses a resource name, `payments/{uuid}`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        name.strip_prefix(Self::COLLECTION)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Self)
            .ok_or_else(|| format!("must be `{}/{{uuid}}`", Self::COLLECTION))
    }

    /// Parses a bare id as stored.
    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

impl<const P: char> Default for Id<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const P: char> fmt::Display for Id<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The `{id}` of a resource name `collection/{id}` owned by another service (`bookings/...`,
/// `users/...`): any non-empty id without slashes, at most 128 characters.
pub fn foreign_id(collection: &str, name: &str) -> Result<String, String> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|id| !id.is_empty() && id.len() <= 128 && !id.contains('/'))
        .map(str::to_owned)
        .ok_or_else(|| format!("must be `{collection}/{{id}}`"))
}

/// The `{reservation}` of a project unit reservation's name,
/// `projects/{project}/reservations/{reservation}` (each id as [`foreign_id`] takes it).
pub fn reservation_id(name: &str) -> Result<String, String> {
    const SHAPE: &str = "must be `projects/{project}/reservations/{reservation}`";
    let (project, reservation) = name
        .strip_prefix("projects/")
        .and_then(|rest| rest.split_once("/reservations/"))
        .ok_or_else(|| SHAPE.to_owned())?;
    foreign_id("projects", &format!("projects/{project}")).map_err(|_| SHAPE.to_owned())?;
    foreign_id("reservations", &format!("reservations/{reservation}")).map_err(|_| SHAPE.to_owned())
}

pub fn booking_name(id: &str) -> String {
    format!("bookings/{id}")
}

pub fn user_name(id: &str) -> String {
    format!("users/{id}")
}

/// Where a payment is in its life, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    Authorized,
    Failed,
    Voided,
    Captured,
    PartiallyRefunded,
    Refunded,
}

impl PaymentState {
    pub fn key(self) -> &'static str {
        match self {
            Self::Authorized => "authorized",
            Self::Failed => "failed",
            Self::Voided => "voided",
            Self::Captured => "captured",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "authorized" => Self::Authorized,
            "failed" => Self::Failed,
            "voided" => Self::Voided,
            "captured" => Self::Captured,
            "partially_refunded" => Self::PartiallyRefunded,
            "refunded" => Self::Refunded,
            _ => return None,
        })
    }

    pub fn to_proto(self) -> pb::payment::State {
        match self {
            Self::Authorized => pb::payment::State::Authorized,
            Self::Failed => pb::payment::State::Failed,
            Self::Voided => pb::payment::State::Voided,
            Self::Captured => pb::payment::State::Captured,
            Self::PartiallyRefunded => pb::payment::State::PartiallyRefunded,
            Self::Refunded => pb::payment::State::Refunded,
        }
    }

    /// Whether money was captured (and so may be refunded).
    pub fn is_captured(self) -> bool {
        matches!(
            self,
            Self::Captured | Self::PartiallyRefunded | Self::Refunded
        )
    }
}

/// Whether `code` looks like an ISO 4217 currency code (three capital letters).
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// What may be shown of a payment method: the last four digits of a card number, a provider's
/// method id as is (it is not a secret), nothing of anything else.
pub fn payment_method_hint(payment_method: &str) -> String {
    let digits = payment_method.bytes().all(|b| b.is_ascii_digit());
    if digits && payment_method.len() >= 12 {
        format!(
            "card ending {}",
            &payment_method[payment_method.len() - 4..]
        )
    } else if payment_method.starts_with("pm_") && payment_method.len() <= 64 {
        payment_method.to_owned()
    } else {
        "payment method".to_owned()
    }
}

/// `share` of `total` in the proportion `part / whole`, rounded down (`whole` > 0). Cumulative
/// shares computed this way never drift: the share of the whole is the whole total.
pub fn proportional(total: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let share = i128::from(total) * i128::from(part) / i128::from(whole);
    i64::try_from(share).unwrap_or(total)
}

/// What a payment is for, by resource name as a request or an event gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidFor<'a> {
    /// A booking, `bookings/{booking}`.
    Booking(&'a str),
    /// A project unit reservation's deposit, `projects/{project}/reservations/{reservation}`.
    Reservation(&'a str),
}

/// The checked facts of an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// The id of what is paid for: the booking's, or the reservation's (stored as the
    /// payment's `booking_id`; see the `payment_reservations` migration).
    pub booking_id: String,
    /// The reservation's name for a deposit; empty for a booking.
    pub reservation: String,
    pub payer_id: String,
    pub host_id: String,
    pub amount: i64,
    pub currency_code: String,
    pub platform_fee: i64,
}

impl NewPayment {
    /// Checks the facts; violations are named `<prefix><field>`.
    pub fn parse(
        prefix: &str,
        paid_for: PaidFor<'_>,
        payer: &str,
        host: &str,
        amount: i64,
        currency_code: &str,
        platform_fee: i64,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let mut field = |name: &str, result: Result<String, String>| match result {
            Ok(id) => id,
            Err(why) => {
                violations.push(violation(format!("{prefix}{name}"), why));
                String::new()
            }
        };
        let (booking_id, reservation) = match paid_for {
            PaidFor::Booking(name) => (field("booking", foreign_id("bookings", name)), ""),
            PaidFor::Reservation(name) => (field("reservation", reservation_id(name)), name),
        };
        let payer_id = field("payer", foreign_id("users", payer));
        let host_id = field("host", foreign_id("users", host));
        if amount <= 0 {
            violations.push(violation(format!("{prefix}amount"), "must be positive"));
        }
        if !is_currency_code(currency_code) {
            violations.push(violation(
                format!("{prefix}currency_code"),
                "must be an ISO 4217 code such as EUR",
            ));
        }
        if platform_fee < 0 || platform_fee > amount.max(0) {
            violations.push(violation(
                format!("{prefix}platform_fee"),
                "must be from 0 to the amount",
            ));
        }
        if violations.is_empty() {
            Ok(Self {
                booking_id,
                reservation: reservation.to_owned(),
                payer_id,
                host_id,
                amount,
                currency_code: currency_code.to_owned(),
                platform_fee,
            })
        } else {
            Err(violations)
        }
    }

    /// The authorization request the saga asks for: `payment_method` charged for these facts.
    pub fn request(&self, payment_method: &str) -> pb::AuthorizePaymentRequest {
        let booking = if self.reservation.is_empty() {
            booking_name(&self.booking_id)
        } else {
            String::new()
        };
        pb::AuthorizePaymentRequest {
            booking,
            reservation: self.reservation.clone(),
            payer: user_name(&self.payer_id),
            host: user_name(&self.host_id),
            amount: self.amount,
            currency_code: self.currency_code.clone(),
            platform_fee: self.platform_fee,
            payment_method: payment_method.to_owned(),
            idempotency_key: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_ids_are_checked() {
        let id = PaymentId::new();
        assert_eq!(PaymentId::from_name(&id.name()), Ok(id));
        assert!(PaymentId::from_name(&PayoutId::new().name()).is_err());
        assert!(PayoutId::from_name("payouts/nope").is_err());
        assert_eq!(foreign_id("bookings", "bookings/b-1"), Ok("b-1".to_owned()));
        assert!(foreign_id("bookings", "bookings/").is_err());
        assert!(foreign_id("bookings", "users/u").is_err());
        assert!(foreign_id("bookings", "bookings/a/b").is_err());
        assert_eq!(
            reservation_id("projects/p-1/reservations/r-1"),
            Ok("r-1".to_owned())
        );
        assert!(reservation_id("projects/p-1/reservations/").is_err());
        assert!(reservation_id("projects//reservations/r-1").is_err());
        assert!(reservation_id("projects/p-1/units/u-1").is_err());
        assert!(reservation_id("projects/p/1/reservations/r-1").is_err());
    }

    #[test]
    fn only_the_last_four_digits_of_a_card_are_kept() {
        assert_eq!(payment_method_hint("4242424242424242"), "card ending 4242");
        assert_eq!(payment_method_hint("pm_card_visa"), "pm_card_visa");
        assert_eq!(payment_method_hint("tok_secret?"), "payment method");
    }

    #[test]
    fn proportional_shares_add_up_to_the_whole() {
        assert_eq!(proportional(1_500, 10_000, 10_000), 1_500);
        assert_eq!(proportional(1_500, 3_333, 10_000), 499);
        assert_eq!(proportional(1_500, 0, 10_000), 0);
        assert_eq!(proportional(1_500, 5, 0), 0);
    }
}
