//! Moderation events: reporters hear the outcome of their reports, a warned account the
//! warning, a suspended account why, and an owner what a moderator decided about a listing.

use std::time::{Duration, SystemTime};

use estospaces_proto::identity_v1 as identity;
use estospaces_proto::moderation_v1 as moderation;
use estospaces_proto::notification_v1 as pb;
use estospaces_proto::property_v1 as property;

use crate::helpers::{TestApp, User, authorized, eventually, on_both_backends, spawn_app};

/// A decided case about `target`, reported by `reporters`.
fn decided(
    target: &str,
    subject: &User,
    decision: moderation::Decision,
    reason: &str,
    reporters: &[&User],
) -> moderation::CaseDecided {
    moderation::CaseDecided {
        case: Some(moderation::Case {
            name: "cases/c-1".to_owned(),
            target: target.to_owned(),
            subject: subject.name.clone(),
            decision: decision as i32,
            decision_reason: reason.to_owned(),
            ..Default::default()
        }),
        reporters: reporters
            .iter()
            .map(|reporter| reporter.name.clone())
            .collect(),
    }
}

/// `user`'s account moved from `from` to `to`, as identity announces it.
fn state_changed(
    user: &User,
    from: identity::user::State,
    to: identity::user::State,
    reason: &str,
) -> identity::UserStateChanged {
    identity::UserStateChanged {
        user: user.name.clone(),
        previous_state: from as i32,
        state: to as i32,
        suspend_end_time: None,
        actor: "users/mo".to_owned(),
        reason: reason.to_owned(),
        change_time: Some(SystemTime::now().into()),
    }
}

