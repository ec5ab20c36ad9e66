//! The agent directory (`SearchAgents`): agents found by city and language, verified first,
//! public fields only, in pages.

use estospaces_proto::profile_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{TestApp, User, authorized, bad_fields, on_both_backends, spawn_app};

/// Sets `user`'s profile (as `admin`, who may edit any): a name, a city, languages, and the
/// private fields the directory must never show.
async fn describe(
    app: &mut TestApp,
    admin: &User,
    user: &User,
    name: &str,
    city: &str,
    languages: &[&str],
) {
    app.profile
        .update_profile(authorized(
            pb::UpdateProfileRequest {
                profile: Some(pb::Profile {
                    name: user.profile(),
                    display_name: name.to_owned(),
                    city: city.to_owned(),
                    languages: languages.iter().map(|tag| (*tag).to_owned()).collect(),
                    phone: "+351 912 345 678".to_owned(),
                    preferences: Some(pb::Preferences {
                        currency: "CHF".to_owned(),
                        language: "fr-CA".to_owned(),
                        notification_channels: vec![pb::NotificationChannel::Sms as i32],
                    }),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: ["display_name", "city", "languages", "phone", "preferences"]
                        .map(str::to_owned)
                        .to_vec(),
                }),
            },
            &admin.token,
        ))
        .await
        .expect("admins edit profiles");
}

