//! Listings as the service reasons about them: ids, dates, validity, completeness and states.

use std::fmt;

use estospaces_proto::property_v1 as pb;
use estospaces_status::{FieldViolation, violation};
use pb::property::State;
use time::{Date, Month};
use uuid::Uuid;

/// A listing's id: the `{property}` of `properties/{property}`, a UUIDv7 so ids order by age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertyId(Uuid);

impl PropertyId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses a resource name, `properties/{uuid}`.
    pub fn from_name(name: &str) -> Result<Self, &'static str> {
        name.strip_prefix("properties/")
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Self)
            .ok_or("must be `properties/{uuid}`")
    }

    /// Parses a bare id as stored.
    pub fn parse(id: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(id).map(Self)
    }

    pub fn name(&self) -> String {
        format!("properties/{}", self.0)
    }
}

impl Default for PropertyId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for PropertyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `users/{id}` for a user id.
pub fn user_name(user_id: &str) -> String {
    format!("users/{user_id}")
}

// === Dates ===

/// A complete, real calendar date from `date`, or a violation of `field`.
pub fn parse_date(field: &str, date: Option<&pb::Date>) -> Result<Date, FieldViolation> {
    let date = date.ok_or_else(|| violation(field, "required"))?;
    u8::try_from(date.month)
        .ok()
        .and_then(|month| Month::try_from(month).ok())
        .zip(u8::try_from(date.day).ok())
        .and_then(|(month, day)| Date::from_calendar_date(date.year, month, day).ok())
        .ok_or_else(|| violation(field, "must be a real date"))
}

pub fn to_pb_date(date: Date) -> pb::Date {
    pb::Date {
        year: date.year(),
        month: i32::from(u8::from(date.month())),
        day: i32::from(date.day()),
    }
}

/// The stored form of a day, ISO 8601 (`2027-06-30`), which sorts like the dates.
pub fn day_key(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The day a [`day_key`] names.
pub fn parse_day_key(key: &str) -> Option<Date> {
    let mut parts = key.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
    let day = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Each day from `first` to `last`, both included.
pub fn days(first: Date, last: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(first), |day| day.next_day()).take_while(move |day| *day <= last)
}

// === Names of enum values, as stored ===

pub fn state_key(state: State) -> &'static str {
    match state {
        State::Unspecified => "unspecified",
        State::Draft => "draft",
        State::Published => "published",
        State::Paused => "paused",
        State::Archived => "archived",
        State::Sold => "sold",
        State::Rented => "rented",
        State::PendingReview => "pending_review",
        State::Rejected => "rejected",
        State::TakenDown => "taken_down",
    }
}

pub fn state_from_key(key: &str) -> State {
    match key {
        "draft" => State::Draft,
        "published" => State::Published,
        "paused" => State::Paused,
        "archived" => State::Archived,
        "sold" => State::Sold,
        "rented" => State::Rented,
        "pending_review" => State::PendingReview,
        "rejected" => State::Rejected,
        "taken_down" => State::TakenDown,
        _ => State::Unspecified,
    }
}

pub fn kind_key(kind: pb::ListingKind) -> &'static str {
    match kind {
        pb::ListingKind::Unspecified => "unspecified",
        pb::ListingKind::ShortStay => "short_stay",
        pb::ListingKind::LongTermRental => "long_term_rental",
        pb::ListingKind::Sale => "sale",
    }
}

/// Whether anyone may read a listing in `state`; the rest only its owner, admins and
/// moderators may.
pub fn is_public(state: State) -> bool {
    matches!(state, State::Published | State::Sold | State::Rented)
}

/// Every state a listing can be in, for lists that show them all.
pub const ALL_STATES: [State; 9] = [
    State::Draft,
    State::Published,
    State::Paused,
    State::Archived,
    State::Sold,
    State::Rented,
    State::PendingReview,
    State::Rejected,
    State::TakenDown,
];

/// Whether a listing in `state` is live or about to be (published, or waiting for a moderator
/// whose approval publishes it): it must stay complete, its photos ready.
pub fn must_stay_complete(state: State) -> bool {
    matches!(state, State::Published | State::PendingReview)
}

// === Validation ===

