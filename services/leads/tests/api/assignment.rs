//! Agencies' owners and managers hand leads to their agents.

use estospaces_proto::leads_v1 as pb;
use estospaces_proto::profile_v1 as profile;
use tonic::Code;

use crate::helpers::*;

/// An agency: its owner, a manager, and `agents` agents; the first has a listing for sale.
struct Agency {
    name: String,
    manager: User,
    agents: Vec<User>,
    listing: String,
}

async fn agency(app: &TestApp, agents: usize) -> Agency {
    let owner = app.agent();
    let name = app.agency(&owner).await;
    let manager = app.agent();
    app.add_member(&name, &owner, &manager, profile::MemberRole::Manager)
        .await;
    let mut members = Vec::new();
    for _ in 0..agents {
        let agent = app.agent();
        app.add_member(&name, &owner, &agent, profile::MemberRole::Agent)
            .await;
        members.push(agent);
    }
    let listing = app.publish_as(&members[0], for_sale()).await;
    Agency {
        name,
        manager,
        agents: members,
        listing,
    }
}

/// Assigns `lead` as `caller` to `agent` (the next in turn when empty).
async fn assign(
    app: &TestApp,
    caller: &User,
    lead: &str,
    agent: &str,
) -> Result<pb::Lead, tonic::Status> {
    app.leads
        .clone()
        .assign_lead(authorized(
            pb::AssignLeadRequest {
                name: lead.to_owned(),
                agent: agent.to_owned(),
                etag: String::new(),
            },
            &caller.token,
        ))
        .await
        .map(|response| response.into_inner().lead.expect("a lead"))
}

on_both_backends! {
    async fn a_manager_assigns_a_lead_to_a_named_member(backend: Backend) {
        let app = spawn_app(backend).await;
        let agency = agency(&app, 2).await;
        let lead = app.ask(&app.user(), &agency.listing).await;
        let to = &agency.agents[1];

        let assigned = assign(&app, &agency.manager, &lead, &to.name).await.expect("managers assign");

        assert_eq!(assigned.agent, to.name);
        assert_eq!(assigned.agency, agency.name);
        assert_eq!(app.lead(to, &lead).await.expect("the new agent reads it").agent, to.name);
        assert_eq!(app.list(to, "").await.expect("listed").len(), 1);
        let before = app.lead(&agency.agents[0], &lead).await.expect_err("no longer theirs");
        assert_eq!(before.code(), Code::PermissionDenied);
    }

    async fn a_lead_cannot_go_to_someone_outside_its_agency(backend: Backend) {
        let app = spawn_app(backend).await;
        let agency = agency(&app, 1).await;
        let lead = app.ask(&app.user(), &agency.listing).await;
        let outsider = app.agent();

        let refused = assign(&app, &agency.manager, &lead, &outsider.name).await.expect_err("not a member");

        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), "NOT_AN_AGENCY_MEMBER");
        assert_eq!(app.lead(&agency.manager, &lead).await.expect("read").agent, agency.agents[0].name);
    }

    async fn without_an_agent_round_robin_gives_successive_leads_to_different_agents(backend: Backend) {
        let app = spawn_app(backend).await;
        let agency = agency(&app, 3).await;
        let first = app.ask(&app.user(), &agency.listing).await;
        let second = app.ask(&app.user(), &agency.listing).await;

        let one = assign(&app, &agency.manager, &first, "").await.expect("the next in turn");
        let two = assign(&app, &agency.manager, &second, "").await.expect("the next in turn");

        let others = [agency.agents[1].name.as_str(), agency.agents[2].name.as_str()];
        assert!(others.contains(&one.agent.as_str()), "{} is one of the other agents", one.agent);
        assert!(others.contains(&two.agent.as_str()), "{} is one of the other agents", two.agent);
        assert_ne!(one.agent, two.agent, "turns go round");
    }

    async fn round_robin_turns_taken_at_once_still_go_to_different_agents(backend: Backend) {
        let app = spawn_app(backend).await;
        let agency = agency(&app, 3).await;
        let first = app.ask(&app.user(), &agency.listing).await;
        let second = app.ask(&app.user(), &agency.listing).await;

        let (one, two) = tokio::join!(
            assign(&app, &agency.manager, &first, ""),
            assign(&app, &agency.manager, &second, "")
        );

        let (one, two) = (one.expect("the next in turn"), two.expect("the next in turn"));
        assert_ne!(one.agent, two.agent, "two turns at once are two turns");
    }

    async fn a_leads_own_agent_who_is_not_a_manager_cannot_assign_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let agency = agency(&app, 2).await;
        let lead = app.ask(&app.user(), &agency.listing).await;

        let refused = assign(&app, &agency.agents[0], &lead, &agency.agents[1].name).await.expect_err("agents do not assign");

        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(reason(&refused), "NOT_AN_AGENCY_MANAGER");
        assert_eq!(app.lead(&agency.agents[0], &lead).await.expect("still theirs").agent, agency.agents[0].name);
    }
}