/// A decision about `host`'s listing `p-1`, now in `state`.
fn listing_moderated(
    host: &User,
    state: property::property::State,
    actor: &str,
    reason: &str,
) -> property::PropertyModerated {
    property::PropertyModerated {
        property: Some(property::Property {
            name: "properties/p-1".to_owned(),
            owner: host.name.clone(),
            title: "Loft by the sea".to_owned(),
            state: state as i32,
            ..Default::default()
        }),
        previous_state: property::property::State::Published as i32,
        actor: actor.to_owned(),
        reason: reason.to_owned(),
    }
}

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
        let warned = decided("properties/p-1", &author, moderation::Decision::Warn, "Use photos of this flat.", &[&first, &second]);
        for _ in 0..2 {
            app.publish("moderation", "evt-c-1", "moderation.case_decided", "properties/p-1", &warned).await;
        }
        for reporter in [&first, &second] {
            let told = inbox(&app, reporter, 1).await;
            assert_eq!(told.len(), 1, "once, however often the event comes");
            assert_eq!(told[0].template, "report_decided");
            assert_eq!(told[0].category, pb::Category::Account as i32);
            assert!(told[0].body.contains("Thank you for reporting a listing."), "{}", told[0].body);
            assert!(told[0].body.contains("warned its author"), "{}", told[0].body);
            assert!(told[0].body.contains("Use photos of this flat."), "{}", told[0].body);
        }
        let warning = inbox(&app, &author, 1).await;
        assert_eq!(warning.len(), 1);
        assert_eq!(warning[0].template, "moderation_warning");
        assert!(warning[0].body.contains("looked into your listing"), "{}", warning[0].body);
        assert!(warning[0].body.contains("Use photos of this flat."), "{}", warning[0].body);
        assert!(warning[0].link.ends_with("/properties/p-1"), "{}", warning[0].link);
        let mail = app.deliveries(&author).await;
        assert!(mail.iter().any(|d| d.template == "moderation_warning" && d.channel == pb::Channel::Email as i32), "{mail:?}");
    }

    async fn reporters_hear_a_dismissal_or_a_ban_and_only_a_warning_is_told_to_the_subject(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let reporter = app.user("rita@example.com").await;
        let author = app.user("abe@example.com").await;
        let dismissed = decided("reviews/r-1", &author, moderation::Decision::Dismiss, "", &[&reporter]);
        app.publish("moderation", "evt-c-1", "moderation.case_decided", "reviews/r-1", &dismissed).await;
        let removed = decided("users/u-9", &author, moderation::Decision::BanUser, "Fake listings.", &[&reporter]);
        app.publish("moderation", "evt-c-2", "moderation.case_decided", "users/u-9", &removed).await;
        let told = inbox(&app, &reporter, 2).await;
        let bodies: Vec<&str> = told.iter().map(|n| n.body.as_str()).collect();
        assert!(bodies.iter().any(|b| b.contains("reporting a review") && b.contains("found nothing against the rules")), "{bodies:?}");
        assert!(bodies.iter().any(|b| b.contains("reporting an account") && b.contains("closed it") && b.contains("Fake listings.")), "{bodies:?}");
        assert!(app.inbox(&author).await.notifications.is_empty(), "only a warning is told to the subject");
    }

    async fn a_suspended_owner_hears_until_when_and_why(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let sam = app.user("sam@example.com").await;
        let until = SystemTime::now() + Duration::from_secs(86_400);
        let changed = identity::UserStateChanged {
            suspend_end_time: Some(until.into()),
            ..state_changed(&sam, identity::user::State::Active, identity::user::State::Suspended, "Spam in messages.")
        };
        app.publish("identity", "evt-s-1", "identity.user_state_changed", &sam.name, &changed).await;
        let told = inbox(&app, &sam, 1).await;
        assert_eq!(told[0].template, "account_suspended");
        assert_eq!(told[0].category, pb::Category::Account as i32);
        let day = jiff::Timestamp::try_from(until).expect("a time").strftime("%Y-%m-%d").to_string();
        assert!(told[0].body.contains(&format!("suspended until {day}")), "{}", told[0].body);
        assert!(told[0].body.contains("Spam in messages."), "{}", told[0].body);
        let mail = app.deliveries(&sam).await;
        assert!(mail.iter().any(|d| d.template == "account_suspended" && d.channel == pb::Channel::Email as i32), "{mail:?}");

        // Suspending again moves the end: the owner hears the new one.
        let later = until + Duration::from_secs(7 * 86_400);
        let moved = identity::UserStateChanged {
            suspend_end_time: Some(later.into()),
            ..state_changed(&sam, identity::user::State::Suspended, identity::user::State::Suspended, "Spam again.")
        };
        app.publish("identity", "evt-s-2", "identity.user_state_changed", &sam.name, &moved).await;
        let told = inbox(&app, &sam, 2).await;
        assert_eq!(told[0].template, "account_suspended", "newest first");
        let day = jiff::Timestamp::try_from(later).expect("a time").strftime("%Y-%m-%d").to_string();
        assert!(told[0].body.contains(&format!("suspended until {day}")), "{}", told[0].body);
    }

    async fn a_banned_account_hears_it_is_closed_and_a_reinstated_one_that_it_is_active_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ben = app.user("ben@example.com").await;
        use identity::user::State;
        let banned = state_changed(&ben, State::Active, State::Banned, "Fake listings.");
        app.publish("identity", "evt-b-1", "identity.user_state_changed", &ben.name, &banned).await;
        let told = inbox(&app, &ben, 1).await;
        assert_eq!(told[0].template, "account_banned");
        assert!(told[0].body.contains("Fake listings."), "{}", told[0].body);

        let reinstated = state_changed(&ben, State::Banned, State::Active, "");
        app.publish("identity", "evt-b-2", "identity.user_state_changed", &ben.name, &reinstated).await;
        let told = inbox(&app, &ben, 2).await;
        assert_eq!(told[0].template, "account_reinstated", "newest first");
        assert_eq!(told[0].title, "Your EstoSpaces account is active again");
    }

    async fn an_owner_hears_why_a_listing_was_rejected_but_not_about_an_automatic_hold(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.user("hana@example.com").await;
        use property::property::State;
        let held = listing_moderated(&host, State::PendingReview, "", "held by the automatic checks");
        app.publish("property", "evt-h-1", "property.moderated", "properties/p-1", &held).await;
        let rejected = listing_moderated(&host, State::Rejected, "users/mo", "Add photos of the bedrooms.");
        app.publish("property", "evt-r-1", "property.moderated", "properties/p-1", &rejected).await;
        let told = inbox(&app, &host, 1).await;
        assert_eq!(told.len(), 1, "the hold is not told: {told:?}");
        assert_eq!(told[0].template, "listing_rejected");
        assert_eq!(told[0].category, pb::Category::Account as i32);
        assert_eq!(told[0].title, "Loft by the sea needs changes before it goes live");
        assert!(told[0].body.contains("Add photos of the bedrooms."), "{}", told[0].body);
    }

    async fn an_owner_hears_a_listing_was_taken_down_and_why_then_that_it_was_approved(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.user("hana@example.com").await;
        use property::property::State;
        let taken_down = listing_moderated(&host, State::TakenDown, "users/mo", "Photos of another flat.");
        app.publish("property", "evt-t-1", "property.moderated", "properties/p-1", &taken_down).await;
        let told = inbox(&app, &host, 1).await;
        assert_eq!(told[0].template, "listing_taken_down");
        assert_eq!(told[0].title, "Loft by the sea was taken off the market");
        assert!(told[0].body.contains("Photos of another flat."), "{}", told[0].body);

        let approved = listing_moderated(&host, State::Published, "users/mo", "");
        app.publish("property", "evt-a-1", "property.moderated", "properties/p-1", &approved).await;
        let told = inbox(&app, &host, 2).await;
        assert_eq!(told[0].template, "listing_approved", "newest first");
        assert_eq!(told[0].title, "Loft by the sea is live");
        assert!(told[0].link.ends_with("/properties/p-1"), "{}", told[0].link);
    }
}
