//! Bookings as the service reasons about them: ids, days, the state machine and refunds.

use std::fmt;

use estospaces_proto::booking_v1 as pb;
use estospaces_proto::property_v1 as property;
use estospaces_status::{FieldViolation, violation};
use time::{Date, Month};
use uuid::Uuid;

/// A booking's id: the `{booking}` of `bookings/{booking}`, a UUIDv7 so ids order by age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BookingId(Uuid);

impl BookingId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses a resource name, `bookings/{uuid}`.
    pub fn from_name(name: &str) -> Result<Self, &'static str> {
        name.strip_prefix("bookings/")
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Self)
            .ok_or("must be `bookings/{uuid}`")
    }

    /// Parses a saga's name, `bookings/{uuid}/saga`.
    pub fn from_saga_name(name: &str) -> Result<Self, &'static str> {
        name.strip_suffix("/saga")
            .and_then(|booking| Self::from_name(booking).ok())
            .ok_or("must be `bookings/{uuid}/saga`")
    }

    /// Parses a bare id as stored.
    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    pub fn name(&self) -> String {
        format!("bookings/{}", self.0)
    }
}

impl Default for BookingId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A listing's id, the `{property}` of `properties/{property}`.
pub fn property_id(name: &str) -> Result<String, &'static str> {
    name.strip_prefix("properties/")
        .and_then(|id| Uuid::parse_str(id).ok())
        .map(|id| id.to_string())
        .ok_or("must be `properties/{uuid}`")
}

/// A user's id, the `{user}` of `users/{user}`.
pub fn user_id(name: &str) -> Option<&str> {
    name.strip_prefix("users/").filter(|id| !id.is_empty())
}

pub fn user_name(user_id: &str) -> String {
    format!("users/{user_id}")
}

pub fn property_name(property_id: &str) -> String {
    format!("properties/{property_id}")
}

// === Days ===

/// The Julian day of 1970-01-01: days are stored as whole days since then.
const EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// `date` as stored: whole days since 1970-01-01.
pub fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day() - EPOCH_JULIAN_DAY)
}

/// The date a [`day_number`] names.
pub fn from_day_number(day: i64) -> Option<Date> {
    i32::try_from(day)
        .ok()
        .and_then(|day| day.checked_add(EPOCH_JULIAN_DAY))
        .and_then(|julian| Date::from_julian_day(julian).ok())
}

/// A complete, real calendar date from `date`, or a violation of `field`.
pub fn parse_date(field: &str, date: Option<&property::Date>) -> Result<Date, FieldViolation> {
    let date = date.ok_or_else(|| violation(field, "required"))?;
    u8::try_from(date.month)
        .ok()
        .and_then(|month| Month::try_from(month).ok())
        .zip(u8::try_from(date.day).ok())
        .and_then(|(month, day)| Date::from_calendar_date(date.year, month, day).ok())
        .ok_or_else(|| violation(field, "must be a real date"))
}

pub fn to_pb_date(date: Date) -> property::Date {
    property::Date {
        year: date.year(),
        month: i32::from(u8::from(date.month())),
        day: i32::from(date.day()),
    }
}

/// Today in UTC: check-in days and refund deadlines are counted in UTC days.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

// === The state machine ===

/// A booking's state, as stored (`pending_payment`) and as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    PendingPayment,
    AwaitingHost,
    Confirmed,
    CheckedIn,
    Completed,
    Declined,
    Expired,
    CancelledByGuest,
    CancelledByHost,
    PaymentFailed,
}

/// The stored names of the states that hold nights: the partial exclusion constraint (and
/// SQLite's trigger) lists the same.
pub const ACTIVE_STATES_SQL: &str =
    "('pending_payment', 'awaiting_host', 'confirmed', 'checked_in', 'completed')";

