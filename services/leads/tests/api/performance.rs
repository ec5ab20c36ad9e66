//! An agent's and an agency's figures, public on their profile and page, with how clients
//! rate them (the review service's `review.rating_changed` of users).

use estospaces_proto::leads_v1 as pb;
use estospaces_proto::profile_v1 as profile;
use estospaces_proto::review_v1 as review;
use pb::lead::{LostReason, Stage};
use tonic::Code;

use crate::helpers::*;

/// Publishes `review.rating_changed` for the summary `name` (`users/{user}/ratingSummary` or
/// `properties/{property}/ratingSummary`), keyed by its owner as the review service does.
async fn rating_changed(app: &TestApp, name: &str, review_count: i32, average_rating: f64) {
    let key = name.trim_end_matches("/ratingSummary");
    app.publish_event(
        "review",
        "review.rating_changed",
        key,
        &review::RatingChanged {
            rating_summary: Some(review::RatingSummary {
                name: name.to_owned(),
                review_count,
                average_rating,
                score: average_rating,
                ..Default::default()
            }),
        },
    )
    .await;
}

/// Waits until the leads service has handled `count` of review's events.
async fn review_events_handled(app: &TestApp, count: usize) {
    app.wait_until(|| async { app.events_handled("leads.review-events").await == count })
        .await;
}

async fn agent_performance(app: &TestApp, agent: &User) -> pb::AgentPerformance {
    app.leads
        .clone()
        .get_agent_performance(pb::GetAgentPerformanceRequest {
            name: format!("{}/leadPerformance", agent.name),
        })
        .await
        .expect("public")
        .into_inner()
        .agent_performance
        .expect("figures")
}

async fn agency_performance(
    app: &TestApp,
    name: &str,
) -> Result<pb::AgencyPerformance, tonic::Status> {
    app.leads
        .clone()
        .get_agency_performance(pb::GetAgencyPerformanceRequest {
            name: name.to_owned(),
        })
        .await
        .map(|response| response.into_inner().agency_performance.expect("figures"))
}

