//! What a stay costs, in integer minor units of the listing's currency.
//!
//! A night costs the price of the season it falls in, else the weekend price on Friday and
//! Saturday nights (when set), else the base price. Stays of 28 nights or more get the monthly
//! discount, stays of 7 or more the weekly one, on the nights' subtotal. Cleaning is charged
//! once; each guest above `included_guests` pays `extra_guest_fee` per night. Taxes are charged
//! on everything after the discount.
//!
//! Percentages are basis points. A share of an amount is rounded half to even ("banker's
//! rounding") to the minor unit, so rounding errors do not drift one way over many quotes.

use estospaces_proto::property_v1 as pb;
use pb::quote_line::Kind;
use time::{Date, Weekday};

use crate::domain::{days, parse_date, to_pb_date};

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

/// The price of the night starting on `date`, and why.
pub fn nightly_price(pricing: &pb::ShortStayPricing, date: Date) -> (i64, String) {
    for season in &pricing.seasonal_prices {
        let start = parse_date("", season.start_date.as_ref());
        let end = parse_date("", season.end_date.as_ref());
        if let (Ok(start), Ok(end)) = (start, end)
            && (start..=end).contains(&date)
        {
            return (
                season.nightly_price,
                format!("{} season nightly price", season.label),
            );
        }
    }
    let weekend = matches!(date.weekday(), Weekday::Friday | Weekday::Saturday);
    if weekend && pricing.weekend_nightly_price > 0 {
        (
            pricing.weekend_nightly_price,
            "weekend nightly price".to_owned(),
        )
    } else {
        (pricing.base_nightly_price, "base nightly price".to_owned())
    }
}

/// The bill for `guests` staying from `check_in` to `check_out` (exclusive). The caller has
/// checked the dates are in order and the listing takes the stay.
pub fn quote(
    property: &pb::Property,
    check_in: Date,
    check_out: Date,
    guests: i32,
) -> pb::QuotePriceResponse {
    let pricing = property.short_stay_pricing.clone().unwrap_or_default();
    let line = |kind: Kind, date: Option<Date>, amount: i64, description: String| pb::QuoteLine {
        kind: kind as i32,
        date: date.map(to_pb_date),
        amount,
        description,
    };
    let mut lines = Vec::new();
    let mut nights_subtotal = 0;
    let mut nights = 0i64;
    for night in days(check_in, check_out).filter(|day| *day < check_out) {
        let (price, why) = nightly_price(&pricing, night);
        nights_subtotal += price;
        nights += 1;
        lines.push(line(Kind::Night, Some(night), price, why));
    }

    let mut taxable = nights_subtotal;
    let discount = if nights >= 28 && pricing.monthly_discount_basis_points > 0 {
        Some(("monthly", pricing.monthly_discount_basis_points))
    } else if nights >= 7 && pricing.weekly_discount_basis_points > 0 {
        Some(("weekly", pricing.weekly_discount_basis_points))
    } else {
        None
    };
    if let Some((which, bps)) = discount {
        let amount = share(nights_subtotal, bps);
        taxable -= amount;
        lines.push(line(
            Kind::Discount,
            None,
            -amount,
            format!(
                "{which} discount: {} of {nights_subtotal} for {nights} nights",
                percent(bps)
            ),
        ));
    }
    if pricing.cleaning_fee > 0 {
        taxable += pricing.cleaning_fee;
        lines.push(line(
            Kind::CleaningFee,
            None,
            pricing.cleaning_fee,
            "cleaning fee, once per stay".to_owned(),
        ));
    }
    let extra_guests = i64::from(guests - pricing.included_guests);
    if pricing.included_guests > 0 && extra_guests > 0 && pricing.extra_guest_fee > 0 {
        let amount = extra_guests * nights * pricing.extra_guest_fee;
        taxable += amount;
        lines.push(line(
            Kind::ExtraGuestFee,
            None,
            amount,
            format!(
                "{extra_guests} guests above {} × {nights} nights × {}",
                pricing.included_guests, pricing.extra_guest_fee
            ),
        ));
    }
    let mut total = taxable;
    if pricing.tax_basis_points > 0 {
        let tax = share(taxable, pricing.tax_basis_points);
        total += tax;
        lines.push(line(
            Kind::Tax,
            None,
            tax,
            format!(
                "taxes: {} of {taxable}, rounded half to even",
                percent(pricing.tax_basis_points)
            ),
        ));
    }
    pb::QuotePriceResponse {
        lines,
        nights_subtotal,
        total,
        currency_code: property.currency_code.clone(),
    }
}

fn percent(basis_points: i32) -> String {
    format!("{}.{:02}%", basis_points / 100, basis_points % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_half_to_even() {
        // 2.5 → 2, 3.5 → 4, 2.51 → 3, 2.49 → 2 (in minor units).
        assert_eq!(share(25, 1_000), 2);
        assert_eq!(share(35, 1_000), 4);
        assert_eq!(share(251, 1_000), 25);
        assert_eq!(share(2_510, 10), 3);
        assert_eq!(share(2_490, 10), 2);
        assert_eq!(share(10_000, 1_500), 1_500);
    }

    #[test]
    fn weekend_nights_cost_the_weekend_price_unless_a_season_says_otherwise() {
        let pricing = pb::ShortStayPricing {
            base_nightly_price: 100,
            weekend_nightly_price: 150,
            ..Default::default()
        };
        let friday = Date::from_calendar_date(2027, time::Month::January, 1).expect("date");
        assert_eq!(nightly_price(&pricing, friday).0, 150);
        assert_eq!(
            nightly_price(&pricing, friday.previous_day().expect("day")).0,
            100
        );
    }

    #[test]
    fn a_month_long_stay_takes_the_monthly_discount_instead_of_the_weekly_one() {
        let property = pb::Property {
            currency_code: "EUR".to_owned(),
            short_stay_pricing: Some(pb::ShortStayPricing {
                base_nightly_price: 1_000,
                weekly_discount_basis_points: 1_000,
                monthly_discount_basis_points: 2_500,
                ..Default::default()
            }),
            ..Default::default()
        };
        let check_in = Date::from_calendar_date(2027, time::Month::March, 1).expect("date");
        let check_out = Date::from_calendar_date(2027, time::Month::March, 29).expect("date");

        let quote = quote(&property, check_in, check_out, 1);

        assert_eq!(quote.nights_subtotal, 28_000);
        let discount = quote
            .lines
            .iter()
            .find(|line| line.kind == Kind::Discount as i32)
            .expect("a discount");
        assert_eq!(discount.amount, -7_000);
        assert!(
            discount.description.starts_with("monthly"),
            "{}",
            discount.description
        );
        assert_eq!(quote.total, 21_000);
    }
}
