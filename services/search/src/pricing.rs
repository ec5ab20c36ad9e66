//! What a stay costs, mirroring the property service's quote (its `pricing` module) so search
//! results show the price a guest will be quoted, without this service calling property.
//!
//! A night costs its season's price, else the weekend price on Friday and Saturday nights (when
//! set), else the base price. Stays of 28+ nights get the monthly discount, 7+ the weekly one.
//! Cleaning is charged once, extra guests per night, taxes on everything after the discount.
//! Shares are rounded half to even.

use estospaces_proto::property_v1 as pb;
use time::{Date, Weekday};

use crate::listing::parse_date;

/// A stay's price in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StayPrice {
    pub nights_subtotal: i64,
    pub total: i64,
}

/// `amount * basis_points / 10000`, rounded half to even.
pub fn share(amount: i64, basis_points: i32) -> i64 {
    let product = i128::from(amount) * i128::from(basis_points);
    let (quotient, remainder) = (product.div_euclid(10_000), product.rem_euclid(10_000));
    let rounded = match (remainder * 2).cmp(&10_000) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient & 1),
    };
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The price of the night starting on `date`.
pub fn nightly_price(pricing: &pb::ShortStayPricing, date: Date) -> i64 {
    for season in &pricing.seasonal_prices {
        let start = season.start_date.as_ref().and_then(parse_date);
        let end = season.end_date.as_ref().and_then(parse_date);
        if let (Some(start), Some(end)) = (start, end)
            && (start..=end).contains(&date)
        {
            return season.nightly_price;
        }
    }
    let weekend = matches!(date.weekday(), Weekday::Friday | Weekday::Saturday);
    if weekend && pricing.weekend_nightly_price > 0 {
        pricing.weekend_nightly_price
    } else {
        pricing.base_nightly_price
    }
}

/// What `guests` pay from `check_in` to `check_out` (exclusive); `None` for listings without
/// short-stay prices.
pub fn stay_price(
    property: &pb::Property,
    check_in: Date,
    check_out: Date,
    guests: i32,
) -> Option<StayPrice> {
    let pricing = property.short_stay_pricing.as_ref()?;
    let mut nights_subtotal = 0;
    let mut nights = 0i64;
    let mut night = check_in;
    while night < check_out {
        nights_subtotal += nightly_price(pricing, night);
        nights += 1;
        night = night.next_day()?;
    }
    let mut taxable = nights_subtotal;
    if nights >= 28 && pricing.monthly_discount_basis_points > 0 {
        taxable -= share(nights_subtotal, pricing.monthly_discount_basis_points);
    } else if nights >= 7 && pricing.weekly_discount_basis_points > 0 {
        taxable -= share(nights_subtotal, pricing.weekly_discount_basis_points);
    }
    taxable += pricing.cleaning_fee.max(0);
    let extra_guests = i64::from(guests - pricing.included_guests);
    if pricing.included_guests > 0 && extra_guests > 0 && pricing.extra_guest_fee > 0 {
        taxable += extra_guests * nights * pricing.extra_guest_fee;
    }
    let total = if pricing.tax_basis_points > 0 {
        taxable + share(taxable, pricing.tax_basis_points)
    } else {
        taxable
    };
    Some(StayPrice {
        nights_subtotal,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_takes_the_weekly_discount_then_cleaning_and_taxes() {
        let property = pb::Property {
            short_stay_pricing: Some(pb::ShortStayPricing {
                base_nightly_price: 10_000,
                weekly_discount_basis_points: 1_000,
                cleaning_fee: 5_000,
                tax_basis_points: 1_000,
                ..Default::default()
            }),
            ..Default::default()
        };
        let check_in = Date::from_calendar_date(2027, time::Month::March, 1).expect("date");
        let check_out = Date::from_calendar_date(2027, time::Month::March, 8).expect("date");
        let price = stay_price(&property, check_in, check_out, 2).expect("a short stay");
        assert_eq!(price.nights_subtotal, 70_000);
        // (70000 - 7000 + 5000) * 1.1
        assert_eq!(price.total, 74_800);
    }
}