impl State {
    pub fn key(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::AwaitingHost => "awaiting_host",
            Self::Confirmed => "confirmed",
            Self::CheckedIn => "checked_in",
            Self::Completed => "completed",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::CancelledByGuest => "cancelled_by_guest",
            Self::CancelledByHost => "cancelled_by_host",
            Self::PaymentFailed => "payment_failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "pending_payment" => Self::PendingPayment,
            "awaiting_host" => Self::AwaitingHost,
            "confirmed" => Self::Confirmed,
            "checked_in" => Self::CheckedIn,
            "completed" => Self::Completed,
            "declined" => Self::Declined,
            "expired" => Self::Expired,
            "cancelled_by_guest" => Self::CancelledByGuest,
            "cancelled_by_host" => Self::CancelledByHost,
            "payment_failed" => Self::PaymentFailed,
            _ => return None,
        })
    }

    pub fn to_proto(self) -> pb::booking::State {
        use pb::booking::State as P;
        match self {
            Self::PendingPayment => P::PendingPayment,
            Self::AwaitingHost => P::AwaitingHost,
            Self::Confirmed => P::Confirmed,
            Self::CheckedIn => P::CheckedIn,
            Self::Completed => P::Completed,
            Self::Declined => P::Declined,
            Self::Expired => P::Expired,
            Self::CancelledByGuest => P::CancelledByGuest,
            Self::CancelledByHost => P::CancelledByHost,
            Self::PaymentFailed => P::PaymentFailed,
        }
    }

    pub fn from_proto(state: pb::booking::State) -> Option<Self> {
        use pb::booking::State as P;
        Some(match state {
            P::Unspecified => return None,
            P::PendingPayment => Self::PendingPayment,
            P::AwaitingHost => Self::AwaitingHost,
            P::Confirmed => Self::Confirmed,
            P::CheckedIn => Self::CheckedIn,
            P::Completed => Self::Completed,
            P::Declined => Self::Declined,
            P::Expired => Self::Expired,
            P::CancelledByGuest => Self::CancelledByGuest,
            P::CancelledByHost => Self::CancelledByHost,
            P::PaymentFailed => Self::PaymentFailed,
        })
    }

    /// Whether the booking holds its nights.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::PendingPayment
                | Self::AwaitingHost
                | Self::Confirmed
                | Self::CheckedIn
                | Self::Completed
        )
    }

    /// Whether the saga still waits for payment or the host.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::PendingPayment | Self::AwaitingHost)
    }

    /// The saga's state for a booking in this state.
    pub fn saga_state(self) -> pb::booking_saga::State {
        use pb::booking_saga::State as S;
        match self {
            Self::PendingPayment | Self::AwaitingHost => S::Running,
            Self::Confirmed | Self::CheckedIn | Self::Completed => S::Succeeded,
            Self::Declined
            | Self::Expired
            | Self::CancelledByGuest
            | Self::CancelledByHost
            | Self::PaymentFailed => S::Compensated,
        }
    }
}

/// What may happen to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Payment was authorized (`payment.authorized`).
    Authorize {
        instant: bool,
    },
    /// Payment failed (`payment.failed`).
    FailPayment,
    /// The capture of a confirmed booking's payment was refused for good (`payment.failed` with
    /// `capture_failed`): the booking cannot be paid for, so it ends and frees its nights.
    FailCapture,
    Accept,
    Decline,
    /// The hold lapsed or the saga timed out.
    Expire,
    CancelByGuest,
    CancelByHost,
    CheckIn,
    Complete,
}

