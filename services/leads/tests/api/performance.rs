//! An agent's figures, public on their profile.

use estospaces_proto::leads_v1 as pb;
use pb::lead::{LostReason, Stage};

use crate::helpers::*;

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
}
