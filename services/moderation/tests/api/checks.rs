//! The automatic checks on new listings, pre-publication review, and rules as data.

use std::time::Duration;

use estospaces_proto::moderation_v1 as pb;
use estospaces_proto::property_v1::property::State;
use tonic::Code;

use crate::helpers::*;

/// Links (30) and contact details (40) among the default rules: held at 50.
const SHADY: &str = "Book direct at www.example.com or write to host@example.com to save.";

on_both_backends! {
    async fn a_listing_with_links_and_contact_details_is_held_and_a_dismissal_publishes_it_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.publish(short_stay(SHADY)).await;
        assert_eq!(listing.state, State::Published as i32, "published first, checked after");

        let case = app.case_about(&listing.name).await;
        assert_eq!(case.origin, pb::case::Origin::AutomaticCheck as i32);
        assert_eq!(case.score, 70);
        assert_eq!(case.fired_rules.len(), 2, "{case:?}");
        assert_eq!(case.subject, host.name);
        let mut held = app.listing(&host, &listing.name).await;
        for _ in 0..200 {
            if held.state == State::PendingReview as i32 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            held = app.listing(&host, &listing.name).await;
        }
        assert_eq!(held.state, State::PendingReview as i32, "property holds it");
        let anonymous = app
            .properties
            .get_property(estospaces_proto::property_v1::GetPropertyRequest {
                name: listing.name.clone(),
            })
            .await
            .expect_err("a held listing is not public");
        assert_eq!(anonymous.code(), Code::NotFound);

        let checks = app
            .moderation
            .list_content_checks(authorized(
                pb::ListContentChecksRequest { target: listing.name.clone(), ..Default::default() },
                &app.moderator().token,
            ))
            .await
            .expect("the checks")
            .into_inner()
            .content_checks;
        assert_eq!(checks.len(), 1);
        assert!(checks[0].held);
        assert_eq!(checks[0].case, case.name);

        app.decide(&app.moderator(), &case.name, pb::Decision::Dismiss, "The link is the host's own site.")
            .await
            .expect("dismissed");
        let released = app.listing(&host, &listing.name).await;
        assert_eq!(released.state, State::Published as i32);
        // The same text published again is not checked again.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cases = app.cases_about(&app.moderator(), &listing.name).await;
        assert_eq!(cases.len(), 1, "no second case: {cases:?}");
    }

    async fn a_reported_listing_the_checks_then_hold_comes_back_when_the_case_is_dismissed(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.publish(short_stay("Two rooms and a balcony.")).await;
        let reporter = app.user();
        let made = app
            .moderation
            .create_report(authorized(report(&listing.name, pb::ReportReason::Spam), &reporter.token))
            .await
            .expect("reported")
            .into_inner()
            .report
            .expect("a report");
        // The host then adds a way around the platform: the hold joins the report's case.
        let mut changed = app.listing(&host, &listing.name).await;
        changed.description = SHADY.to_owned();
        app.properties
            .update_property(authorized(
                estospaces_proto::property_v1::UpdatePropertyRequest {
                    property: Some(changed),
                    update_mask: Some(prost_types::FieldMask { paths: vec!["description".to_owned()] }),
                },
                &host.token,
            ))
            .await
            .expect("updated");
        let mut held = app.listing(&host, &listing.name).await;
        for _ in 0..200 {
            if held.state == State::PendingReview as i32 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            held = app.listing(&host, &listing.name).await;
        }
        assert_eq!(held.state, State::PendingReview as i32, "held");
        let case = app.case_about(&listing.name).await;
        assert_eq!(case.name, made.case, "the hold joined the open case");
        assert_eq!(case.origin, pb::case::Origin::Report as i32);
        assert_eq!(case.score, 70);

        app.decide(&app.moderator(), &case.name, pb::Decision::Dismiss, "The site is the host's own.")
            .await
            .expect("dismissed");
        assert_eq!(app.listing(&host, &listing.name).await.state, State::Published as i32);
    }

    async fn a_clean_listing_is_scored_and_published(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, listing) = app.publish(short_stay("Two rooms, a balcony and the river below.")).await;
        let moderator = app.moderator();
        let mut checks = Vec::new();
        for _ in 0..200 {
            checks = app
                .moderation
                .list_content_checks(authorized(
                    pb::ListContentChecksRequest { target: listing.name.clone(), ..Default::default() },
                    &moderator.token,
                ))
                .await
                .expect("the checks")
                .into_inner()
                .content_checks;
            if !checks.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(checks.len(), 1, "every new listing is checked");
        assert_eq!(checks[0].score, 0);
        assert!(!checks[0].held);
        assert!(app.cases_about(&moderator, &listing.name).await.is_empty());
    }

    async fn admins_add_rules_that_the_next_check_applies_and_moderators_cannot(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let rule = pb::Rule {
            display_name: "Crypto deposits".to_owned(),
            kind: pb::rule::Kind::BannedWords as i32,
            weight: 60,
            words: vec!["Bitcoin".to_owned(), "crypto wallet".to_owned()],
            enabled: true,
            ..Default::default()
        };
        let denied = app
            .moderation
            .create_rule(authorized(pb::CreateRuleRequest { rule: Some(rule.clone()) }, &app.moderator().token))
            .await
            .expect_err("moderators do not edit rules");
        assert_eq!(denied.code(), Code::PermissionDenied);
        let admin = app.admin();
        let created = app
            .moderation
            .create_rule(authorized(pb::CreateRuleRequest { rule: Some(rule) }, &admin.token))
            .await
            .expect("an admin adds a rule")
            .into_inner()
            .rule
            .expect("a rule");
        assert_eq!(created.words, ["bitcoin", "crypto wallet"]);

        let (_, listing) = app.publish(short_stay("Deposit in Bitcoin, please.")).await;
        let case = app.case_about(&listing.name).await;
        assert_eq!(case.fired_rules, std::slice::from_ref(&created.name));

        let disabled = app
            .moderation
            .update_rule(authorized(
                pb::UpdateRuleRequest {
                    rule: Some(pb::Rule { name: created.name.clone(), enabled: false, ..Default::default() }),
                    update_mask: Some(prost_types::FieldMask { paths: vec!["enabled".to_owned()] }),
                },
                &admin.token,
            ))
            .await
            .expect("an admin switches it off")
            .into_inner()
            .rule
            .expect("a rule");
        assert!(!disabled.enabled);
        assert_eq!(disabled.words, ["bitcoin", "crypto wallet"], "the rest is kept");

        for (bad, field) in [
            (pb::Rule { display_name: "x".to_owned(), kind: pb::rule::Kind::Links as i32, weight: 0, ..Default::default() }, "rule.weight"),
            (pb::Rule { display_name: "x".to_owned(), kind: pb::rule::Kind::BannedWords as i32, weight: 5, ..Default::default() }, "rule.words"),
            (pb::Rule { display_name: "x".to_owned(), kind: pb::rule::Kind::Velocity as i32, weight: 5, limit: 3, ..Default::default() }, "rule.window"),
            (pb::Rule { display_name: String::new(), kind: pb::rule::Kind::Links as i32, weight: 5, ..Default::default() }, "rule.display_name"),
        ] {
            let refused = app
                .moderation
                .create_rule(authorized(pb::CreateRuleRequest { rule: Some(bad) }, &admin.token))
                .await
                .expect_err("a bad rule");
            assert_eq!(bad_fields(&refused), [field]);
        }
    }
}

on_both_backends! {
    async fn a_listing_sent_for_review_waits_in_the_queue_and_removing_it_rejects_it_with_the_reason(backend: Backend) {
        let mut app = spawn_app_with(backend, false, "all").await;
        let (host, listing) = app.publish(short_stay("Two rooms and a balcony.")).await;
        assert_eq!(listing.state, State::PendingReview as i32);
        let case = app.case_about(&listing.name).await;
        assert_eq!(case.origin, pb::case::Origin::ListingReview as i32);
        assert_eq!(case.priority, 30);

        app.decide(&app.moderator(), &case.name, pb::Decision::RemoveContent, "Add photos of the bedrooms.")
            .await
            .expect("rejected");
        let rejected = app.listing(&host, &listing.name).await;
        assert_eq!(rejected.state, State::Rejected as i32);
        assert_eq!(rejected.moderation_reason, "Add photos of the bedrooms.");
    }
}
