//! Moderation: listings that wait for review before they go public (`listing_review`),
//! moderators' `ApproveProperty`, `RejectProperty` and `TakeDownProperty`, and listings held
//! by the automatic checks (`moderation.content_held`, consumed as
//! `property.moderation-events`).

use std::time::Duration;

use estospaces_auth::Role;
use estospaces_events::{Event, EventLog};
use estospaces_property::ListingReview;
use estospaces_proto::moderation_v1 as moderation;
use estospaces_proto::property_v1 as pb;
use pb::property::State;
use tonic::Code;

use crate::helpers::{
    Backend, TestApp, authorized, bad_fields, on_both_backends, publish, reason, short_stay,
    spawn_app, spawn_app_with,
};

const MISSING: &str = "properties/0190f5c6-0000-7000-8000-000000000000";

async fn with_review(backend: Backend, review: ListingReview) -> TestApp {
    spawn_app_with(backend, |config| config.service.listing_review = review).await
}

fn get(name: &str) -> pb::GetPropertyRequest {
    pb::GetPropertyRequest {
        name: name.to_owned(),
    }
}

fn publish_request(name: &str) -> pb::PublishPropertyRequest {
    pb::PublishPropertyRequest {
        name: name.to_owned(),
        etag: String::new(),
    }
}

/// Reads `name` as the holder of `token`.
async fn read(app: &TestApp, name: &str, token: &str) -> pb::Property {
    app.client
        .clone()
        .get_property(authorized(get(name), token))
        .await
        .expect("readable")
        .into_inner()
        .property
        .expect("a listing")
}

/// Creates a complete short stay as `token` and publishes it, answering as publishing did.
async fn create_and_publish(app: &mut TestApp, token: &str) -> pb::Property {
    let draft = app.create(short_stay(), token).await;
    app.client
        .publish_property(authorized(publish_request(&draft.name), token))
        .await
        .expect("a complete listing is published or sent for review")
        .into_inner()
        .property
        .expect("a listing")
}

async fn approve(
    app: &TestApp,
    name: &str,
    note: &str,
    token: &str,
) -> Result<pb::Property, tonic::Status> {
    app.client
        .clone()
        .approve_property(authorized(
            pb::ApprovePropertyRequest {
                name: name.to_owned(),
                reason: note.to_owned(),
            },
            token,
        ))
        .await
        .map(|response| response.into_inner().property.expect("a listing"))
}

async fn reject(
    app: &TestApp,
    name: &str,
    why: &str,
    token: &str,
) -> Result<pb::Property, tonic::Status> {
    app.client
        .clone()
        .reject_property(authorized(
            pb::RejectPropertyRequest {
                name: name.to_owned(),
                reason: why.to_owned(),
            },
            token,
        ))
        .await
        .map(|response| response.into_inner().property.expect("a listing"))
}

async fn take_down(
    app: &TestApp,
    name: &str,
    why: &str,
    token: &str,
) -> Result<pb::Property, tonic::Status> {
    app.client
        .clone()
        .take_down_property(authorized(
            pb::TakeDownPropertyRequest {
                name: name.to_owned(),
                reason: why.to_owned(),
            },
            token,
        ))
        .await
        .map(|response| response.into_inner().property.expect("a listing"))
}

/// What anonymous callers see of `name`: `None` when it is hidden (NOT_FOUND).
async fn anonymous_view(app: &TestApp, name: &str) -> Option<pb::Property> {
    match app.client.clone().get_property(get(name)).await {
        Ok(response) => response.into_inner().property,
        Err(status) => {
            assert_eq!(status.code(), Code::NotFound, "{status:?}");
            None
        }
    }
}

/// The names of the listings anonymous callers list.
async fn anonymous_list(app: &TestApp) -> Vec<String> {
    app.client
        .clone()
        .list_properties(pb::ListPropertiesRequest::default())
        .await
        .expect("public")
        .into_inner()
        .properties
        .into_iter()
        .map(|property| property.name)
        .collect()
}

/// The events recorded for listing `name`, in order.
async fn events_of(app: &TestApp, name: &str) -> Vec<Event> {
    let id = name.trim_start_matches("properties/");
    app.events()
        .await
        .into_iter()
        .filter(|event| event.aggregate_id() == id)
        .collect()
}

fn types(events: &[Event]) -> Vec<&str> {
    events.iter().map(Event::event_type).collect()
}

async fn event_log(app: &TestApp) -> EventLog {
    EventLog::open(&app.data_dir.path().join("events.db"))
        .await
        .expect("the app's event log")
}