impl Transition {
    /// The state after the transition from `from`, or why it cannot happen.
    pub fn apply(self, from: State) -> Result<State, String> {
        use State::*;
        let to = match (self, from) {
            (Self::Authorize { instant: true }, PendingPayment) => Confirmed,
            (Self::Authorize { instant: false }, PendingPayment) => AwaitingHost,
            (Self::FailPayment, PendingPayment | AwaitingHost) => PaymentFailed,
            (Self::FailCapture, Confirmed) => PaymentFailed,
            (Self::Accept, AwaitingHost) => Confirmed,
            (Self::Decline, PendingPayment | AwaitingHost) => Declined,
            (Self::Expire, PendingPayment | AwaitingHost) => Expired,
            (Self::CancelByGuest, PendingPayment | AwaitingHost | Confirmed) => CancelledByGuest,
            (Self::CancelByHost, PendingPayment | AwaitingHost | Confirmed) => CancelledByHost,
            (Self::CheckIn, Confirmed) => CheckedIn,
            (Self::Complete, CheckedIn) => Completed,
            (Self::Accept, PendingPayment) => {
                return Err("the guest's payment is not authorized yet".to_owned());
            }
            _ => return Err(format!("cannot {} a {} booking", self.verb(), from.key())),
        };
        Ok(to)
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Authorize { .. } => "authorize",
            Self::FailPayment | Self::FailCapture => "fail the payment of",
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Expire => "expire",
            Self::CancelByGuest | Self::CancelByHost => "cancel",
            Self::CheckIn => "check in",
            Self::Complete => "complete",
        }
    }
}

// === Booking modes and payment statuses, as stored ===

pub fn mode_key(instant: bool) -> &'static str {
    if instant { "instant" } else { "request" }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Captured,
    Voided,
    Refunded,
    Failed,
}

impl PaymentStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::Voided => "voided",
            Self::Refunded => "refunded",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Self {
        match key {
            "authorized" => Self::Authorized,
            "captured" => Self::Captured,
            "voided" => Self::Voided,
            "refunded" => Self::Refunded,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }

    pub fn to_proto(self) -> pb::booking::PaymentStatus {
        use pb::booking::PaymentStatus as P;
        match self {
            Self::Pending => P::Pending,
            Self::Authorized => P::Authorized,
            Self::Captured => P::Captured,
            Self::Voided => P::Voided,
            Self::Refunded => P::Refunded,
            Self::Failed => P::Failed,
        }
    }
}

// === Money and refunds ===

/// `amount` minor units of `currency` for people: `1234` `EUR` is `12.34 EUR`.
pub fn money(amount: i64, currency: &str) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", amount / 100, amount % 100)
}

/// `basis_points` of `amount`, rounded down.
pub fn share(amount: i64, basis_points: i64) -> i64 {
    i64::try_from(i128::from(amount) * i128::from(basis_points) / 10_000).unwrap_or(i64::MAX)
}

/// Who cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    Guest,
    Host,
}

/// What a booking's refund depends on.
#[derive(Debug, Clone, Copy)]
pub struct RefundTerms<'a> {
    pub state: State,
    pub total: i64,
    pub currency: &'a str,
    pub policy: property::CancellationPolicy,
    pub schedule: &'a [property::RefundRule],
    pub check_in: Date,
}