/// Everything wrong with `property`'s client-set fields, each named by its path under `prefix`
/// (`property.address.location.latitude`). Completeness is [`missing_for_publish`]'s job:
/// a draft may be incomplete but never wrong.
pub fn validate(property: &pb::Property, prefix: &str) -> Vec<FieldViolation> {
    let mut v = Violations {
        prefix,
        out: Vec::new(),
    };

    let kind = pb::ListingKind::try_from(property.kind).unwrap_or_default();
    v.check(
        kind != pb::ListingKind::Unspecified,
        "kind",
        "must be a listing kind",
    );
    let property_type = pb::PropertyType::try_from(property.property_type).unwrap_or_default();
    v.check(
        property_type != pb::PropertyType::Unspecified,
        "property_type",
        "must be a property type",
    );
    let title = property.title.trim();
    v.check(!title.is_empty(), "title", "required");
    v.check(
        title.chars().count() <= 120,
        "title",
        "at most 120 characters",
    );
    v.check(
        property.description.chars().count() <= 10_000,
        "description",
        "at most 10000 characters",
    );
    v.check(
        is_currency_code(&property.currency_code),
        "currency_code",
        "must be an ISO 4217 code such as EUR",
    );
    if let Some(address) = &property.address {
        v.check(
            address.country_code.is_empty() || is_country_code(&address.country_code),
            "address.country_code",
            "must be an ISO 3166-1 alpha-2 code such as PT",
        );
        if let Some(location) = &address.location {
            v.check(
                (-90.0..=90.0).contains(&location.latitude),
                "address.location.latitude",
                "must be between -90 and 90",
            );
            v.check(
                (-180.0..=180.0).contains(&location.longitude),
                "address.location.longitude",
                "must be between -180 and 180",
            );
        }
    }
    for (field, value) in [
        ("bedrooms", property.bedrooms),
        ("bathrooms", property.bathrooms),
        ("beds", property.beds),
        ("max_guests", property.max_guests),
        (
            "floor_area_square_meters",
            property.floor_area_square_meters,
        ),
        ("min_nights", property.min_nights),
        ("max_nights", property.max_nights),
    ] {
        v.check(value >= 0, field, "must not be negative");
    }
    v.check(
        property.max_nights == 0 || property.max_nights >= property.min_nights,
        "max_nights",
        "must be at least min_nights",
    );
    for (i, amenity) in property.amenities.iter().enumerate() {
        let known = pb::Amenity::try_from(*amenity).is_ok_and(|a| a != pb::Amenity::Unspecified);
        v.check(
            known,
            &format!("amenities[{i}]"),
            "not in the amenity catalog",
        );
    }
    for (i, photo) in property.photos.iter().enumerate() {
        v.check(
            !photo.media_id.is_empty(),
            &format!("photos[{i}].media_id"),
            "required",
        );
    }
    v.check(
        property.photos.iter().filter(|photo| photo.cover).count() <= 1,
        "photos",
        "at most one cover photo",
    );
    for (field, time) in [
        ("check_in_time", &property.check_in_time),
        ("check_out_time", &property.check_out_time),
    ] {
        if let Some(time) = time {
            v.check(
                (0..24).contains(&time.hours) && (0..60).contains(&time.minutes),
                field,
                "must be a time of day",
            );
        }
    }
    v.check(
        pb::CancellationPolicy::try_from(property.cancellation_policy).is_ok(),
        "cancellation_policy",
        "unknown policy",
    );
    v.check(
        pb::BookingMode::try_from(property.booking_mode).is_ok(),
        "booking_mode",
        "unknown booking mode",
    );

    // Prices belong to the kind they price.
    let pricing_kind = [
        (
            "short_stay_pricing",
            property.short_stay_pricing.is_some(),
            pb::ListingKind::ShortStay,
        ),
        (
            "long_term_pricing",
            property.long_term_pricing.is_some(),
            pb::ListingKind::LongTermRental,
        ),
        (
            "sale_pricing",
            property.sale_pricing.is_some(),
            pb::ListingKind::Sale,
        ),
    ];
    for (field, set, for_kind) in pricing_kind {
        v.check(
            !set || kind == for_kind || kind == pb::ListingKind::Unspecified,
            field,
            "does not apply to this listing kind",
        );
    }
    if let Some(pricing) = &property.short_stay_pricing {
        for (field, amount) in [
            ("base_nightly_price", pricing.base_nightly_price),
            ("weekend_nightly_price", pricing.weekend_nightly_price),
            ("cleaning_fee", pricing.cleaning_fee),
            ("extra_guest_fee", pricing.extra_guest_fee),
        ] {
            v.check(
                amount >= 0,
                &format!("short_stay_pricing.{field}"),
                "must not be negative",
            );
        }
        for (field, bps) in [
            (
                "weekly_discount_basis_points",
                pricing.weekly_discount_basis_points,
            ),
            (
                "monthly_discount_basis_points",
                pricing.monthly_discount_basis_points,
            ),
            ("tax_basis_points", pricing.tax_basis_points),
        ] {
            v.check(
                (0..=10_000).contains(&bps),
                &format!("short_stay_pricing.{field}"),
                "must be between 0 and 10000",
            );
        }
        v.check(
            pricing.included_guests >= 0,
            "short_stay_pricing.included_guests",
            "must not be negative",
        );
        let mut seasons = Vec::new();
        for (i, season) in pricing.seasonal_prices.iter().enumerate() {
            let at = format!("short_stay_pricing.seasonal_prices[{i}]");
            let start = parse_date(
                &format!("{prefix}{at}.start_date"),
                season.start_date.as_ref(),
            );
            let end = parse_date(&format!("{prefix}{at}.end_date"), season.end_date.as_ref());
            v.check(
                season.nightly_price > 0,
                &format!("{at}.nightly_price"),
                "must be positive",
            );
            match (start, end) {
                (Ok(start), Ok(end)) if start <= end => seasons.push((i, start, end)),
                (Ok(_), Ok(_)) => v.check(false, &format!("{at}.end_date"), "before start_date"),
                (start, end) => v.out.extend(start.err().into_iter().chain(end.err())),
            }
        }
        seasons.sort_by_key(|(_, start, _)| *start);
        for pair in seasons.windows(2) {
            let ((_, _, end), (i, start, _)) = (pair[0], pair[1]);
            if start <= end {
                v.out.push(violation(
                    format!("{prefix}short_stay_pricing.seasonal_prices[{i}].start_date"),
                    "overlaps another season",
                ));
            }
        }
    }
    for (field, amount) in [
        (
            "long_term_pricing.monthly_rent",
            property.long_term_pricing.as_ref().map(|p| p.monthly_rent),
        ),
        (
            "long_term_pricing.deposit",
            property.long_term_pricing.as_ref().map(|p| p.deposit),
        ),
        (
            "sale_pricing.asking_price",
            property.sale_pricing.as_ref().map(|p| p.asking_price),
        ),
    ] {
        v.check(amount.is_none_or(|a| a >= 0), field, "must not be negative");
    }
    v.out
}

