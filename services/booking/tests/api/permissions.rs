use estospaces_auth::Role;
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::property_v1 as property;
use tonic::Code;

use crate::helpers::{authorized, in_days, on_both_backends, spawn_stack};

on_both_backends! {
    async fn only_the_guest_the_host_and_admins_see_a_booking(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let stranger = stack.token(&[Role::Guest]);
        let admin = stack.token(&[Role::Admin]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        for token in [&guest, &host, &admin] {
            assert_eq!(stack.get(&booking.name, token).await.name, booking.name);
        }
        let get = |name: &str| pb::GetBookingRequest { name: name.to_owned() };
        let status = stack.bookings.get_booking(authorized(get(&booking.name), &stranger)).await.expect_err("a stranger");
        assert_eq!(status.code(), Code::PermissionDenied);
        // Before NOT_FOUND: a stranger learns nothing from a name that does not exist.
        let missing = format!("bookings/{}", uuid::Uuid::now_v7());
        let status = stack.bookings.get_booking(authorized(get(&missing), &stranger)).await.expect_err("missing");
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = stack.bookings.get_booking(authorized(get(&missing), &admin)).await.expect_err("missing");
        assert_eq!(status.code(), Code::NotFound);
        let status = stack.bookings.get_booking(get(&booking.name)).await.expect_err("anonymous");
        assert_eq!(status.code(), Code::Unauthenticated);
        let status = stack
            .bookings
            .get_booking_saga(authorized(pb::GetBookingSagaRequest { name: format!("{}/saga", booking.name) }, &stranger))
            .await
            .expect_err("a stranger");
        assert_eq!(status.code(), Code::PermissionDenied);
    }

    async fn only_the_host_accepts_declines_and_checks_in(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let stranger = stack.token(&[Role::Host]);
        let listing = stack.listing(&host, property::BookingMode::Request).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        for token in [&guest, &stranger] {
            let status = stack
                .bookings
                .accept_booking(authorized(pb::AcceptBookingRequest { name: booking.name.clone() }, token))
                .await
                .expect_err("not the host");
            assert_eq!(status.code(), Code::PermissionDenied);
            let status = stack
                .bookings
                .check_in_booking(authorized(pb::CheckInBookingRequest { name: booking.name.clone() }, token))
                .await
                .expect_err("not the host");
            assert_eq!(status.code(), Code::PermissionDenied);
        }
        let status = stack
            .bookings
            .cancel_booking(authorized(pb::CancelBookingRequest { name: booking.name.clone(), reason: String::new() }, &stranger))
            .await
            .expect_err("a stranger");
        assert_eq!(status.code(), Code::PermissionDenied);
    }

    async fn guests_list_their_own_bookings_and_hosts_those_of_their_listings(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let (host, host_name) = stack.user(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let other = stack.token(&[Role::Guest]);
        let (stranger, stranger_name) = stack.user(&[Role::Host]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let mine = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");
        let theirs = stack.book(&other, &listing, in_days(40), in_days(42)).await.expect("booked");
        let list = |property: &str, host: &str| pb::ListBookingsRequest {
            property: property.to_owned(),
            host: host.to_owned(),
            ..pb::ListBookingsRequest::default()
        };
        let names = |response: pb::ListBookingsResponse| -> Vec<String> {
            response.bookings.into_iter().map(|b| b.name).collect()
        };

        let own = stack.bookings.list_bookings(authorized(list("", ""), &guest)).await.expect("own").into_inner();
        assert_eq!(names(own), std::slice::from_ref(&mine.name));
        let by_listing = stack.bookings.list_bookings(authorized(list(&listing, ""), &host)).await.expect("the host's").into_inner();
        assert_eq!(names(by_listing), [theirs.name.clone(), mine.name.clone()], "newest first");
        let by_host = stack.bookings.list_bookings(authorized(list("", &host_name), &host)).await.expect("the host's").into_inner();
        assert_eq!(names(by_host).len(), 2);

        let status = stack.bookings.list_bookings(authorized(list(&listing, ""), &stranger)).await.expect_err("not theirs");
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = stack.bookings.list_bookings(authorized(list("", &host_name), &guest)).await.expect_err("not the host");
        assert_eq!(status.code(), Code::PermissionDenied);
        let quiet = stack.listing(&host, property::BookingMode::Instant).await;
        let status = stack
            .bookings
            .list_bookings(authorized(list(&quiet, ""), &stranger))
            .await
            .expect_err("not theirs, though nobody booked it yet");
        assert_eq!(status.code(), Code::PermissionDenied);
        let empty = stack
            .bookings
            .list_bookings(authorized(list(&quiet, ""), &host))
            .await
            .expect("their own")
            .into_inner();
        assert!(empty.bookings.is_empty());
        let none = stack.bookings.list_bookings(authorized(list("", &stranger_name), &stranger)).await.expect("empty").into_inner();
        assert!(none.bookings.is_empty());

        let page = stack
            .bookings
            .list_bookings(authorized(pb::ListBookingsRequest { page_size: 1, property: listing.clone(), ..Default::default() }, &host))
            .await
            .expect("a page")
            .into_inner();
        assert_eq!(page.bookings.len(), 1);
        let next = stack
            .bookings
            .list_bookings(authorized(
                pb::ListBookingsRequest { page_size: 1, property: listing.clone(), page_token: page.next_page_token, ..Default::default() },
                &host,
            ))
            .await
            .expect("the next page")
            .into_inner();
        assert_eq!(names(next), [mine.name]);
    }
}
