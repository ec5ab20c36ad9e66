//! A listing as the index keeps it: the last snapshot from the property events, the nights
//! that cannot be booked, the sequence number of the last event applied, and the development
//! project unit it sells, if any ([`crate::projects`]).
//!
//! Every property event carries its listing's aggregate sequence, gapless and increasing per
//! listing. Applying an event only when its sequence is higher than the stored one makes
//! applying idempotent, so replaying the topic from any older position converges on the
//! same index.

use estospaces_proto::property_v1 as pb;
use pb::property::State;
use time::Date;

/// What the index stores per listing (encoded in the document's `stored` field).
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredListing {
    /// The listing's UUID (the `{property}` of `properties/{property}`).
    #[prost(string, tag = "1")]
    pub id: String,
    /// The aggregate sequence of the last event applied.
    #[prost(int64, tag = "2")]
    pub sequence: i64,
    /// The last snapshot; none when only calendar events arrived so far.
    #[prost(message, optional, tag = "3")]
    pub property: Option<pb::Property>,
    /// Nights that cannot be booked, as [`day_number`]s, ascending.
    #[prost(int64, repeated, tag = "4")]
    pub unavailable_days: Vec<i64>,
    /// The development project whose unit this listing sells (the `{project}` of
    /// `projects/{project}`), from the project events; empty for none.
    #[prost(string, tag = "5")]
    pub project: String,
    /// That unit's id (the `{unit}` of `projects/{project}/units/{unit}`); empty for none.
    #[prost(string, tag = "6")]
    pub unit: String,
}

impl StoredListing {
    /// A listing the index has not seen.
    pub fn empty(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            ..Self::default()
        }
    }

    /// Whether searches may find it.
    pub fn is_published(&self) -> bool {
        self.property
            .as_ref()
            .is_some_and(|property| property.state == State::Published as i32)
    }

    /// The price a search filters and sorts on; see [`headline_price`].
    pub fn price(&self) -> i64 {
        self.property.as_ref().map_or(0, headline_price)
    }
}

/// The price that heads a listing: the base nightly price of a short stay, the monthly rent of
/// a long-term rental, the asking price of a sale.
pub fn headline_price(property: &pb::Property) -> i64 {
    match pb::ListingKind::try_from(property.kind) {
        Ok(pb::ListingKind::ShortStay) => property
            .short_stay_pricing
            .as_ref()
            .map_or(0, |pricing| pricing.base_nightly_price),
        Ok(pb::ListingKind::LongTermRental) => property
            .long_term_pricing
            .as_ref()
            .map_or(0, |pricing| pricing.monthly_rent),
        Ok(pb::ListingKind::Sale) => property
            .sale_pricing
            .as_ref()
            .map_or(0, |pricing| pricing.asking_price),
        _ => 0,
    }
}

/// The listing id of a resource name `properties/{property}`.
pub fn id_of(name: &str) -> Option<&str> {
    name.strip_prefix("properties/").filter(|id| !id.is_empty())
}

/// Days since 1970-01-01: how nights are indexed (a number range is a date range).
pub fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

/// The date of a [`day_number`].
pub fn date_of(day: i64) -> Option<Date> {
    let julian = i32::try_from(day)
        .ok()?
        .checked_add(UNIX_EPOCH_JULIAN_DAY)?;
    Date::from_julian_day(julian).ok()
}

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// A protobuf date as a checked date.
pub fn parse_date(date: &pb::Date) -> Option<Date> {
    let month = time::Month::try_from(u8::try_from(date.month).ok()?).ok()?;
    Date::from_calendar_date(date.year, month, u8::try_from(date.day).ok()?).ok()
}

/// The [`day_number`]s of `days`, ascending, skipping malformed dates.
pub fn day_numbers(days: &[pb::CalendarDay]) -> Vec<i64> {
    let mut numbers: Vec<i64> = days
        .iter()
        .filter_map(|day| day.date.as_ref().and_then(parse_date))
        .map(day_number)
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_from_the_unix_epoch_and_back() {
        let epoch = Date::from_calendar_date(1970, time::Month::January, 1).expect("date");
        assert_eq!(day_number(epoch), 0);
        let day = Date::from_calendar_date(2027, time::Month::June, 30).expect("date");
        assert_eq!(date_of(day_number(day)), Some(day));
    }
}
