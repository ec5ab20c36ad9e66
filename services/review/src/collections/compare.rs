//! Comparisons: what one may hold, and its listings side by side, read fresh from the property
//! service and the rating summaries.

use estospaces_proto::property_v1 as property;
use estospaces_proto::review_v1 as pb;
use estospaces_status::{ApiError, FieldViolation, violation};
use futures::future::try_join_all;
use uuid::Uuid;

use crate::DOMAIN;
use crate::listings::Listings;
use crate::store::ReviewStore;

use super::store::ComparisonRecord;

/// How many listings a comparison holds at most.
pub const MAX_LISTINGS: usize = 4;
/// How many guests a comparison prices a stay for at most.
pub const MAX_GUESTS: i32 = 50;
/// How long a title is at most, in characters.
pub const MAX_TITLE: usize = 100;

/// What a comparison holds, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub title: String,
    pub listings: Vec<String>,
    pub check_in: String,
    pub check_out: String,
    pub guests: i64,
}

/// `properties/{uuid}`, canonical.
pub fn listing_name(name: &str) -> Option<String> {
    let id = Uuid::parse_str(name.strip_prefix("properties/")?).ok()?;
    Some(format!("properties/{id}"))
}

/// A `YYYY-MM-DD` day that exists.
pub fn parse_day(text: &str) -> Option<property::Date> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse::<i32>().ok())?
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days)
        .contains(&day)
        .then_some(property::Date { year, month, day })
}

fn day_key(date: &property::Date) -> (i32, i32, i32) {
    (date.year, date.month, date.day)
}

/// Checks what `comparison` holds; violations name `comparison.*` fields.
pub fn check(comparison: &pb::Comparison) -> Result<Contents, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let title = comparison.title.trim();
    if title.chars().count() > MAX_TITLE {
        violations.push(violation("comparison.title", "at most 100 characters"));
    }
    let mut listings: Vec<String> = Vec::new();
    if comparison.listings.is_empty() || comparison.listings.len() > MAX_LISTINGS {
        violations.push(violation(
            "comparison.listings",
            "one to four listings, properties/{property}",
        ));
    } else {
        for (index, name) in comparison.listings.iter().enumerate() {
            match listing_name(name) {
                None => {
                    violations.push(violation(
                        "comparison.listings",
                        format!(
                            "listings[{index}] must be a resource name like properties/{{property}}"
                        ),
                    ));
                    break;
                }
                Some(name) if listings.contains(&name) => {
                    violations.push(violation(
                        "comparison.listings",
                        format!("{name} is compared once"),
                    ));
                    break;
                }
                Some(name) => listings.push(name),
            }
        }
    }
    let check_in = parse_day(&comparison.check_in);
    let check_out = parse_day(&comparison.check_out);
    match (
        comparison.check_in.is_empty(),
        comparison.check_out.is_empty(),
    ) {
        (true, true) => {}
        (false, true) => violations.push(violation(
            "comparison.check_out",
            "set both dates or neither",
        )),
        (true, false) => violations.push(violation(
            "comparison.check_in",
            "set both dates or neither",
        )),
        (false, false) => match (check_in, check_out) {
            (Some(check_in), Some(check_out)) => {
                if day_key(&check_out) <= day_key(&check_in) {
                    violations.push(violation("comparison.check_out", "must be after check_in"));
                }
            }
            (check_in, check_out) => {
                if check_in.is_none() {
                    violations.push(violation("comparison.check_in", "a date, YYYY-MM-DD"));
                }
                if check_out.is_none() {
                    violations.push(violation("comparison.check_out", "a date, YYYY-MM-DD"));
                }
            }
        },
    }
    let guests = match comparison.guests {
        0 => 1,
        n if (1..=MAX_GUESTS).contains(&n) => n,
        _ => {
            violations.push(violation("comparison.guests", "1 to 50 (0 means 1)"));
            1
        }
    };
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(Contents {
        title: title.to_owned(),
        listings,
        check_in: comparison.check_in.clone(),
        check_out: comparison.check_out.clone(),
        guests: i64::from(guests),
    })
}

/// `comparison`'s listings in order, each as it is now.
pub async fn side_by_side(
    listings: &Listings,
    reviews: &ReviewStore,
    comparison: &ComparisonRecord,
) -> Result<Vec<pb::ComparedListing>, ApiError> {
    let stay = parse_day(&comparison.check_in).zip(parse_day(&comparison.check_out));
    let guests = i32::try_from(comparison.guests).unwrap_or(1).max(1);
    try_join_all(
        comparison
            .listings
            .iter()
            .map(|name| compared(listings, reviews, name, stay.as_ref(), guests)),
    )
    .await
}

