//! Reviews of stays and agents: who may write them, the double-blind, responses, votes,
//! reports, moderation and the rating summaries they make.

use std::time::{Duration, SystemTime};

use estospaces_auth::Role;
use estospaces_proto::review_v1 as pb;
use tonic::Code;

use crate::helpers::*;

/// A completed stay: its guest, host, listing and booking.
async fn completed_stay(app: &mut TestApp) -> (User, User, String, String) {
    let (host, listing) = app.listing().await;
    let guest = app.user();
    let booking = app.stay(&guest, &host, &listing, 2, true).await;
    (guest, host, listing, booking)
}

fn of_stay(booking: &str, rating: i32, text: &str) -> pb::Review {
    pb::Review {
        booking: booking.to_owned(),
        ..review(rating, text)
    }
}

/// `moderation.content_held` of `target`, as the moderation service's automatic checks send it.
fn content_held(target: &str) -> estospaces_proto::moderation_v1::ContentHeld {
    estospaces_proto::moderation_v1::ContentHeld {
        check: Some(estospaces_proto::moderation_v1::ContentCheck {
            name: "contentChecks/c-1".to_owned(),
            target: target.to_owned(),
            held: true,
            score: 70,
            ..Default::default()
        }),
    }
}

fn state(review: &pb::Review) -> pb::review::State {
    pb::review::State::try_from(review.state).expect("a known state")
}

