//! The in-app inbox: made from events exactly once, listed, counted, marked read and streamed.

use std::time::Duration;

use estospaces_proto::notification_v1 as pb;
use futures::StreamExt as _;

use crate::helpers::{authorized, confirm_booking, eventually, on_both_backends, spawn_app};

on_both_backends! {
    async fn a_confirmed_booking_reaches_both_inboxes_once_however_often_the_event_is_delivered(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        confirm_booking(&app, "b-1", &guest, &host).await;
        confirm_booking(&app, "b-1", &guest, &host).await; // redelivered: same event id

        eventually("the host's notification", || {
            let mut app_client = app.notification.clone();
            let host = host.clone();
            async move {
                let inbox = app_client
                    .list_notifications(authorized(pb::ListNotificationsRequest { parent: host.name.clone(), ..Default::default() }, &host.token))
                    .await
                    .ok()?
                    .into_inner();
                (!inbox.notifications.is_empty()).then_some(())
            }
        })
        .await;
        // Time for a duplicate to show up, if the redelivery made one.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let inbox = app.inbox(&host).await;
        assert_eq!(inbox.notifications.len(), 1, "{inbox:?}");
        assert_eq!(inbox.unread_count, 1);
        let note = &inbox.notifications[0];
        assert_eq!(note.template, "booking_confirmed_host");
        assert_eq!(note.link, "/bookings/b-1");
        assert!(note.body.contains("EUR 250.00"), "{}", note.body);
        let guest_inbox = app.inbox(&guest).await;
        assert_eq!(guest_inbox.notifications.len(), 1);
        assert_eq!(guest_inbox.notifications[0].template, "booking_confirmed_guest");

        // One email each, too: the dedupe key holds across redeliveries.
        let emails: Vec<_> = app
            .deliveries(&host)
            .await
            .into_iter()
            .filter(|d| d.template.starts_with("booking"))
            .collect();
        assert_eq!(emails.len(), 1, "{emails:?}");
        assert_eq!(emails[0].recipient, "ha***@example.com");

        let marked = app
            .notification
            .mark_notification_read(authorized(pb::MarkNotificationReadRequest { name: note.name.clone() }, &host.token))
            .await
            .expect("the owner marks it read")
            .into_inner();
        assert!(marked.notification.expect("the notification").read);
        assert_eq!(marked.unread_count, 0);
    }

    async fn the_stream_replays_what_came_after_the_cursor_then_pushes_new_notifications(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        confirm_booking(&app, "b-1", &guest, &host).await;
        let first = eventually("the first notification", || {
            let mut client = app.notification.clone();
            let host = host.clone();
            async move {
                client
                    .list_notifications(authorized(pb::ListNotificationsRequest { parent: host.name.clone(), ..Default::default() }, &host.token))
                    .await
                    .ok()?
                    .into_inner()
                    .notifications
                    .into_iter()
                    .next()
            }
        })
        .await;
        // A client that saw nothing since `first` reconnects after two more were made.
        confirm_booking(&app, "b-2", &guest, &host).await;
        eventually("the second notification", || {
            let mut client = app.notification.clone();
            let host = host.clone();
            async move {
                let inbox = client
                    .list_notifications(authorized(pb::ListNotificationsRequest { parent: host.name.clone(), ..Default::default() }, &host.token))
                    .await
                    .ok()?
                    .into_inner();
                (inbox.notifications.len() == 2).then_some(())
            }
        })
        .await;
        let mut stream = app
            .notification
            .stream_notifications(authorized(pb::StreamNotificationsRequest { parent: host.name.clone(), after_notification: first.name.clone() }, &host.token))
            .await
            .expect("the owner streams")
            .into_inner();
        let replayed = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("replayed").expect("open").expect("a message");
        assert!(replayed.notification.expect("a notification").link.ends_with("b-2"));

        confirm_booking(&app, "b-3", &guest, &host).await;
        let started = std::time::Instant::now();
        let live = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("live").expect("open").expect("a message");
        assert!(live.notification.expect("a notification").link.ends_with("b-3"));
        assert_eq!(live.unread_count, 3);
        assert!(started.elapsed() < Duration::from_secs(2), "pushed, not polled: {:?}", started.elapsed());

        let all = app
            .notification
            .mark_all_notifications_read(authorized(pb::MarkAllNotificationsReadRequest { parent: host.name.clone() }, &host.token))
            .await
            .expect("marked")
            .into_inner();
        assert_eq!(all.marked_count, 3);
        assert_eq!(app.inbox(&host).await.unread_count, 0);
    }
}

