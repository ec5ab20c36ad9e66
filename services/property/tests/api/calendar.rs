use estospaces_auth::Role;
use estospaces_proto::property_v1 as pb;
use pb::calendar_day::Status;
use tonic::Code;

use crate::helpers::{authorized, date, on_both_backends, reason, spawn_app};

on_both_backends! {
    async fn blocked_nights_show_in_the_calendar_and_cannot_be_quoted(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        app.client
            .block_dates(authorized(
                pb::BlockDatesRequest {
                    property: listing.name.clone(),
                    start_date: Some(date(2027, 6, 29)),
                    end_date: Some(date(2027, 6, 30)),
                },
                &host,
            ))
            .await
            .expect("the owner blocks nights");

        let days = app
            .client
            .get_availability(pb::GetAvailabilityRequest {
                property: listing.name.clone(),
                start_date: Some(date(2027, 6, 28)),
                end_date: Some(date(2027, 7, 1)),
            })
            .await
            .expect("public")
            .into_inner()
            .days;
        let statuses: Vec<(i32, i32, i64)> = days
            .iter()
            .map(|day| (day.date.expect("a date").day, day.status, day.nightly_price))
            .collect();
        assert_eq!(
            statuses,
            [
                (28, Status::Available as i32, 10_000),
                (29, Status::Blocked as i32, 10_000),
                (30, Status::Blocked as i32, 10_000),
                (1, Status::Available as i32, 15_000),
            ]
        );

        let status = app
            .client
            .quote_price(pb::QuotePriceRequest {
                property: listing.name.clone(),
                check_in: Some(date(2027, 6, 28)),
                check_out: Some(date(2027, 7, 2)),
                guests: 2,
            })
            .await
            .expect_err("blocked nights");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "DATES_UNAVAILABLE");

        let events = app.events().await;
        let changed: pb::PropertyCalendarChanged = events
            .last()
            .expect("an event")
            .payload()
            .expect("a PropertyCalendarChanged");
        assert_eq!(changed.property, listing.name);
        assert_eq!(changed.unavailable_days.len(), 2);
    }

    async fn unblocking_opens_the_nights_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;
        let range = (Some(date(2027, 6, 1)), Some(date(2027, 6, 10)));
        app.client
            .block_dates(authorized(
                pb::BlockDatesRequest { property: listing.name.clone(), start_date: range.0, end_date: range.1 },
                &host,
            ))
            .await
            .expect("blocked");

        let days = app
            .client
            .unblock_dates(authorized(
                pb::UnblockDatesRequest { property: listing.name.clone(), start_date: range.0, end_date: range.1 },
                &host,
            ))
            .await
            .expect("unblocked")
            .into_inner()
            .days;

        assert_eq!(days.len(), 10);
        assert!(days.iter().all(|day| day.status == Status::Available as i32));
        assert_eq!(
            app.event_types().await,
            ["property.listed", "property.calendar_changed", "property.calendar_changed"]
        );
    }

    async fn an_availability_range_longer_than_a_year_is_invalid(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        let status = app
            .client
            .get_availability(pb::GetAvailabilityRequest {
                property: listing.name.clone(),
                start_date: Some(date(2027, 1, 1)),
                end_date: Some(date(2028, 1, 2)),
            })
            .await
            .expect_err("too long");

        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(crate::helpers::bad_fields(&status), ["end_date"]);
    }

    async fn a_stranger_cannot_block_nights(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let stranger = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;

        let status = app
            .client
            .block_dates(authorized(
                pb::BlockDatesRequest {
                    property: listing.name.clone(),
                    start_date: Some(date(2027, 6, 1)),
                    end_date: Some(date(2027, 6, 2)),
                },
                &stranger,
            ))
            .await
            .expect_err("not theirs");

        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    async fn booking_events_mark_nights_booked_and_a_cancellation_opens_them(backend: Backend) {
        use estospaces_property::bookings::{self, BookingCancelled, BookingConfirmed};
        use estospaces_property::domain::PropertyId;
        use estospaces_property::store::PropertyStore;

        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;
        let store = PropertyStore::new(app.database.database.clone());
        let property = PropertyId::from_name(&listing.name).expect("a name");
        let day = |d| time::Date::from_calendar_date(2027, time::Month::June, d).expect("a date");
        let availability = |app: &mut crate::helpers::TestApp| {
            let mut client = app.client.clone();
            let name = listing.name.clone();
            async move {
                client
                    .get_availability(pb::GetAvailabilityRequest {
                        property: name,
                        start_date: Some(date(2027, 6, 10)),
                        end_date: Some(date(2027, 6, 12)),
                    })
                    .await
                    .expect("public")
                    .into_inner()
                    .days
                    .iter()
                    .map(|day| day.status)
                    .collect::<Vec<_>>()
            }
        };

        bookings::on_booking_confirmed(
            &store,
            &BookingConfirmed {
                booking_id: "booking-1".to_owned(),
                property,
                check_in: day(10),
                check_out: day(12),
            },
        )
        .await
        .expect("booked");
        assert_eq!(
            availability(&mut app).await,
            [Status::Booked as i32, Status::Booked as i32, Status::Available as i32]
        );

        bookings::on_booking_cancelled(
            &store,
            &BookingCancelled { booking_id: "booking-1".to_owned(), property },
        )
        .await
        .expect("cancelled");
        assert_eq!(availability(&mut app).await, [Status::Available as i32; 3]);
        assert_eq!(
            app.event_types().await,
            ["property.listed", "property.calendar_changed", "property.calendar_changed"]
        );
    }
}