async fn compared(
    listings: &Listings,
    reviews: &ReviewStore,
    name: &str,
    stay: Option<&(property::Date, property::Date)>,
    guests: i32,
) -> Result<pb::ComparedListing, ApiError> {
    let unavailable = pb::ComparedListing {
        listing: name.to_owned(),
        ..Default::default()
    };
    let Some(found) = listings
        .public(name)
        .await?
        .filter(|found| found.state == property::property::State::Published as i32)
    else {
        return Ok(unavailable);
    };
    let kind = property::ListingKind::try_from(found.kind).unwrap_or_default();
    let price = match kind {
        property::ListingKind::ShortStay => stay_price(listings, &found, stay, guests).await?,
        property::ListingKind::LongTermRental => Price::of(
            found.long_term_pricing.as_ref().map(|p| p.monthly_rent),
            "monthly_rent",
        ),
        property::ListingKind::Sale => Price::of(
            found.sale_pricing.as_ref().map(|p| p.asking_price),
            "sale_price",
        ),
        property::ListingKind::Unspecified => Price::of(None, ""),
    };
    let summary = reviews
        .summary(name)
        .await
        .map_err(|err| estospaces_storage::api_error(DOMAIN, err))?;
    Ok(pb::ComparedListing {
        listing: name.to_owned(),
        available: true,
        title: found.title,
        kind: kind.as_str_name().to_owned(),
        price: price.amount,
        price_basis: price.basis.to_owned(),
        currency_code: price.currency_code.unwrap_or(found.currency_code),
        bedrooms: found.bedrooms,
        bathrooms: found.bathrooms,
        max_guests: found.max_guests,
        floor_area_square_meters: found.floor_area_square_meters,
        amenities: found
            .amenities
            .iter()
            .filter_map(|amenity| property::Amenity::try_from(*amenity).ok())
            .map(|amenity| amenity.as_str_name().to_owned())
            .collect(),
        average_rating: summary
            .as_ref()
            .map_or(0.0, |summary| summary.average_rating),
        review_count: summary.map_or(0, |summary| {
            i32::try_from(summary.review_count).unwrap_or(i32::MAX)
        }),
        price_note: price.note,
    })
}

/// A compared listing's price and what it is.
struct Price {
    amount: i64,
    basis: &'static str,
    /// The quote's, when it differs from the listing's.
    currency_code: Option<String>,
    note: String,
}

impl Price {
    fn of(amount: Option<i64>, basis: &'static str) -> Self {
        Self {
            amount: amount.unwrap_or_default(),
            basis,
            currency_code: None,
            note: String::new(),
        }
    }
}

/// A short stay's total for the comparison's dates, or its nightly price without them (or
/// with why there is no total).
async fn stay_price(
    listings: &Listings,
    found: &property::Property,
    stay: Option<&(property::Date, property::Date)>,
    guests: i32,
) -> Result<Price, ApiError> {
    let nightly = |note: String| Price {
        note,
        ..Price::of(
            found
                .short_stay_pricing
                .as_ref()
                .map(|p| p.base_nightly_price),
            "nightly",
        )
    };
    let Some((check_in, check_out)) = stay else {
        return Ok(nightly(String::new()));
    };
    if found.max_guests > 0 && guests > found.max_guests {
        return Ok(nightly(format!(
            "the listing takes at most {} guests",
            found.max_guests
        )));
    }
    Ok(
        match listings
            .quote(&found.name, *check_in, *check_out, guests)
            .await?
        {
            Ok(quote) => Price {
                amount: quote.total,
                basis: "stay_total",
                currency_code: Some(quote.currency_code).filter(|code| !code.is_empty()),
                note: String::new(),
            },
            Err(why) => nightly(why),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(listings: &[&str], check_in: &str, check_out: &str) -> pb::Comparison {
        pb::Comparison {
            listings: listings.iter().map(|name| (*name).to_owned()).collect(),
            check_in: check_in.to_owned(),
            check_out: check_out.to_owned(),
            ..Default::default()
        }
    }

    fn fields(result: Result<Contents, Vec<FieldViolation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    const A: &str = "properties/0190b1c2-0000-7000-8000-000000000001";
    const B: &str = "properties/0190b1c2-0000-7000-8000-000000000002";

    #[test]
    fn days_are_real_calendar_days() {
        assert_eq!(
            parse_day("2028-02-29"),
            Some(property::Date {
                year: 2028,
                month: 2,
                day: 29
            })
        );
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-04-31",
            "2026-4-01",
            "+026-04-01",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_come_in_pairs_in_order() {
        assert!(check(&comparison(&[A], "2026-07-01", "2026-07-04")).is_ok());
        assert!(check(&comparison(&[A], "", "")).is_ok());
        assert_eq!(
            fields(check(&comparison(&[A], "2026-07-01", ""))),
            ["comparison.check_out"]
        );
        assert_eq!(
            fields(check(&comparison(&[A], "2026-07-04", "2026-07-04"))),
            ["comparison.check_out"]
        );
        assert_eq!(
            fields(check(&comparison(&[A], "July 1st", "2026-07-04"))),
            ["comparison.check_in"]
        );
    }

    #[test]
    fn listings_are_one_to_four_distinct_properties() {
        let checked = check(&comparison(&[B, A], "", "")).expect("two listings");
        assert_eq!(checked.listings, [B, A]);
        assert_eq!(checked.guests, 1);
        for bad in [
            &[][..],
            &[A, B, A][..],
            &["properties/nope"][..],
            &[A, B, A, B, A][..],
        ] {
            assert_eq!(
                fields(check(&comparison(bad, "", ""))),
                ["comparison.listings"]
            );
        }
        let upper = A.to_uppercase().replace("PROPERTIES", "properties");
        assert_eq!(
            fields(check(&comparison(&[A, &upper], "", ""))),
            ["comparison.listings"],
            "the same listing however spelt"
        );
    }
}