/// Publishes `moderation.content_held` of `target` with event id `event_id`, as the moderation
/// service's relay would.
async fn content_held(log: &EventLog, event_id: &str, target: &str) {
    let held = moderation::ContentHeld {
        check: Some(moderation::ContentCheck {
            name: format!("contentChecks/{}", uuid::Uuid::now_v7()),
            target: target.to_owned(),
            content_kind: moderation::ContentKind::Listing as i32,
            score: 80,
            held: true,
            case: format!("cases/{}", uuid::Uuid::now_v7()),
            ..Default::default()
        }),
    };
    publish(
        log,
        "moderation",
        event_id,
        "moderation.content_held",
        target,
        &held,
    )
    .await;
}

/// Reads `name` as `token` until it is in `state`, or panics after 15 s.
async fn read_until_state(app: &TestApp, name: &str, token: &str, state: State) -> pb::Property {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let property = read(app, name, token).await;
        if property.state == state as i32 {
            return property;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {state:?}: {property:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_backends! {
    async fn with_review_for_new_hosts_a_new_hosts_listing_waits_hidden_until_a_moderator_approves_it(backend: Backend) {
        let mut app = with_review(backend, ListingReview::NewHosts).await;
        let host = app.token(&[Role::Host]);
        let moderator = app.token(&[Role::Moderator]);

        let pending = create_and_publish(&mut app, &host).await;
        assert_eq!(pending.state, State::PendingReview as i32);
        assert_eq!(anonymous_view(&app, &pending.name).await, None, "not public yet");
        assert!(anonymous_list(&app).await.is_empty());
        let status = app
            .client
            .list_properties(pb::ListPropertiesRequest { state: State::PendingReview as i32, ..Default::default() })
            .await
            .expect_err("not for everyone");
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(read(&app, &pending.name, &host).await.state, State::PendingReview as i32, "the owner sees it");

        let events = events_of(&app, &pending.name).await;
        assert_eq!(types(&events), ["property.review_requested"], "not listed: search never sees it");
        let requested: pb::PropertyReviewRequested = events[0].payload().expect("a PropertyReviewRequested");
        assert_eq!(requested.property.expect("a snapshot").state, State::PendingReview as i32);

        // Moderators find the queue of pending listings, everyone's, and read them.
        let queue = app
            .client
            .list_properties(authorized(
                pb::ListPropertiesRequest { state: State::PendingReview as i32, ..Default::default() },
                &moderator,
            ))
            .await
            .expect("moderators list every state")
            .into_inner()
            .properties;
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].name, pending.name);
        assert_eq!(read(&app, &pending.name, &moderator).await.name, pending.name);

        let approved = approve(&app, &pending.name, "", &moderator).await.expect("moderators approve");
        assert_eq!(approved.state, State::Published as i32);
        assert_eq!(approved.moderation_reason, "");
        assert_eq!(anonymous_view(&app, &pending.name).await.map(|p| p.name), Some(pending.name.clone()));
        assert_eq!(anonymous_list(&app).await, std::slice::from_ref(&pending.name));
        let events = events_of(&app, &pending.name).await;
        assert_eq!(types(&events), ["property.review_requested", "property.listed", "property.moderated"]);
        let moderated: pb::PropertyModerated = events[2].payload().expect("a PropertyModerated");
        assert_eq!(moderated.previous_state, State::PendingReview as i32);
        assert!(moderated.actor.starts_with("users/"), "{}", moderated.actor);
        assert_eq!(moderated.property.expect("a snapshot").state, State::Published as i32);

        // Approved once, the host is no longer new: the next listing goes live at once.
        let second = create_and_publish(&mut app, &host).await;
        assert_eq!(second.state, State::Published as i32);
        // Another new host still waits.
        let newcomer = app.token(&[Role::Host]);
        let third = create_and_publish(&mut app, &newcomer).await;
        assert_eq!(third.state, State::PendingReview as i32);
    }

    async fn a_rejected_listing_shows_its_owner_why_and_publishing_it_again_asks_for_another_review(backend: Backend) {
        let mut app = with_review(backend, ListingReview::All).await;
        let host = app.token(&[Role::Host]);
        let moderator = app.token(&[Role::Moderator]);
        let pending = create_and_publish(&mut app, &host).await;
        assert_eq!(pending.state, State::PendingReview as i32);

        for bad in [String::new(), "   ".to_owned(), "x".repeat(1_001)] {
            let status = reject(&app, &pending.name, &bad, &moderator).await.expect_err("a reason, 1 to 1000 characters");
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&status), ["reason"]);
        }
        let rejected = reject(&app, &pending.name, "The photos show another flat.", &moderator)
            .await
            .expect("moderators reject pending listings");
        assert_eq!(rejected.state, State::Rejected as i32);
        let seen = read(&app, &pending.name, &host).await;
        assert_eq!(seen.state, State::Rejected as i32);
        assert_eq!(seen.moderation_reason, "The photos show another flat.");
        assert_eq!(anonymous_view(&app, &pending.name).await, None);
        let status = reject(&app, &pending.name, "Again.", &moderator).await.expect_err("decided already");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "INVALID_STATE_TRANSITION");

        // The owner asks again; the reason goes with the rejection.
        let again = app
            .client
            .publish_property(authorized(publish_request(&pending.name), &host))
            .await
            .expect("a rejected listing may be sent again")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(again.state, State::PendingReview as i32);
        assert_eq!(again.moderation_reason, "");
        let events = events_of(&app, &pending.name).await;
        assert_eq!(
            types(&events),
            ["property.review_requested", "property.moderated", "property.review_requested"]
        );
        let moderated: pb::PropertyModerated = events[1].payload().expect("a PropertyModerated");
        assert_eq!(moderated.reason, "The photos show another flat.");
        assert_eq!(moderated.previous_state, State::PendingReview as i32);

        // An admin may decide too; approval clears the reason.
        let admin = app.token(&[Role::Admin]);
        let approved = approve(&app, &pending.name, "Photos replaced.", &admin).await.expect("admins approve");
        assert_eq!(approved.state, State::Published as i32);
        assert_eq!(approved.moderation_reason, "");
    }

    async fn taking_down_a_live_listing_unlists_it_and_only_a_moderator_brings_it_back(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let moderator = app.token(&[Role::Moderator]);
        let live = app.published_short_stay(&host).await;

        let down = take_down(&app, &live.name, "Payments asked for outside the platform.", &moderator)
            .await
            .expect("moderators take listings down");
        assert_eq!(down.state, State::TakenDown as i32);
        assert_eq!(down.moderation_reason, "Payments asked for outside the platform.");
        assert_eq!(anonymous_view(&app, &live.name).await, None);
        assert!(anonymous_list(&app).await.is_empty());
        assert_eq!(read(&app, &live.name, &host).await.moderation_reason, down.moderation_reason);
        let events = events_of(&app, &live.name).await;
        assert_eq!(types(&events), ["property.listed", "property.unlisted", "property.moderated"]);
        let unlisted: pb::PropertyUnlisted = events[1].payload().expect("a PropertyUnlisted");
        assert_eq!(unlisted.property.expect("a snapshot").state, State::TakenDown as i32, "search drops it");
        let moderated: pb::PropertyModerated = events[2].payload().expect("a PropertyModerated");
        assert_eq!(moderated.previous_state, State::Published as i32);
        assert_eq!(moderated.reason, "Payments asked for outside the platform.");

        let status = app
            .client
            .publish_property(authorized(publish_request(&live.name), &host))
            .await
            .expect_err("the owner cannot bring it back");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "LISTING_TAKEN_DOWN");
        let status = take_down(&app, &live.name, "Twice.", &moderator).await.expect_err("down already");
        assert_eq!(status.code(), Code::FailedPrecondition);

        let back = approve(&app, &live.name, "The host explained.", &moderator).await.expect("approval restores it");
        assert_eq!(back.state, State::Published as i32);
        assert_eq!(back.moderation_reason, "");
        assert!(anonymous_view(&app, &live.name).await.is_some());

        // A draft taken down was never public: nothing to unlist.
        let draft = app.create(short_stay(), &host).await;
        take_down(&app, &draft.name, "Offensive title.", &moderator).await.expect("any state but archived");
        assert_eq!(types(&events_of(&app, &draft.name).await), ["property.moderated"]);
        let archived = app.create(short_stay(), &host).await;
        app.client
            .archive_property(authorized(pb::ArchivePropertyRequest { name: archived.name.clone(), etag: String::new() }, &host))
            .await
            .expect("the owner archives");
        let status = take_down(&app, &archived.name, "Too late.", &moderator).await.expect_err("archived for good");
        assert_eq!(status.code(), Code::FailedPrecondition);
    }

    async fn guests_and_hosts_may_not_moderate_even_a_listing_that_does_not_exist(backend: Backend) {
        let mut app = with_review(backend, ListingReview::All).await;
        let owner = app.token(&[Role::Host]);
        let pending = create_and_publish(&mut app, &owner).await;
        let callers = [owner, app.token(&[Role::Guest]), app.token(&[Role::Host, Role::Agent])];

        for token in &callers {
            for name in [pending.name.as_str(), MISSING] {
                for status in [
                    approve(&app, name, "", token).await.expect_err("not a moderator"),
                    reject(&app, name, "No.", token).await.expect_err("not a moderator"),
                    take_down(&app, name, "No.", token).await.expect_err("not a moderator"),
                ] {
                    assert_eq!(status.code(), Code::PermissionDenied, "{name}: {status:?}");
                }
            }
        }
        let status = app
            .client
            .approve_property(pb::ApprovePropertyRequest { name: MISSING.to_owned(), reason: String::new() })
            .await
            .expect_err("anonymous");
        assert_eq!(status.code(), Code::Unauthenticated);

        let moderator = app.token(&[Role::Moderator]);
        let status = approve(&app, MISSING, "", &moderator).await.expect_err("missing");
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(read(&app, &pending.name, &moderator).await.state, State::PendingReview as i32, "untouched");
        // Moderators decide; they do not edit or publish others' listings.
        let status = app
            .client
            .pause_property(authorized(pb::PausePropertyRequest { name: pending.name.clone(), etag: String::new() }, &moderator))
            .await
            .expect_err("not the owner");
        assert_eq!(status.code(), Code::PermissionDenied);
    }

    async fn a_listing_the_automatic_checks_held_waits_for_review_and_a_replayed_hold_changes_nothing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let moderator = app.token(&[Role::Moderator]);
        let held = app.published_short_stay(&host).await;
        let other = app.published_short_stay(&host).await;
        let log = event_log(&app).await;

        let event_id = uuid::Uuid::now_v7().to_string();
        content_held(&log, &event_id, &held.name).await;
        let pending = read_until_state(&app, &held.name, &host, State::PendingReview).await;
        assert_ne!(pending.etag, held.etag, "a state change");
        assert_eq!(pending.moderation_reason, "");
        assert_eq!(anonymous_view(&app, &held.name).await, None);
        assert_eq!(anonymous_list(&app).await, std::slice::from_ref(&other.name));
        let events = events_of(&app, &held.name).await;
        assert_eq!(types(&events), ["property.listed", "property.unlisted", "property.moderated"]);
        let unlisted: pb::PropertyUnlisted = events[1].payload().expect("a PropertyUnlisted");
        assert_eq!(unlisted.property.expect("a snapshot").state, State::PendingReview as i32);
        let moderated: pb::PropertyModerated = events[2].payload().expect("a PropertyModerated");
        assert_eq!(moderated.actor, "", "the platform's own checks");
        assert_eq!(moderated.reason, "held by the automatic checks");
        assert_eq!(moderated.previous_state, State::Published as i32);

        // The same event again, another hold of the waiting listing and a review's hold change
        // nothing; a hold of the other listing after them shows they were processed.
        content_held(&log, &event_id, &held.name).await;
        content_held(&log, &uuid::Uuid::now_v7().to_string(), &held.name).await;
        content_held(&log, &uuid::Uuid::now_v7().to_string(), "reviews/0190f5c6-0000-7000-8000-00000000000f").await;
        content_held(&log, &uuid::Uuid::now_v7().to_string(), &other.name).await;
        read_until_state(&app, &other.name, &host, State::PendingReview).await;
        assert_eq!(read(&app, &held.name, &host).await.etag, pending.etag, "held once");
        assert_eq!(events_of(&app, &held.name).await.len(), 3);

        // The owner can neither publish nor pause it out of review.
        for status in [
            app.client.publish_property(authorized(publish_request(&held.name), &host)).await.expect_err("waiting"),
            app.client
                .pause_property(authorized(pb::PausePropertyRequest { name: held.name.clone(), etag: String::new() }, &host))
                .await
                .expect_err("waiting"),
        ] {
            assert_eq!(status.code(), Code::FailedPrecondition);
            assert_eq!(reason(&status), "INVALID_STATE_TRANSITION");
        }

        // Rejected, and published again: another review, though `listing_review` is off.
        reject(&app, &held.name, "Contact details in the description.", &moderator).await.expect("rejected");
        let again = app
            .client
            .publish_property(authorized(publish_request(&held.name), &host))
            .await
            .expect("sent again")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(again.state, State::PendingReview as i32);
        assert_eq!(events_of(&app, &held.name).await.last().map(Event::event_type), Some("property.review_requested"));
    }
}
