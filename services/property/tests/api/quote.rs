use estospaces_auth::Role;
use estospaces_proto::property_v1 as pb;
use pb::quote_line::Kind;
use tonic::Code;

use crate::helpers::{bad_fields, date, on_both_backends, spawn_app};

fn quote(
    property: &str,
    check_in: pb::Date,
    check_out: pb::Date,
    guests: i32,
) -> pb::QuotePriceRequest {
    pb::QuotePriceRequest {
        property: property.to_owned(),
        check_in: Some(check_in),
        check_out: Some(check_out),
        guests,
    }
}

on_both_backends! {
    async fn a_week_across_the_start_of_summer_is_priced_night_by_night_with_discount_fees_and_taxes(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        // Friday 25 June to Friday 2 July 2027: two weekend nights, four weekdays, then the
        // first night of summer.
        let quote = app
            .client
            .quote_price(quote(&listing.name, date(2027, 6, 25), date(2027, 7, 2), 4))
            .await
            .expect("anyone may ask for a quote")
            .into_inner();

        let nights: Vec<(i32, i64)> = quote
            .lines
            .iter()
            .filter(|line| line.kind == Kind::Night as i32)
            .map(|line| (line.date.expect("a date").day, line.amount))
            .collect();
        assert_eq!(
            nights,
            [(25, 12_000), (26, 12_000), (27, 10_000), (28, 10_000), (29, 10_000), (30, 10_000), (1, 15_000)]
        );
        assert_eq!(quote.nights_subtotal, 79_000);
        let amount = |kind: Kind| {
            quote
                .lines
                .iter()
                .find(|line| line.kind == kind as i32)
                .map(|line| line.amount)
        };
        assert_eq!(amount(Kind::Discount), Some(-7_900), "10% weekly discount");
        assert_eq!(amount(Kind::CleaningFee), Some(5_000));
        assert_eq!(amount(Kind::ExtraGuestFee), Some(14_000), "2 extra guests × 7 nights × 10.00");
        // 7.25% of 90,100 is 6,532.25: rounded to 6,532.
        assert_eq!(amount(Kind::Tax), Some(6_532));
        assert_eq!(quote.total, 79_000 - 7_900 + 5_000 + 14_000 + 6_532);
        assert_eq!(quote.currency_code, "EUR");
        assert!(quote.lines.iter().all(|line| !line.description.is_empty()), "every line is explained");
    }

    async fn a_quote_with_impossible_dates_and_too_many_guests_names_each_field(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        let status = app
            .client
            .quote_price(quote(&listing.name, date(2027, 2, 29), date(2027, 3, 2), 9))
            .await
            .expect_err("invalid");

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&status), ["check_in", "guests"]);
    }
}