/// Makes `user` an agent: a licence number, so an agent profile (pending).
async fn make_agent(app: &mut TestApp, admin: &User, user: &User) {
    app.profile
        .update_agent_profile(authorized(
            pb::UpdateAgentProfileRequest {
                agent_profile: Some(pb::AgentProfile {
                    name: format!("{}/agentProfile", user.name),
                    licence_number: "AMI-1234".to_owned(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["licence_number".to_owned()],
                }),
            },
            &admin.token,
        ))
        .await
        .expect("admins set up agent profiles");
}

async fn verify(app: &mut TestApp, admin: &User, user: &User) {
    app.profile
        .verify_agent_profile(authorized(
            pb::VerifyAgentProfileRequest {
                name: format!("{}/agentProfile", user.name),
                verification_status: pb::VerificationStatus::Verified as i32,
            },
            &admin.token,
        ))
        .await
        .expect("admins verify");
}

fn search(city: &str, language: &str) -> pb::SearchAgentsRequest {
    pb::SearchAgentsRequest {
        city: city.to_owned(),
        language: language.to_owned(),
        ..Default::default()
    }
}

async fn found(app: &mut TestApp, request: pb::SearchAgentsRequest) -> pb::SearchAgentsResponse {
    app.profile
        .search_agents(request)
        .await
        .expect("anyone searches the directory")
        .into_inner()
}

fn names(response: &pb::SearchAgentsResponse) -> Vec<&str> {
    response
        .agents
        .iter()
        .map(|agent| agent.display_name.as_str())
        .collect()
}

/// Three agents in Lisbon (one verified), one in Porto, and a non-agent in Lisbon.
async fn lisbon(app: &mut TestApp) -> (User, User) {
    let admin = app.admin().await;
    let rita = app.user("rita@example.com").await;
    let bruno = app.user("bruno@example.com").await;
    let ana = app.user("ana@example.com").await;
    let joao = app.user("joao@example.com").await;
    let neighbour = app.user("neighbour@example.com").await;
    describe(app, &admin, &rita, "Rita Lopes", "Lisboa", &["pt-BR", "en"]).await;
    describe(app, &admin, &bruno, "Bruno Dias", "LISBOA", &["pt"]).await;
    describe(app, &admin, &ana, "Ana Sousa", "Lisboa", &["en", "es"]).await;
    describe(app, &admin, &joao, "João Neves", "Porto", &["pt-PT"]).await;
    describe(app, &admin, &neighbour, "Not An Agent", "Lisboa", &["pt"]).await;
    for agent in [&rita, &bruno, &ana, &joao] {
        make_agent(app, &admin, agent).await;
    }
    verify(app, &admin, &rita).await;
    (admin, rita)
}

on_both_backends! {
    async fn agents_in_lisbon_speaking_portuguese_are_found_by_city_and_by_pt_verified_first(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (_, rita) = lisbon(&mut app).await;

        let in_lisbon = found(&mut app, search("lisboa", "")).await;
        assert_eq!(names(&in_lisbon), ["Rita Lopes", "Ana Sousa", "Bruno Dias"], "verified first, then by name; the city in any case");
        assert_eq!(in_lisbon.next_page_token, "");
        let speaking_pt = found(&mut app, search("Lisboa", "pt")).await;
        assert_eq!(names(&speaking_pt), ["Rita Lopes", "Bruno Dias"], "pt finds pt and pt-BR");
        let first = &speaking_pt.agents[0];
        assert_eq!(first.user, rita.name);
        assert_eq!(first.city, "Lisboa");
        assert_eq!(first.languages, ["pt-BR", "en"]);
        assert_eq!(first.verification_status, pb::VerificationStatus::Verified as i32);
        assert_eq!(speaking_pt.agents[1].verification_status, pb::VerificationStatus::Pending as i32);
        assert_eq!(names(&found(&mut app, search("", "PT-br")).await), ["Rita Lopes"], "a region narrows, in any case");
        assert_eq!(names(&found(&mut app, search("", "pt")).await), ["Rita Lopes", "Bruno Dias", "João Neves"]);
        assert!(found(&mut app, search("Lisboa", "de")).await.agents.is_empty());
    }

    async fn a_user_without_an_agent_profile_is_not_in_the_directory(backend: Backend) {
        let mut app = spawn_app(backend).await;
        lisbon(&mut app).await;

        let everyone = found(&mut app, search("", "")).await;

        assert_eq!(everyone.agents.len(), 4);
        assert!(!names(&everyone).contains(&"Not An Agent"), "same city and language, but not an agent");
    }

    async fn the_directory_never_shows_a_phone_number_or_preferences(backend: Backend) {
        let mut app = spawn_app(backend).await;
        lisbon(&mut app).await;

        let response = found(&mut app, search("lisboa", "")).await;

        assert_eq!(response.agents.len(), 3);
        let text = format!("{response:?}");
        for private in ["351912345678", "CHF", "fr-CA", "AMI-1234"] {
            assert!(!text.contains(private), "{private} leaked into {response:?}");
        }
    }

    async fn the_directory_pages_through_every_agent_once_with_tokens_bound_to_the_filters(backend: Backend) {
        let mut app = spawn_app(backend).await;
        lisbon(&mut app).await;

        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = found(&mut app, pb::SearchAgentsRequest { page_size: 1, page_token: token.clone(), ..search("", "") }).await;
            assert!(page.agents.len() <= 1);
            seen.extend(names(&page).into_iter().map(str::to_owned));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
            assert!(seen.len() <= 4, "more pages than agents");
        }
        assert_eq!(seen, ["Rita Lopes", "Ana Sousa", "Bruno Dias", "João Neves"]);

        let first = found(&mut app, pb::SearchAgentsRequest { page_size: 2, ..search("", "") }).await;
        assert_eq!(names(&first), ["Rita Lopes", "Ana Sousa"]);
        let other_filter = app.profile.search_agents(pb::SearchAgentsRequest { page_token: first.next_page_token.clone(), ..search("Porto", "") }).await.expect_err("a token of another search");
        assert_eq!(other_filter.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&other_filter), ["page_token"]);
    }

    async fn a_malformed_language_or_a_long_city_is_invalid_argument(backend: Backend) {
        let app = spawn_app(backend).await;
        let mut client = app.profile.clone();

        let err = client.search_agents(search(&"L".repeat(101), "english")).await.expect_err("both are bad");

        assert_eq!(err.code(), Code::InvalidArgument);
        let mut fields = bad_fields(&err);
        fields.sort();
        assert_eq!(fields, ["city", "language"]);
        let negative = client.search_agents(pb::SearchAgentsRequest { page_size: -1, ..search("", "") }).await.expect_err("a negative page");
        assert_eq!(bad_fields(&negative), ["page_size"]);
        let under_scored = client.search_agents(search("", "pt_BR")).await.expect_err("not BCP 47");
        assert_eq!(bad_fields(&under_scored), ["language"]);
    }
}
