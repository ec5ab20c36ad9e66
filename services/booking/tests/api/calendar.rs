use std::time::Duration;

use estospaces_auth::Role;
use estospaces_proto::property_v1 as property;
use sqlx::Row;
use tonic::Code;

use crate::helpers::{authorized, in_days, on_both_backends, reason, spawn_stack};

on_both_backends! {
    async fn a_guest_cannot_book_nights_the_host_blocked(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        stack
            .properties
            .block_dates(authorized(
                property::BlockDatesRequest {
                    property: listing.clone(),
                    start_date: Some(in_days(40)),
                    end_date: Some(in_days(41)),
                },
                &host,
            ))
            .await
            .expect("the host blocks nights");

        let status = stack.book(&guest, &listing, in_days(39), in_days(41)).await.expect_err("blocked");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "NIGHTS_UNAVAILABLE");

        // The blocked nights reach the booking service's own table through property's events,
        // where the same transaction as the overlap check reads them.
        let id = listing.trim_start_matches("properties/").to_owned();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let blocked: i64 = sqlx::query("SELECT COUNT(*) AS n FROM listing_blocked_nights WHERE property_id = $1")
                .bind(&id)
                .fetch_one(stack.database.database.pool())
                .await
                .expect("readable")
                .try_get("n")
                .expect("a count");
            if blocked == 2 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the blocked nights were never mirrored");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stack.book(&guest, &listing, in_days(38), in_days(40)).await.expect("the night before is open");
    }

    async fn the_ical_feed_lists_held_and_booked_nights_without_guests(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let (guest, guest_name) = stack.user(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let held = stack.book(&guest, &listing, crate::helpers::date(2027, 6, 10), crate::helpers::date(2027, 6, 12)).await.expect("booked");
        let booked = stack.book(&guest, &listing, crate::helpers::date(2027, 7, 1), crate::helpers::date(2027, 7, 5)).await.expect("booked");
        stack.authorize(&booked).await;
        stack.wait_for_state(&booked.name, &guest, estospaces_proto::booking_v1::booking::State::Confirmed).await;

        let body = stack
            .bookings
            .get_listing_calendar_feed(estospaces_proto::booking_v1::GetListingCalendarFeedRequest { property: listing.clone() })
            .await
            .expect("public")
            .into_inner();

        assert_eq!(body.content_type, "text/calendar; charset=utf-8");
        let text = String::from_utf8(body.data).expect("text");
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
        assert!(text.contains("DTSTART;VALUE=DATE:20270610\r\nDTEND;VALUE=DATE:20270612\r\nSUMMARY:Held"), "{text}");
        assert!(text.contains("DTSTART;VALUE=DATE:20270701\r\nDTEND;VALUE=DATE:20270705\r\nSUMMARY:Reserved"), "{text}");
        assert!(text.contains(&format!("UID:{}@", held.name.trim_start_matches("bookings/"))));
        assert!(!text.contains(guest_name.trim_start_matches("users/")), "no guest in a public feed");

        let missing = format!("properties/{}", uuid::Uuid::now_v7());
        let status = stack
            .bookings
            .get_listing_calendar_feed(estospaces_proto::booking_v1::GetListingCalendarFeedRequest { property: missing })
            .await
            .expect_err("no such listing");
        assert_eq!(status.code(), Code::NotFound);
    }
}
