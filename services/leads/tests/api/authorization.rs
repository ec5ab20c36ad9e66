//! Who may read and work a lead: its agent, its agency's owners and managers, admins. Anyone
//! else is refused whether or not the lead exists.

use estospaces_proto::leads_v1 as pb;
use estospaces_proto::profile_v1 as profile;
use pb::lead::Stage;
use tonic::Code;

use crate::helpers::*;

/// An agency of a new owner with a new agent who has a listing and a lead on it: the owner, the
/// agent, the agency and the lead.
async fn agency_lead(app: &TestApp) -> (User, User, String, String) {
    let owner = app.agent();
    let agency = app.agency(&owner).await;
    let agent = app.agent();
    app.add_member(&agency, &owner, &agent, profile::MemberRole::Agent)
        .await;
    let listing = app.publish_as(&agent, for_sale()).await;
    let lead = app.ask(&app.user(), &listing).await;
    (owner, agent, agency, lead)
}

/// What `user` gets from GetLead, ListLeadNotes and ChangeLeadStage on `lead`.
async fn refusals(app: &TestApp, user: &User, lead: &str) -> Vec<Code> {
    let read = app.lead(user, lead).await.map(drop);
    let notes = app
        .leads
        .clone()
        .list_lead_notes(authorized(
            pb::ListLeadNotesRequest {
                parent: lead.to_owned(),
            },
            &user.token,
        ))
        .await
        .map(drop);
    let moved = app
        .change_stage(user, lead, Stage::Contacted)
        .await
        .map(drop);
    [read, notes, moved]
        .into_iter()
        .map(|result| result.expect_err("refused").code())
        .collect()
}

on_both_backends! {
    async fn another_agent_is_denied_a_lead_even_the_owner_of_another_agency(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, agent, _, lead) = agency_lead(&app).await;
        let independent = app.agent();
        let rival_owner = app.agent();
        app.agency(&rival_owner).await;

        let denied = [Code::PermissionDenied; 3];
        assert_eq!(refusals(&app, &independent, &lead).await, denied);
        assert_eq!(refusals(&app, &rival_owner, &lead).await, denied);
        let refused = app.lead(&independent, &lead).await.expect_err("not theirs");
        assert_eq!(reason(&refused), "NOT_YOUR_LEAD");
        let still = app.lead(&agent, &lead).await.expect("the agent reads it");
        assert_eq!(still.stage(), Stage::New, "nobody else moved it");
    }

    async fn a_lead_that_does_not_exist_is_denied_to_agents_and_not_found_for_admins(backend: Backend) {
        let app = spawn_app(backend).await;
        let ghost = format!("leads/{}", uuid::Uuid::now_v7());

        let to_agent = refusals(&app, &app.agent(), &ghost).await;
        let to_admin = refusals(&app, &app.admin(), &ghost).await;

        assert_eq!(to_agent, [Code::PermissionDenied; 3], "names cannot be probed");
        assert_eq!(to_admin, [Code::NotFound; 3]);
    }

    async fn an_agencys_owner_and_manager_read_its_leads_but_a_plain_agent_of_it_cannot(backend: Backend) {
        let app = spawn_app(backend).await;
        let (owner, agent, agency, lead) = agency_lead(&app).await;
        let manager = app.agent();
        app.add_member(&agency, &owner, &manager, profile::MemberRole::Manager).await;
        let colleague = app.agent();
        app.add_member(&agency, &owner, &colleague, profile::MemberRole::Agent).await;

        for boss in [&owner, &manager] {
            let read = app.lead(boss, &lead).await.expect("owners and managers read the agency's leads");
            assert_eq!(read.agent, agent.name);
            let listed = app.list(boss, &agency).await.expect("owners and managers list the agency's leads");
            assert_eq!(listed.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), [lead.as_str()]);
        }
        let listed = app.list(&colleague, &agency).await.expect_err("agents list their own leads only");
        assert_eq!(listed.code(), Code::PermissionDenied);
        assert_eq!(reason(&listed), "NOT_AN_AGENCY_MANAGER");
        let read = app.lead(&colleague, &lead).await.expect_err("a colleague's lead");
        assert_eq!(read.code(), Code::PermissionDenied);
        assert!(app.list(&colleague, "").await.expect("their own").is_empty());
    }

    async fn calls_without_a_token_are_unauthenticated(backend: Backend) {
        let app = spawn_app(backend).await;
        let (_, listing) = app.sale_listing().await;
        let lead = app.ask(&app.user(), &listing).await;
        let mut leads = app.leads.clone();

        let read = leads.get_lead(pb::GetLeadRequest { name: lead.clone() }).await.expect_err("anonymous");
        let listed = leads.list_leads(pb::ListLeadsRequest::default()).await.expect_err("anonymous");
        let moved = leads
            .change_lead_stage(pb::ChangeLeadStageRequest { name: lead.clone(), stage: Stage::Contacted as i32, ..Default::default() })
            .await
            .expect_err("anonymous");
        let noted = leads
            .create_lead_note(pb::CreateLeadNoteRequest { parent: lead.clone(), lead_note: Some(pb::LeadNote { text: "hi".to_owned(), ..Default::default() }) })
            .await
            .expect_err("anonymous");

        for refused in [read, listed, moved, noted] {
            assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
        }
    }
}
