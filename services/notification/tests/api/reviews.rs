//! Review events: a published review told to whom it is about, a reply told to its author,
//! each once however often the event is delivered.

use std::time::Duration;

use estospaces_proto::notification_v1 as pb;
use estospaces_proto::review_v1 as review;

use crate::helpers::{TestApp, User, authorized, eventually, on_both_backends, spawn_app};

/// A guest's published review of a stay at `host`'s listing.
fn stay_review(id: &str, guest: &User, host: &User) -> review::Review {
    review::Review {
        name: format!("reviews/{id}"),
        kind: review::review::Kind::Guest as i32,
        booking: "bookings/b-1".to_owned(),
        listing: "properties/p-1".to_owned(),
        author: guest.name.clone(),
        reviewee: host.name.clone(),
        rating: 4,
        text: "Spotless flat, a slow check-in.".to_owned(),
        state: review::review::State::Published as i32,
        ..Default::default()
    }
}

/// `user`'s inbox once it holds at least one notification.
async fn first_notification(app: &TestApp, user: &User, what: &str) -> pb::Notification {
    eventually(what, || {
        let mut client = app.notification.clone();
        let user = user.clone();
        async move {
            client
                .list_notifications(authorized(
                    pb::ListNotificationsRequest {
                        parent: user.name.clone(),
                        ..Default::default()
                    },
                    &user.token,
                ))
                .await
                .ok()?
                .into_inner()
                .notifications
                .into_iter()
                .next()
        }
    })
    .await
}

on_both_backends! {
    async fn a_published_review_notifies_the_reviewee(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        // A review about nobody (the reviewee's account is gone) tells no one, and is no error.
        let mut orphan = stay_review("r-0", &guest, &host);
        orphan.reviewee.clear();
        app.publish("review", "evt-r-0", "review.published", "r-0", &review::ReviewPublished { review: Some(orphan) }).await;
        let published = review::ReviewPublished { review: Some(stay_review("r-1", &guest, &host)) };
        app.publish("review", "evt-r-1", "review.published", "r-1", &published).await;

        let note = first_notification(&app, &host, "the host's notification").await;
        assert_eq!(note.template, "review_received");
        assert_eq!(note.category, pb::Category::Bookings as i32);
        assert_eq!(note.title, "New review of your listing: 4 out of 5");
        assert!(note.body.contains("A guest rated your listing 4 out of 5"), "{}", note.body);
        assert!(note.body.contains("\"Spotless flat, a slow check-in.\""), "{}", note.body);
        assert!(note.body.contains("https://stays.example/reviews/r-1"), "{}", note.body);
        assert_eq!(note.link, "/reviews/r-1");
        assert_eq!(note.subject, "reviews/r-1");
        let emails: Vec<_> = app.deliveries(&host).await.into_iter().filter(|d| d.template == "review_received").collect();
        assert_eq!(emails.len(), 1, "{emails:?}");
        assert_eq!(emails[0].channel, pb::Channel::Email as i32);
        assert_eq!(emails[0].recipient, "ha***@example.com");

        // r-0 came first on the same topic: it was handled, neither told to anyone nor
        // dead-lettered; the author of r-1 hears nothing of its publication.
        assert_eq!(app.inbox(&host).await.notifications.len(), 1);
        assert!(app.inbox(&guest).await.notifications.is_empty());
        let dead = app.log.read(&estospaces_events::dead_letter_topic("notification.events"), 0, 10).await.expect("the log");
        assert!(dead.is_empty(), "{dead:?}");
    }

    async fn a_response_notifies_the_reviews_author(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        let mut answered = stay_review("r-1", &guest, &host);
        answered.response = Some(review::ReviewResponse { text: "Thanks, we fixed the key box.".to_owned(), create_time: None });
        app.publish("review", "evt-r-1-reply", "review.responded", "r-1", &review::ReviewResponded { review: Some(answered) }).await;

        let note = first_notification(&app, &guest, "the author's notification").await;
        assert_eq!(note.template, "review_responded");
        assert_eq!(note.title, "The host of the listing replied to your review");
        assert!(note.body.starts_with("\"Thanks, we fixed the key box.\""), "{}", note.body);
        assert!(note.body.contains("Your review, 4 out of 5: \"Spotless flat, a slow check-in.\""), "{}", note.body);
        assert_eq!(note.link, "/reviews/r-1");
        assert!(app.deliveries(&guest).await.iter().any(|d| d.template == "review_responded" && d.channel == pb::Channel::Email as i32));
        // The reviewee wrote the reply: they are not told of it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(app.inbox(&host).await.notifications.is_empty());
    }

    async fn the_same_review_event_delivered_twice_notifies_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        let published = review::ReviewPublished { review: Some(stay_review("r-1", &guest, &host)) };
        app.publish("review", "evt-r-1", "review.published", "r-1", &published).await;
        app.publish("review", "evt-r-1", "review.published", "r-1", &published).await; // redelivered

        first_notification(&app, &host, "the host's notification").await;
        // Time for a duplicate to show up, if the redelivery made one.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let inbox = app.inbox(&host).await;
        assert_eq!(inbox.notifications.len(), 1, "{inbox:?}");
        assert_eq!(inbox.unread_count, 1);
        let emails: Vec<_> = app.deliveries(&host).await.into_iter().filter(|d| d.template == "review_received").collect();
        assert_eq!(emails.len(), 1, "{emails:?}");
    }
}