on_both_backends! {
    async fn an_agents_performance_counts_leads_deals_and_viewings(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let (won, lost, viewing) = (app.user(), app.user(), app.user());
        let won_lead = app.ask(&won, &listing).await;
        let lost_lead = app.ask(&lost, &listing).await;
        let viewing_lead = app.ask(&viewing, &listing).await;
        app.change_stage(&agent, &won_lead, Stage::Won).await.expect("won");
        app.leads
            .clone()
            .change_lead_stage(authorized(
                pb::ChangeLeadStageRequest {
                    name: lost_lead,
                    stage: Stage::Lost as i32,
                    lost_reason: LostReason::Budget as i32,
                    ..Default::default()
                },
                &agent.token,
            ))
            .await
            .expect("lost");
        let only = app.publish_slot(&agent, &agent, slot(48, 60)).await.expect("published");
        app.book(&viewing, &viewing_lead, &only.name).await.expect("booked by the person who asked");
        // Another agent's leads are not this one's.
        let (_, elsewhere) = app.sale_listing().await;
        app.ask(&app.user(), &elsewhere).await;

        let figures = app
            .leads
            .clone()
            .get_agent_performance(pb::GetAgentPerformanceRequest {
                name: format!("{}/leadPerformance", agent.name),
            })
            .await
            .expect("public")
            .into_inner()
            .agent_performance
            .expect("figures");

        assert_eq!(figures.name, format!("{}/leadPerformance", agent.name));
        assert_eq!(figures.leads, 3);
        assert_eq!(figures.open_leads, 1);
        assert_eq!(figures.won_leads, 1);
        assert_eq!(figures.lost_leads, 1);
        assert_eq!(figures.viewings, 1);
        // The agent answered two; the third booked its own viewing, which is no answer.
        assert_eq!(figures.responded_leads, 2);
        assert!(figures.median_response_seconds >= 0);
    }

    async fn an_agents_performance_shows_how_clients_rate_them(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, _) = app.sale_listing().await;
        let unrated = agent_performance(&app, &agent).await;

        rating_changed(&app, &format!("{}/ratingSummary", agent.name), 4, 4.5).await;
        review_events_handled(&app, 1).await;

        let rated = agent_performance(&app, &agent).await;
        assert_eq!((unrated.rating_count, unrated.average_rating), (0, 0.0));
        assert_eq!(rated.rating_count, 4);
        assert_eq!(rated.average_rating, 4.5);
    }

    async fn a_later_rating_summary_replaces_the_one_before(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, _) = app.sale_listing().await;
        let summary = format!("{}/ratingSummary", agent.name);

        rating_changed(&app, &summary, 4, 4.5).await;
        rating_changed(&app, &summary, 5, 4.2).await;
        review_events_handled(&app, 2).await;

        let figures = agent_performance(&app, &agent).await;
        assert_eq!(figures.rating_count, 5);
        assert_eq!(figures.average_rating, 4.2);
    }

    async fn a_listings_rating_summary_changes_no_agents_rating(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        rating_changed(&app, &format!("{}/ratingSummary", agent.name), 2, 5.0).await;

        rating_changed(&app, &format!("{listing}/ratingSummary"), 100, 1.0).await;
        review_events_handled(&app, 2).await;

        let figures = agent_performance(&app, &agent).await;
        assert_eq!(figures.rating_count, 2);
        assert_eq!(figures.average_rating, 5.0);
    }

    async fn an_agencys_performance_sums_its_agents_leads_and_weighs_their_ratings(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.agent();
        let agency = app.agency(&owner).await;
        let (first, second) = (app.agent(), app.agent());
        app.add_member(&agency, &owner, &first, profile::MemberRole::Agent).await;
        app.add_member(&agency, &owner, &second, profile::MemberRole::Agent).await;
        let first_listing = app.publish_as(&first, for_sale()).await;
        let second_listing = app.publish_as(&second, for_sale()).await;
        let won = app.ask(&app.user(), &first_listing).await;
        app.ask(&app.user(), &first_listing).await;
        let viewer = app.user();
        let viewing = app.ask(&viewer, &second_listing).await;
        app.change_stage(&first, &won, Stage::Won).await.expect("won");
        let only = app.publish_slot(&second, &second, slot(48, 60)).await.expect("published");
        app.book(&viewer, &viewing, &only.name).await.expect("booked by the person who asked");
        // An independent agent's leads and ratings are not the agency's.
        let (loner, elsewhere) = app.sale_listing().await;
        app.ask(&app.user(), &elsewhere).await;
        rating_changed(&app, &format!("{}/ratingSummary", first.name), 3, 5.0).await;
        rating_changed(&app, &format!("{}/ratingSummary", second.name), 1, 1.0).await;
        rating_changed(&app, &format!("{}/ratingSummary", loner.name), 50, 1.0).await;
        review_events_handled(&app, 3).await;

        let figures = agency_performance(&app, &format!("{agency}/leadPerformance")).await.expect("public");

        assert_eq!(figures.name, format!("{agency}/leadPerformance"));
        assert_eq!(figures.agents, 3, "the owner and two agents");
        assert_eq!(figures.leads, 3);
        assert_eq!(figures.open_leads, 2);
        assert_eq!(figures.won_leads, 1);
        assert_eq!(figures.lost_leads, 0);
        assert_eq!(figures.responded_leads, 1);
        assert_eq!(figures.viewings, 1);
        // Four reviews: three of 5 stars and one of 1.
        assert_eq!(figures.rating_count, 4);
        assert!((figures.average_rating - 4.0).abs() < 1e-9, "{}", figures.average_rating);
        let (one, two) = (agent_performance(&app, &first).await, agent_performance(&app, &second).await);
        assert_eq!(figures.leads, one.leads + two.leads);
    }

    async fn a_malformed_agency_name_is_an_invalid_argument(backend: Backend) {
        let app = spawn_app(backend).await;
        let agency = app.agency(&app.agent()).await;

        for name in [
            agency.clone(),
            "agencies/not-an-id/leadPerformance".to_owned(),
            format!("{agency}/performance"),
            format!("{}/leadPerformance", app.agent().name),
        ] {
            let refused = agency_performance(&app, &name).await.expect_err("malformed");
            assert_eq!(refused.code(), Code::InvalidArgument, "{name}");
            assert_eq!(bad_fields(&refused), ["name"], "{name}");
        }
    }

    async fn an_unknown_agency_is_not_found(backend: Backend) {
        let app = spawn_app(backend).await;

        let refused = agency_performance(
            &app,
            &format!("agencies/{}/leadPerformance", uuid::Uuid::now_v7()),
        )
        .await
        .expect_err("no such agency");

        assert_eq!(refused.code(), Code::NotFound);
    }
}
