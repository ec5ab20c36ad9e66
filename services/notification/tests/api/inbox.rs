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