on_both_backends! {
    async fn guest_and_host_reviews_stay_hidden_until_both_are_written_then_publish_together(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, listing, booking) = completed_stay(&mut app).await;
        let stranger = app.user();

        let guests = app
            .write(&guest, pb::Review {
                category_ratings: Some(pb::CategoryRatings {
                    cleanliness: 5,
                    location: 4,
                    ..Default::default()
                }),
                ..of_stay(&booking, 5, "Spotless, and the river view is real.")
            })
            .await
            .expect("the guest reviews the stay");
        assert_eq!(state(&guests), pb::review::State::Pending);
        assert_eq!(guests.kind, pb::review::Kind::Guest as i32);
        assert_eq!(guests.reviewee, host.name);
        assert_eq!(guests.listing, listing);
        assert!(guests.window_close_time.is_some());
        for reader in [Some(&host), Some(&stranger), None] {
            let refused = app.read(reader, &guests.name).await.expect_err("pending is private");
            assert_eq!(refused.code(), Code::PermissionDenied);
            assert_eq!(reason(&refused), "REVIEW_NOT_PUBLISHED");
        }
        assert_eq!(
            app.read(Some(&guest), &guests.name).await.expect("the author reads it").text,
            "Spotless, and the river view is real."
        );

        let hosts = app
            .write(&host, of_stay(&booking, 4, "A tidy, quiet guest."))
            .await
            .expect("the host reviews the guest");
        assert_eq!(state(&hosts), pb::review::State::Published);
        assert_eq!(hosts.reviewee, guest.name);
        let guests = app.read(Some(&stranger), &guests.name).await.expect("published now");
        assert_eq!(state(&guests), pb::review::State::Published);
        assert!(guests.publish_time.is_some());

        let of_listing = app.summary(&format!("{listing}/ratingSummary")).await;
        assert_eq!(of_listing.review_count, 1);
        assert!((of_listing.average_rating - 5.0).abs() < 1e-9);
        assert!((of_listing.score - (5.0 * 3.5 + 5.0) / 6.0).abs() < 1e-9);
        let categories = of_listing.category_averages.expect("category averages");
        assert!((categories.cleanliness - 5.0).abs() < 1e-9);
        assert!((categories.location - 4.0).abs() < 1e-9);
        assert!(categories.value.abs() < 1e-9, "nobody rated value");
        let of_guest = app.summary(&format!("{}/ratingSummary", guest.name)).await;
        assert_eq!((of_guest.review_count, of_guest.guest_review_count), (0, 1));
        let of_host = app.summary(&format!("{}/ratingSummary", host.name)).await;
        assert_eq!(of_host.review_count, 1);

        let events = app.outbox_event_types().await;
        assert_eq!(events.iter().filter(|e| *e == "review.published").count(), 2, "{events:?}");
        assert!(events.contains(&"review.rating_changed".to_owned()), "{events:?}");
    }

    async fn a_lone_review_is_published_when_the_window_closes(backend: Backend) {
        // Checked out at midnight yesterday; the window closes eight seconds from now, time
        // enough to start the services and write one side.
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970");
        let yesterday = (now.as_secs() / 86_400 - 1) * 86_400;
        let window = now - Duration::from_secs(yesterday) + Duration::from_secs(8);
        let mut app = spawn_app_with(backend, false, |settings| settings.review_window = window).await;
        let (host, listing) = app.listing().await;
        let guest = app.user();
        let booking = app.stay(&guest, &host, &listing, 1, true).await;
        let written = app
            .write(&guest, of_stay(&booking, 3, "Fine, but noisy at night."))
            .await
            .expect("the guest reviews in time");
        assert_eq!(state(&written), pb::review::State::Pending);
        let stranger = app.user();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match app.read(Some(&stranger), &written.name).await {
                Ok(review) => {
                    assert_eq!(state(&review), pb::review::State::Published);
                    break;
                }
                Err(status) => assert_eq!(reason(&status), "REVIEW_NOT_PUBLISHED"),
            }
            assert!(tokio::time::Instant::now() < deadline, "never released");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let late = app
            .write(&host, of_stay(&booking, 4, "Too late."))
            .await
            .expect_err("the window is closed");
        assert_eq!(late.code(), Code::FailedPrecondition);
        assert_eq!(reason(&late), "REVIEW_WINDOW_CLOSED");
        assert_eq!(app.summary(&format!("{listing}/ratingSummary")).await.review_count, 1);
    }

    async fn a_review_before_check_out_is_refused(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let guest = app.user();
        let booking = app.stay(&guest, &host, &listing, -2, false).await;
        let refused = app
            .write(&guest, of_stay(&booking, 5, "Can't wait!"))
            .await
            .expect_err("the stay is not over");
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "STAY_NOT_COMPLETED");
    }

    async fn a_review_long_after_check_out_is_refused(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let guest = app.user();
        let booking = app.stay(&guest, &host, &listing, 15, true).await;
        let refused = app
            .write(&guest, of_stay(&booking, 5, "Lovely."))
            .await
            .expect_err("fourteen days have passed");
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "REVIEW_WINDOW_CLOSED");
    }

    async fn a_second_review_of_the_same_stay_is_refused_but_a_retry_returns_the_first(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, _host, _listing, booking) = completed_stay(&mut app).await;
        let request = pb::CreateReviewRequest {
            review: Some(of_stay(&booking, 4, "Good.")),
            request_id: "guest-review-1".to_owned(),
        };
        let first = app
            .reviews
            .create_review(authorized(request.clone(), &guest.token))
            .await
            .expect("the first review")
            .into_inner()
            .review
            .expect("a review");
        let retried = app
            .reviews
            .create_review(authorized(request, &guest.token))
            .await
            .expect("a retry with the same request id")
            .into_inner()
            .review
            .expect("a review");
        assert_eq!(retried.name, first.name);
        let second = app
            .write(&guest, of_stay(&booking, 1, "Changed my mind."))
            .await
            .expect_err("one review per stay and side");
        assert_eq!(second.code(), Code::AlreadyExists);
        assert_eq!(reason(&second), "REVIEW_EXISTS");
    }

    async fn someone_who_did_not_stay_cannot_review_it_nor_learn_it_exists(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_guest, _host, _listing, booking) = completed_stay(&mut app).await;
        let stranger = app.user();
        let unknown = format!("bookings/{}", uuid::Uuid::now_v7());
        for booking in [&booking, &unknown] {
            let refused = app
                .write(&stranger, of_stay(booking, 1, "Never been there."))
                .await
                .expect_err("not their stay");
            assert_eq!(refused.code(), Code::PermissionDenied);
            assert_eq!(reason(&refused), "NOT_YOUR_STAY");
        }
    }

    async fn guest_and_host_writing_at_once_are_both_published(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, _listing, booking) = completed_stay(&mut app).await;
        let (mut a, mut b) = (app.reviews.clone(), app.reviews.clone());
        let (guests, hosts) = tokio::join!(
            a.create_review(authorized(
                pb::CreateReviewRequest { review: Some(of_stay(&booking, 5, "Great.")), request_id: String::new() },
                &guest.token,
            )),
            b.create_review(authorized(
                pb::CreateReviewRequest { review: Some(of_stay(&booking, 5, "Great guest.")), request_id: String::new() },
                &host.token,
            )),
        );
        let names = [guests, hosts].map(|written| {
            written.expect("both are written").into_inner().review.expect("a review").name
        });
        let stranger = app.user();
        for name in names {
            let review = app.read(Some(&stranger), &name).await.expect("both published");
            assert_eq!(state(&review), pb::review::State::Published);
        }
    }

    async fn bad_reviews_name_every_bad_field(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, _listing, booking) = completed_stay(&mut app).await;
        let refused = app
            .write(&guest, pb::Review {
                category_ratings: Some(pb::CategoryRatings { value: 9, ..Default::default() }),
                ..of_stay(&booking, 6, "  ")
            })
            .await
            .expect_err("nothing here is right");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(
            bad_fields(&refused),
            ["review.rating", "review.category_ratings.value", "review.text"]
        );
        let refused = app
            .write(&host, pb::Review {
                category_ratings: Some(pb::CategoryRatings { cleanliness: 5, ..Default::default() }),
                ..of_stay(&booking, 4, "Nice guest.")
            })
            .await
            .expect_err("hosts do not rate categories");
        assert_eq!(bad_fields(&refused), ["review.category_ratings"]);
        let refused = app
            .write(&guest, pb::Review { listing: "properties/x".to_owned(), ..of_stay(&booking, 4, "Both.") })
            .await
            .expect_err("a stay or a listing, not both");
        assert_eq!(bad_fields(&refused), ["review.booking", "review.listing"]);
        let too_long = "a".repeat(2_001);
        let refused = app.write(&guest, of_stay(&booking, 4, &too_long)).await.expect_err("too long");
        assert_eq!(bad_fields(&refused), ["review.text"]);
        assert!(app.outbox_event_types().await.is_empty(), "nothing was written");
    }

    async fn a_pending_review_is_edited_by_its_author_only_and_not_after_publishing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, _listing, booking) = completed_stay(&mut app).await;
        let written = app.write(&guest, of_stay(&booking, 3, "Okay.")).await.expect("written");
        let edit = |review: &pb::Review, token: &str| {
            authorized(
                pb::UpdateReviewRequest {
                    review: Some(pb::Review { text: "Better than okay.".to_owned(), ..review.clone() }),
                    update_mask: Some(prost_types::FieldMask { paths: vec!["text".to_owned()] }),
                },
                token,
            )
        };
        let refused = app.reviews.update_review(edit(&written, &host.token)).await.expect_err("not theirs");
        assert_eq!(refused.code(), Code::PermissionDenied);
        let edited = app
            .reviews
            .update_review(edit(&written, &guest.token))
            .await
            .expect("the author edits a pending review")
            .into_inner()
            .review
            .expect("a review");
        assert_eq!((edited.text.as_str(), edited.rating), ("Better than okay.", 3));
        app.write(&host, of_stay(&booking, 5, "Lovely guest.")).await.expect("both written");
        let refused = app.reviews.update_review(edit(&written, &guest.token)).await.expect_err("published");
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "REVIEW_PUBLISHED");
    }

    async fn the_reviewee_responds_once_and_nobody_else_does(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, _listing, booking) = completed_stay(&mut app).await;
        let guests = app.write(&guest, of_stay(&booking, 2, "Cold water only.")).await.expect("written");
        app.write(&host, of_stay(&booking, 4, "Fine guest.")).await.expect("written");
        let respond = |token: &str, text: &str| {
            authorized(
                pb::RespondToReviewRequest { name: guests.name.clone(), text: text.to_owned() },
                token,
            )
        };
        let refused = app.reviews.respond_to_review(respond(&guest.token, "Me again")).await.expect_err("the author");
        assert_eq!(refused.code(), Code::PermissionDenied);
        let responded = app
            .reviews
            .respond_to_review(respond(&host.token, "The boiler is fixed now."))
            .await
            .expect("the host responds")
            .into_inner()
            .review
            .expect("a review");
        assert_eq!(responded.response.expect("a response").text, "The boiler is fixed now.");
        let again = app.reviews.respond_to_review(respond(&host.token, "And again")).await.expect_err("once");
        assert_eq!(again.code(), Code::AlreadyExists);
        assert_eq!(reason(&again), "RESPONSE_EXISTS");
        assert!(app.outbox_event_types().await.contains(&"review.responded".to_owned()));
    }

    async fn helpful_votes_count_once_per_user_and_never_the_authors_own(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, _listing, booking) = completed_stay(&mut app).await;
        let guests = app.write(&guest, of_stay(&booking, 5, "Great.")).await.expect("written");
        app.write(&host, of_stay(&booking, 5, "Great guest.")).await.expect("written");
        let vote = |token: &str, helpful: bool| {
            authorized(pb::VoteReviewRequest { name: guests.name.clone(), helpful }, token)
        };
        let own = app.reviews.vote_review(vote(&guest.token, true)).await.expect_err("own review");
        assert_eq!(own.code(), Code::PermissionDenied);
        assert_eq!(reason(&own), "OWN_REVIEW");
        let reader = app.user();
        for _ in 0..2 {
            let voted = app.reviews.vote_review(vote(&reader.token, true)).await.expect("a vote");
            let voted = voted.into_inner().review.expect("a review");
            assert_eq!((voted.helpful_count, voted.voted_helpful), (1, true));
        }
        let seen = app.read(Some(&reader), &guests.name).await.expect("published");
        assert!(seen.voted_helpful);
        let unvoted = app.reviews.vote_review(vote(&reader.token, false)).await.expect("taken back");
        assert_eq!(unvoted.into_inner().review.expect("a review").helpful_count, 0);
    }

    async fn hidden_reviews_leave_the_ratings_and_only_admins_and_moderators_hide_them(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, listing, booking) = completed_stay(&mut app).await;
        let guests = app.write(&guest, of_stay(&booking, 1, "Call me on +351 910 000 000")).await.expect("written");
        app.write(&host, of_stay(&booking, 5, "Great guest.")).await.expect("written");
        let reader = app.user();
        let report = |token: &str| {
            authorized(
                pb::ReportReviewRequest {
                    name: guests.name.clone(),
                    reason: pb::report_review_request::Reason::PrivateInformation as i32,
                    details: "a phone number".to_owned(),
                },
                token,
            )
        };
        let own = app.reviews.report_review(report(&guest.token)).await.expect_err("own review");
        assert_eq!(reason(&own), "OWN_REVIEW");
        app.reviews.report_review(report(&reader.token)).await.expect("reported");
        app.reviews.report_review(report(&reader.token)).await.expect("reported again");
        let events = app.outbox_event_types().await;
        assert_eq!(events.iter().filter(|e| *e == "review.reported").count(), 1, "{events:?}");

        let hide = |token: &str| {
            authorized(pb::HideReviewRequest { name: guests.name.clone(), reason: "phone number".to_owned() }, token)
        };
        for user in [&reader, &host, &guest] {
            let refused = app.reviews.hide_review(hide(&user.token)).await.expect_err("not an admin");
            assert_eq!(refused.code(), Code::PermissionDenied);
        }
        let admin = app.admin();
        let hidden = app.reviews.hide_review(hide(&admin.token)).await.expect("hidden");
        assert_eq!(state(&hidden.into_inner().review.expect("a review")), pb::review::State::Hidden);
        let refused = app.read(Some(&reader), &guests.name).await.expect_err("hidden");
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(reason(&refused), "REVIEW_HIDDEN");
        app.read(Some(&guest), &guests.name).await.expect("the author still reads it");
        app.read(Some(&admin), &guests.name).await.expect("admins read it");
        assert_eq!(app.summary(&format!("{listing}/ratingSummary")).await.review_count, 0);

        app.reviews
            .restore_review(authorized(pb::RestoreReviewRequest { name: guests.name.clone() }, &admin.token))
            .await
            .expect("restored");
        assert_eq!(app.summary(&format!("{listing}/ratingSummary")).await.review_count, 1);

        // Moderators too, and they read what they hid.
        let moderator = app.user_with(&[Role::Guest, Role::Moderator]);
        app.reviews.hide_review(hide(&moderator.token)).await.expect("a moderator hides");
        app.read(Some(&moderator), &guests.name).await.expect("moderators read it");
        app.reviews
            .restore_review(authorized(pb::RestoreReviewRequest { name: guests.name.clone() }, &moderator.token))
            .await
            .expect("a moderator restores");
    }

    async fn a_review_the_automatic_checks_hold_is_hidden_once_however_often_the_event_comes(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, listing, booking) = completed_stay(&mut app).await;
        let guests = app.write(&guest, of_stay(&booking, 1, "Pay me at www.example.com")).await.expect("written");
        app.write(&host, of_stay(&booking, 5, "Great guest.")).await.expect("written");
        let held = content_held(&guests.name);
        for _ in 0..2 {
            app.publish_event("moderation", "moderation.content_held", &guests.name, &held).await;
        }
        app.wait_until(|| async { app.moderation_events_handled().await == 2 }).await;

        let reader = app.user();
        let refused = app.read(Some(&reader), &guests.name).await.expect_err("held");
        assert_eq!(reason(&refused), "REVIEW_HIDDEN");
        app.read(Some(&guest), &guests.name).await.expect("the author still reads it");
        assert_eq!(app.summary(&format!("{listing}/ratingSummary")).await.review_count, 0);
        let moderations = app.moderations().await;
        assert_eq!(moderations.len(), 1, "hidden once: {moderations:?}");
        let (event_type, hidden) = &moderations[0];
        assert_eq!(event_type, "review.hidden");
        assert_eq!(hidden.moderator, "", "nobody: the automatic checks");
        assert_eq!(hidden.reason, estospaces_review::held::HELD_REASON);

        // A moderator removing it confirms the hold with their reason; once is enough.
        let moderator = app.user_with(&[Role::Guest, Role::Moderator]);
        let remove = || {
            authorized(
                pb::HideReviewRequest { name: guests.name.clone(), reason: "Asks to pay outside the platform.".to_owned() },
                &moderator.token,
            )
        };
        app.reviews.hide_review(remove()).await.expect("a moderator confirms the hold");
        let again = app.reviews.hide_review(remove()).await.expect_err("hidden already");
        assert_eq!(reason(&again), "REVIEW_HIDDEN");
        let moderations = app.moderations().await;
        assert_eq!(moderations.len(), 2, "{moderations:?}");
        assert_eq!(moderations[1].1.moderator, moderator.name);
        assert_eq!(moderations[1].1.reason, "Asks to pay outside the platform.");
        app.read(Some(&reader), &guests.name).await.expect_err("still hidden");
    }

    async fn a_review_a_moderator_hid_keeps_the_moderators_reason_when_the_checks_hold_it_too(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, _listing, booking) = completed_stay(&mut app).await;
        let guests = app.write(&guest, of_stay(&booking, 1, "Call me on +351 910 000 000")).await.expect("written");
        app.write(&host, of_stay(&booking, 5, "Great guest.")).await.expect("written");
        let moderator = app.user_with(&[Role::Guest, Role::Moderator]);
        app.reviews
            .hide_review(authorized(
                pb::HideReviewRequest { name: guests.name.clone(), reason: "phone number".to_owned() },
                &moderator.token,
            ))
            .await
            .expect("hidden");

        app.publish_event("moderation", "moderation.content_held", &guests.name, &content_held(&guests.name)).await;
        app.wait_until(|| async { app.moderation_events_handled().await == 1 }).await;
        let moderations = app.moderations().await;
        assert_eq!(moderations.len(), 1, "the hold changes nothing: {moderations:?}");
        assert_eq!(moderations[0].1.reason, "phone number");
        let reader = app.user();
        let refused = app.read(Some(&reader), &guests.name).await.expect_err("still hidden");
        assert_eq!(reason(&refused), "REVIEW_HIDDEN");

        // Neither do holds of other content (listings) or of reviews never heard of.
        for target in ["properties/0190a000-0000-7000-8000-000000000001", "reviews/0190a000-0000-7000-8000-000000000002"] {
            app.publish_event("moderation", "moderation.content_held", target, &content_held(target)).await;
        }
        app.wait_until(|| async { app.moderation_events_handled().await == 3 }).await;
        assert_eq!(app.moderations().await.len(), 1);
    }

    async fn buyers_review_the_agent_they_asked_and_nobody_else_can(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (agent, listing) = app.publish(for_sale(), Role::Agent).await;
        let buyer = app.user();
        app.inquiry(&buyer, &agent, &listing).await;
        let about = pb::Review { listing: listing.clone(), ..review(4, "Answered fast, knew the building.") };
        let stranger = app.user();
        let refused = app.write(&stranger, about.clone()).await.expect_err("never asked");
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(reason(&refused), "NO_CONTACT");
        let written = app.write(&buyer, about.clone()).await.expect("the buyer reviews the agent");
        assert_eq!(state(&written), pb::review::State::Published);
        assert_eq!(written.kind, pb::review::Kind::Agent as i32);
        assert_eq!(written.reviewee, agent.name);
        let again = app.write(&buyer, about).await.expect_err("one per agent");
        assert_eq!(reason(&again), "REVIEW_EXISTS");
        let summary = app.summary(&format!("{}/ratingSummary", agent.name)).await;
        assert_eq!(summary.review_count, 1);
        assert!((summary.average_rating - 4.0).abs() < 1e-9);
    }

    async fn lists_show_published_reviews_to_all_and_authored_ones_to_their_author(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let mut names = Vec::new();
        for rating in [3, 4, 5] {
            let guest = app.user();
            let booking = app.stay(&guest, &host, &listing, 1, true).await;
            names.push(app.write(&guest, of_stay(&booking, rating, "Nice.")).await.expect("written").name);
            app.write(&host, of_stay(&booking, 5, "Welcome back.")).await.expect("written");
        }
        let mut seen = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = app
                .reviews
                .list_reviews(pb::ListReviewsRequest {
                    parent: listing.clone(),
                    page_size: 2,
                    page_token: page_token.clone(),
                    authored: false,
                })
                .await
                .expect("public")
                .into_inner();
            seen.extend(page.reviews.into_iter().map(|review| review.name));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        names.reverse();
        assert_eq!(seen, names, "newest first, each once");

        let about_host = app
            .reviews
            .list_reviews(pb::ListReviewsRequest { parent: host.name.clone(), ..Default::default() })
            .await
            .expect("public")
            .into_inner();
        assert_eq!(about_host.reviews.len(), 3);
        let stranger = app.user();
        let refused = app
            .reviews
            .list_reviews(authorized(
                pb::ListReviewsRequest { parent: host.name.clone(), authored: true, ..Default::default() },
                &stranger.token,
            ))
            .await
            .expect_err("another user's authored reviews");
        assert_eq!(refused.code(), Code::PermissionDenied);
        let own = app
            .reviews
            .list_reviews(authorized(
                pb::ListReviewsRequest { parent: host.name.clone(), authored: true, ..Default::default() },
                &host.token,
            ))
            .await
            .expect("the host's own")
            .into_inner();
        assert_eq!(own.reviews.len(), 3);
    }
}