/// Violations collected with their paths under one prefix.
struct Violations<'a> {
    prefix: &'a str,
    out: Vec<FieldViolation>,
}

impl Violations<'_> {
    fn check(&mut self, ok: bool, field: &str, why: &str) {
        if !ok {
            self.out
                .push(violation(format!("{}{field}", self.prefix), why));
        }
    }
}

fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The fields a listing needs before it may be published, by path; empty when it is complete.
pub fn missing_for_publish(property: &pb::Property) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut need = |present: bool, field: &'static str| {
        if !present {
            missing.push(field);
        }
    };
    need(!property.description.trim().is_empty(), "description");
    let address = property.address.as_ref();
    need(
        address.is_some_and(|a| !a.locality.is_empty()),
        "address.locality",
    );
    need(
        address.is_some_and(|a| !a.country_code.is_empty()),
        "address.country_code",
    );
    need(
        address.is_some_and(|a| a.location.is_some()),
        "address.location",
    );
    need(!property.photos.is_empty(), "photos");
    match pb::ListingKind::try_from(property.kind).unwrap_or_default() {
        pb::ListingKind::ShortStay => {
            need(property.max_guests > 0, "max_guests");
            need(property.cancellation_policy != 0, "cancellation_policy");
            need(property.booking_mode != 0, "booking_mode");
            need(
                property
                    .short_stay_pricing
                    .as_ref()
                    .is_some_and(|p| p.base_nightly_price > 0),
                "short_stay_pricing.base_nightly_price",
            );
        }
        pb::ListingKind::LongTermRental => need(
            property
                .long_term_pricing
                .as_ref()
                .is_some_and(|p| p.monthly_rent > 0),
            "long_term_pricing.monthly_rent",
        ),
        pb::ListingKind::Sale => need(
            property
                .sale_pricing
                .as_ref()
                .is_some_and(|p| p.asking_price > 0),
            "sale_pricing.asking_price",
        ),
        pb::ListingKind::Unspecified => need(false, "kind"),
    }
    missing
}