/// The refund of a booking with `terms` cancelled by `by` on `today`, with its explanation.
pub fn refund(by: Canceller, terms: RefundTerms<'_>, today: Date) -> pb::Refund {
    let RefundTerms {
        state,
        total,
        currency,
        policy,
        schedule,
        check_in,
    } = terms;
    let days_before = (check_in - today).whole_days();
    let days_before_check_in = i32::try_from(days_before).unwrap_or(i32::MAX);
    let full = |explanation: String| pb::Refund {
        amount: total,
        refund_basis_points: 10_000,
        days_before_check_in,
        explanation,
    };
    if by == Canceller::Host {
        return full(format!(
            "The host cancelled: the guest is refunded in full, {}.",
            money(total, currency)
        ));
    }
    if state != State::Confirmed {
        return full(format!(
            "Cancelled before the booking was confirmed: nothing is charged and the {} held \
             on the payment method is released.",
            money(total, currency)
        ));
    }
    let mut rules = schedule.to_vec();
    rules.sort_by_key(|rule| std::cmp::Reverse(rule.days_before_check_in));
    let rule = rules
        .iter()
        .find(|rule| days_before >= i64::from(rule.days_before_check_in));
    let basis_points = rule.map_or(0, |rule| rule.refund_basis_points.clamp(0, 10_000));
    let amount = share(total, i64::from(basis_points));
    let policy_name = match policy {
        property::CancellationPolicy::Flexible => "flexible",
        property::CancellationPolicy::Moderate => "moderate",
        property::CancellationPolicy::Strict => "strict",
        property::CancellationPolicy::Unspecified => "listing's",
    };
    let when = match days_before {
        ..0 => "after check-in".to_owned(),
        0 => "on the day of check-in".to_owned(),
        1 => "1 day before check-in".to_owned(),
        days => format!("{days} days before check-in"),
    };
    let why = match rule {
        Some(rule) => format!(
            "the {policy_name} policy refunds {}% when cancelling at least {} day{} before \
             check-in",
            f64::from(rule.refund_basis_points) / 100.0,
            rule.days_before_check_in,
            if rule.days_before_check_in == 1 {
                ""
            } else {
                "s"
            }
        ),
        None => format!("the {policy_name} policy refunds nothing this late"),
    };
    pb::Refund {
        amount,
        refund_basis_points: basis_points,
        days_before_check_in,
        explanation: format!(
            "Cancelled by the guest {when}; {why}: {} of {} is refunded.",
            money(amount, currency),
            money(total, currency)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(month: Month, day: u8) -> Date {
        Date::from_calendar_date(2027, month, day).expect("a date")
    }

    fn moderate() -> Vec<property::RefundRule> {
        let rule = |days_before_check_in, refund_basis_points| property::RefundRule {
            days_before_check_in,
            refund_basis_points,
        };
        vec![rule(5, 10_000), rule(1, 5_000), rule(0, 0)]
    }

    #[test]
    fn days_round_trip_through_their_numbers() {
        let date = day(Month::June, 30);
        assert_eq!(from_day_number(day_number(date)), Some(date));
        assert_eq!(
            day_number(Date::from_calendar_date(1970, Month::January, 2).expect("a date")),
            1
        );
    }

    #[test]
    fn a_moderate_policy_refunds_half_three_days_before_check_in() {
        let schedule = moderate();
        let terms = RefundTerms {
            state: State::Confirmed,
            total: 10_001,
            currency: "EUR",
            policy: property::CancellationPolicy::Moderate,
            schedule: &schedule,
            check_in: day(Month::June, 10),
        };
        let refund = refund(Canceller::Guest, terms, day(Month::June, 7));
        assert_eq!(refund.amount, 5_000);
        assert_eq!(refund.refund_basis_points, 5_000);
        assert_eq!(refund.days_before_check_in, 3);
        assert!(refund.explanation.contains("50%"), "{}", refund.explanation);
        assert!(
            refund.explanation.contains("50.00 EUR of 100.01 EUR"),
            "{}",
            refund.explanation
        );
    }

    #[test]
    fn a_host_cancellation_refunds_everything() {
        let terms = RefundTerms {
            state: State::Confirmed,
            total: 7_000,
            currency: "EUR",
            policy: property::CancellationPolicy::Strict,
            schedule: &[],
            check_in: day(Month::June, 10),
        };
        let refund = refund(Canceller::Host, terms, day(Month::June, 10));
        assert_eq!(refund.amount, 7_000);
    }

    #[test]
    fn only_a_confirmed_booking_can_be_checked_in() {
        assert_eq!(
            Transition::CheckIn.apply(State::Confirmed),
            Ok(State::CheckedIn)
        );
        assert!(Transition::CheckIn.apply(State::PendingPayment).is_err());
        assert!(Transition::Complete.apply(State::Confirmed).is_err());
        assert!(Transition::CancelByGuest.apply(State::CheckedIn).is_err());
    }
}
