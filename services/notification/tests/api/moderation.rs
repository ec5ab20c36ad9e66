//! Moderation events: reporters hear the outcome of their reports, a warned account the
//! warning, a suspended account why, and an owner what a moderator decided about a listing.

use std::time::{Duration, SystemTime};

use estospaces_proto::identity_v1 as identity;
use estospaces_proto::moderation_v1 as moderation;
use estospaces_proto::notification_v1 as pb;
use estospaces_proto::property_v1 as property;

use crate::helpers::{TestApp, User, authorized, eventually, on_both_backends, spawn_app};

/// `user`'s inbox once it holds `count` notifications.
async fn inbox(app: &TestApp, user: &User, count: usize) -> Vec<pb::Notification> {
    eventually("the notifications", || {
        let mut client = app.notification.clone();
        let user = user.clone();
        async move {
            let all = client
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
                .notifications;
            (all.len() >= count).then_some(all)
        }
    })
    .await
}

on_both_backends! {
    async fn every_reporter_hears_the_outcome_and_a_warned_author_the_warning(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (first, second) = (app.user("rita@example.com").await, app.user("rob@example.com").await);
        let author = app.user("abe@example.com").await;
        let decided = moderation::CaseDecided {
            case: Some(moderation::Case {
                name: "cases/c-1".to_owned(),
                target: "properties/p-1".to_owned(),
                subject: author.name.clone(),
                decision: moderation::Decision::Warn as i32,
                decision_reason: "Use photos of this flat.".to_owned(),
                ..Default::default()
            }),
            reporters: vec![first.name.clone(), second.name.clone()],
        };
        for _ in 0..2 {
            app.publish("moderation", "evt-c-1", "moderation.case_decided", "properties/p-1", &decided).await;
        }
        for reporter in [&first, &second] {
            let told = inbox(&app, reporter, 1).await;
            assert_eq!(told.len(), 1, "once, however often the event comes");
            assert_eq!(told[0].template, "report_decided");
            assert!(told[0].body.contains("warned its author"), "{}", told[0].body);
            assert!(told[0].body.contains("Use photos of this flat."), "{}", told[0].body);
        }
        let warned = inbox(&app, &author, 1).await;
        assert_eq!(warned[0].template, "moderation_warning");
    }

    async fn a_suspended_owner_hears_until_when_and_why(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let sam = app.user("sam@example.com").await;
        let changed = identity::UserStateChanged {
            user: sam.name.clone(),
            previous_state: identity::user::State::Active as i32,
            state: identity::user::State::Suspended as i32,
            suspend_end_time: Some((SystemTime::now() + Duration::from_secs(86_400)).into()),
            actor: "users/mo".to_owned(),
            reason: "Spam in messages.".to_owned(),
            change_time: Some(SystemTime::now().into()),
        };
        app.publish("identity", "evt-s-1", "identity.user_state_changed", &sam.name, &changed).await;
        let told = inbox(&app, &sam, 1).await;
        assert_eq!(told[0].template, "account_suspended");
        assert!(told[0].body.contains("Spam in messages."), "{}", told[0].body);
    }

    async fn an_owner_hears_why_a_listing_was_rejected_but_not_about_an_automatic_hold(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.user("hana@example.com").await;
        let listing = |state: property::property::State| property::Property {
            name: "properties/p-1".to_owned(),
            owner: host.name.clone(),
            title: "Loft by the sea".to_owned(),
            state: state as i32,
            ..Default::default()
        };
        let held = property::PropertyModerated {
            property: Some(listing(property::property::State::PendingReview)),
            previous_state: property::property::State::Published as i32,
            actor: String::new(),
            reason: "held by the automatic checks".to_owned(),
        };
        app.publish("property", "evt-h-1", "property.moderated", "properties/p-1", &held).await;
        let rejected = property::PropertyModerated {
            property: Some(listing(property::property::State::Rejected)),
            previous_state: property::property::State::PendingReview as i32,
            actor: "users/mo".to_owned(),
            reason: "Add photos of the bedrooms.".to_owned(),
        };
        app.publish("property", "evt-r-1", "property.moderated", "properties/p-1", &rejected).await;
        let told = inbox(&app, &host, 1).await;
        assert_eq!(told.len(), 1, "the hold is not told: {told:?}");
        assert_eq!(told[0].template, "listing_moderated");
        assert_eq!(told[0].title, "Loft by the sea needs changes before it goes live");
        assert!(told[0].body.contains("Add photos of the bedrooms."), "{}", told[0].body);
    }
}