/// The refund schedule each cancellation policy stands for.
pub fn refund_schedule(policy: pb::CancellationPolicy) -> Vec<pb::RefundRule> {
    let rule = |days_before_check_in, refund_basis_points| pb::RefundRule {
        days_before_check_in,
        refund_basis_points,
    };
    match policy {
        pb::CancellationPolicy::Unspecified => Vec::new(),
        pb::CancellationPolicy::Flexible => vec![rule(1, 10_000), rule(0, 0)],
        pb::CancellationPolicy::Moderate => vec![rule(5, 10_000), rule(1, 5_000), rule(0, 0)],
        pb::CancellationPolicy::Strict => vec![rule(7, 5_000), rule(0, 0)],
    }
}

// === The state machine ===

/// A state change a custom method asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Publish,
    Pause,
    Archive,
    MarkSold,
    MarkRented,
    /// A moderator publishes a listing waiting for review, or brings back one taken down.
    Approve,
    /// A moderator refuses a listing waiting for review.
    Reject,
    /// A moderator takes a listing off the market.
    TakeDown,
}

impl Transition {
    /// The state after the transition, or why it cannot happen from `from` for a `kind` listing.
    ///
    /// Publishing a draft or paused listing gives `Published`, which the service turns into
    /// `PendingReview` when the listing needs a moderator's review first; publishing a rejected
    /// listing always asks for another review. A listing waiting for review cannot be paused
    /// (it would come back without one), only withdrawn for good (archived).
    pub fn apply(self, from: State, kind: pb::ListingKind) -> Result<State, String> {
        use State::*;
        let to = match (self, from) {
            (Self::Publish, Draft | Paused) => Published,
            (Self::Publish, Rejected) => PendingReview,
            (Self::Pause, Published) => Paused,
            (
                Self::Archive,
                Draft | Published | Paused | Sold | Rented | PendingReview | Rejected | TakenDown,
            ) => Archived,
            (Self::Approve, PendingReview | TakenDown) => Published,
            (Self::Reject, PendingReview) => Rejected,
            (
                Self::TakeDown,
                Draft | Published | Paused | Sold | Rented | PendingReview | Rejected,
            ) => TakenDown,
            (Self::MarkSold, Published) if kind == pb::ListingKind::Sale => Sold,
            (Self::MarkRented, Published) if kind == pb::ListingKind::LongTermRental => Rented,
            (Self::MarkSold, _) | (Self::MarkRented, _) if from == Published => {
                return Err(format!("{self:?} does not apply to this listing kind"));
            }
            _ => return Err(format!("cannot {self:?} a {} listing", state_key(from))),
        };
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_keys_round_trip_and_sort_like_dates() {
        let a = Date::from_calendar_date(2027, Month::February, 9).expect("date");
        let b = Date::from_calendar_date(2027, Month::October, 1).expect("date");
        assert_eq!(day_key(a), "2027-02-09");
        assert_eq!(parse_day_key(&day_key(b)), Some(b));
        assert!(day_key(a) < day_key(b));
    }

    #[test]
    fn an_impossible_date_is_a_violation_of_its_field() {
        let err = parse_date(
            "check_in",
            Some(&pb::Date {
                year: 2027,
                month: 2,
                day: 30,
            }),
        )
        .expect_err("no 30 February");
        assert_eq!(err.field, "check_in");
    }

    #[test]
    fn only_published_listings_can_be_paused() {
        let kind = pb::ListingKind::ShortStay;
        assert_eq!(
            Transition::Pause.apply(State::Published, kind),
            Ok(State::Paused)
        );
        assert!(Transition::Pause.apply(State::Draft, kind).is_err());
        assert!(Transition::MarkSold.apply(State::Published, kind).is_err());
    }

    #[test]
    fn moderators_decide_only_where_a_decision_is_due() {
        let kind = pb::ListingKind::ShortStay;
        assert_eq!(
            Transition::Publish.apply(State::Rejected, kind),
            Ok(State::PendingReview)
        );
        assert!(
            Transition::Publish
                .apply(State::PendingReview, kind)
                .is_err()
        );
        assert!(Transition::Publish.apply(State::TakenDown, kind).is_err());
        assert!(Transition::Pause.apply(State::PendingReview, kind).is_err());
        assert_eq!(
            Transition::Approve.apply(State::TakenDown, kind),
            Ok(State::Published)
        );
        assert!(Transition::Approve.apply(State::Rejected, kind).is_err());
        assert!(Transition::Reject.apply(State::Published, kind).is_err());
        assert!(Transition::TakeDown.apply(State::Archived, kind).is_err());
        assert!(Transition::TakeDown.apply(State::TakenDown, kind).is_err());
        for state in ALL_STATES {
            assert_eq!(state_from_key(state_key(state)), state);
        }
    }
}