on_both_backends! {
    async fn a_sign_in_from_a_new_device_is_reported_and_a_known_one_is_not(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        for (i, device) in ["Firefox on Linux", "Safari on iPhone", "Safari on iPhone"].into_iter().enumerate() {
            let event = estospaces_proto::identity_v1::SignedIn {
                user: ann.name.clone(),
                session: format!("{}/sessions/s-{i}", ann.name),
                user_agent: device.to_owned(),
                client_address: "203.0.113.7".to_owned(),
                sign_in_time: Some(std::time::SystemTime::now().into()),
            };
            app.publish("identity", &format!("signin-{i}"), "identity.signed_in", &ann.name, &event).await;
        }
        eventually("the report", || {
            let mut client = app.notification.clone();
            let ann = ann.clone();
            async move {
                let inbox = client
                    .list_notifications(authorized(pb::ListNotificationsRequest { parent: ann.name.clone(), ..Default::default() }, &ann.token))
                    .await
                    .ok()?
                    .into_inner();
                inbox.notifications.iter().any(|n| n.template == "new_sign_in").then_some(())
            }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reports: Vec<_> = app.inbox(&ann).await.notifications.into_iter().filter(|n| n.template == "new_sign_in").collect();
        // Three devices (the helper's own sign-in among them): the first seen is the account's
        // own, the other two are news, and the second Safari sign-in is not.
        assert_eq!(reports.len(), 2, "{reports:?}");
        assert_eq!(reports.iter().filter(|n| n.body.contains("Safari on iPhone")).count(), 1, "{reports:?}");
    }
}

on_both_backends! {
    async fn a_confirmed_booking_reminds_guest_and_host_the_day_before_check_in_once_and_a_cancelled_one_does_not(backend: Backend) {
        use estospaces_proto::booking_v1 as booking;
        use estospaces_proto::property_v1::Date;

        // Reminder rounds a second apart: the cancellation below lands between two.
        let settings = estospaces_notification::NotificationSettings {
            digest_interval: Duration::from_secs(1),
            ..crate::helpers::quick_settings()
        };
        let mut app = crate::helpers::spawn_app_with(backend, settings).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        // Check-in today: the reminder was due yesterday at 09:00, so it goes at the next round.
        let today = jiff::Zoned::now().date();
        let check_in = Date { year: i32::from(today.year()), month: i32::from(today.month()), day: i32::from(today.day()) };
        for id in ["b-soon", "b-off"] {
            let facts = booking::BookingFacts { check_in: Some(check_in), ..crate::helpers::booking_facts(id, &guest, &host) };
            let confirmed = booking::BookingConfirmed { booking: Some(facts.clone()), capture_now: true };
            if id == "b-off" {
                // Cancelled before the next reminder round.
                let cancelled = booking::BookingCancelled { booking: Some(facts), cancelled_by: booking::booking_cancelled::CancelledBy::Guest as i32, ..Default::default() };
                app.publish("booking", "evt-off-confirmed", "booking.confirmed", "bookings/b-off", &confirmed).await;
                app.publish("booking", "evt-off-cancelled", "booking.cancelled", "bookings/b-off", &cancelled).await;
            } else {
                app.publish("booking", "evt-soon", "booking.confirmed", "bookings/b-soon", &confirmed).await;
            }
        }
        eventually("the host's reminder", || {
            let mut client = app.notification.clone();
            let host = host.clone();
            async move {
                let inbox = client.list_notifications(authorized(pb::ListNotificationsRequest { parent: host.name.clone(), ..Default::default() }, &host.token)).await.ok()?.into_inner();
                inbox.notifications.iter().any(|n| n.template == "booking_reminder_host").then_some(())
            }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await; // another reminder round
        let reminders: Vec<_> = app.inbox(&guest).await.notifications.into_iter().filter(|n| n.template == "booking_reminder_guest").collect();
        assert_eq!(reminders.len(), 1, "one reminder, for the booking still on: {reminders:?}");
        assert_eq!(reminders[0].subject, "bookings/b-soon");
    }
}

on_both_backends! {
    async fn a_refunded_reservation_deposit_reaches_the_buyer_linking_to_the_reservation(backend: Backend) {
        use estospaces_proto::payment_v1 as payment;

        let mut app = spawn_app(backend).await;
        let buyer = app.user("bea@example.com").await;
        let reservation = "projects/p-1/reservations/r-1";
        let refunded = payment::PaymentRefunded {
            payment: Some(payment::PaymentFacts {
                payment: "payments/pay-r-1".to_owned(),
                booking: String::new(),
                payer: buyer.name.clone(),
                amount: 5_000,
                currency_code: "EUR".to_owned(),
                reservation: reservation.to_owned(),
            }),
            refunded_amount: 5_000,
            total_refunded_amount: 5_000,
        };
        app.publish("payment", "evt-deposit-refunded", "payment.refunded", "pay-r-1", &refunded).await;

        let note = eventually("the buyer's notification", || {
            let mut client = app.notification.clone();
            let buyer = buyer.clone();
            async move {
                let inbox = client
                    .list_notifications(authorized(pb::ListNotificationsRequest { parent: buyer.name.clone(), ..Default::default() }, &buyer.token))
                    .await
                    .ok()?
                    .into_inner();
                inbox.notifications.into_iter().find(|n| n.template == "payment_refunded")
            }
        })
        .await;
        assert_eq!(note.link, format!("/{reservation}"));
        assert!(note.body.contains("EUR 50.00"), "{}", note.body);
    }
}
