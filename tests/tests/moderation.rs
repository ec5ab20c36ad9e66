//! Moderation across the platform, through the single binary's gateway and each service's own
//! port: a report goes through the queue to a decision the reporter is told about; a banned
//! account's tokens stop working in every service within seconds; a suspension ends; content
//! held by the automatic checks stays out of search until a moderator lets it back; and every
//! action is in the audit trail.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use estospaces::seed::demo_email;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::booking_v1::booking_service_client::BookingServiceClient;
use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::messaging_v1::messaging_service_client::MessagingServiceClient;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use serde_json::{Value, json};
use tonic::Code;

const DEMO_PASSWORD: &str = "estospaces-demo";

async fn log_in(tour: &Tour, email: &str, password: &str) -> (u16, Value) {
    tour.post(
        "/v1/sessions:login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

async fn demo_token(tour: &Tour, email: &str) -> String {
    let (status, session) = log_in(tour, email, DEMO_PASSWORD).await;
    assert_eq!(status, 200, "logging in as {email}: {session}");
    session["accessToken"].as_str().expect("a token").to_owned()
}

/// The user name (`users/{id}`) behind a token.
async fn me(tour: &Tour, email: &str, password: &str) -> (String, String) {
    let (status, session) = log_in(tour, email, password).await;
    assert_eq!(status, 200, "logging in as {email}: {session}");
    (
        session["user"].as_str().expect("a user").to_owned(),
        session["accessToken"].as_str().expect("a token").to_owned(),
    )
}

/// Reports `target` as `token`; the report's case.
async fn report(tour: &Tour, token: &str, target: &str, reason: &str) -> String {
    let (status, made) = tour
        .post(
            "/v1/moderationReports",
            Some(token),
            json!({"target": target, "reason": reason, "details": "Seen in the app."}),
        )
        .await;
    assert_eq!(status, 201, "reporting {target}: {made}");
    made["case"].as_str().expect("a case").to_owned()
}

fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    request
}

fn channel(addr: SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("a URI")
        .connect_lazy()
}

/// What booking, property and messaging each answer `token` (with `user`'s name) directly.
async fn codes_from_services(tour: &Tour, user: &str, token: &str) -> [Code; 3] {
    let code = |result: Result<(), tonic::Status>| result.err().map_or(Code::Ok, |s| s.code());
    let booking = BookingServiceClient::new(channel(tour.services["booking"]))
        .list_bookings(authorized(booking::ListBookingsRequest::default(), token))
        .await
        .map(drop);
    let property = PropertyServiceClient::new(channel(tour.services["property"]))
        .list_properties(authorized(
            property::ListPropertiesRequest {
                owner: user.to_owned(),
                ..Default::default()
            },
            token,
        ))
        .await
        .map(drop);
    let messaging = MessagingServiceClient::new(channel(tour.services["messaging"]))
        .list_conversations(authorized(
            messaging::ListConversationsRequest {
                parent: user.to_owned(),
                ..Default::default()
            },
            token,
        ))
        .await
        .map(drop);
    [code(booking), code(property), code(messaging)]
}

#[tokio::test]
async fn a_report_ends_in_a_ban_that_every_service_enforces_within_five_seconds_and_the_reporter_is_told()
 {
    let tour = start_seeded_platform(12).await;
    let operator = demo_token(&tour, &demo_email("operator", 0)).await;
    let moderator = demo_token(&tour, &demo_email("moderator", 0)).await;

    // The seed's queue: two guests reported a listing.
    let (status, queue) = tour.get("/v1/cases", Some(&moderator)).await;
    assert_eq!(status, 200, "{queue}");
    let seeded = &queue["cases"][0];
    assert_eq!(seeded["reportCount"], 2, "{queue}");
    assert_eq!(
        seeded["priority"], 75,
        "a scam (70) and a second report: {queue}"
    );

    // A guest reports an abusive account.
    let reporter = tour.sign_up("rita@example.com").await;
    let abuser_token = tour.sign_up("abe@example.com").await;
    let (abuser, _) = me(&tour, "abe@example.com", "a long enough password").await;
    assert_eq!(
        codes_from_services(&tour, &abuser, &abuser_token).await,
        [Code::Ok; 3],
        "a fresh account's token works everywhere"
    );
    let case = report(&tour, &reporter, &abuser, "REPORT_REASON_OFFENSIVE").await;

    // A guest cannot work the queue; a moderator cannot grant roles.
    let (status, _) = tour
        .post(
            &format!("/v1/{case}:decide"),
            Some(&reporter),
            json!({"decision": "DECISION_BAN_USER", "reason": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = tour
        .post(
            &format!("/v1/{abuser}:grantRole"),
            Some(&moderator),
            json!({"role": "ROLE_ADMIN"}),
        )
        .await;
    assert_eq!(status, 403, "a moderator cannot grant roles");

    let (status, assigned) = tour
        .post(&format!("/v1/{case}:assign"), Some(&moderator), json!({}))
        .await;
    assert_eq!(status, 200, "{assigned}");
    let (status, decided) = tour
        .post(
            &format!("/v1/{case}:decide"),
            Some(&moderator),
            json!({"decision": "DECISION_BAN_USER", "reason": "Threats in messages."}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let banned_at = Instant::now();
    loop {
        let codes = codes_from_services(&tour, &abuser, &abuser_token).await;
        if codes == [Code::Unauthenticated; 3] {
            break;
        }
        assert!(
            banned_at.elapsed() < Duration::from_secs(5),
            "booking, property and messaging still answer the banned token: {codes:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, refused) = log_in(&tour, "abe@example.com", "a long enough password").await;
    assert_eq!(status, 403, "a banned account cannot sign in: {refused}");

    // The reporter is told the outcome.
    let (rita, rita_token) = me(&tour, "rita@example.com", "a long enough password").await;
    let mut told = false;
    for _ in 0..100 {
        let (_, inbox) = tour
            .get(&format!("/v1/{rita}/notifications"), Some(&rita_token))
            .await;
        told = inbox["notifications"]
            .as_array()
            .is_some_and(|all| all.iter().any(|n| n["template"] == "report_decided"));
        if told {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(told, "the reporter hears what was decided");

    // Every step is in the audit trail, which only admins read.
    let (status, _) = tour.get("/v1/auditEntries", Some(&moderator)).await;
    assert_eq!(status, 403);
    let mut actions = Vec::new();
    for _ in 0..100 {
        let (status, trail) = tour
            .get("/v1/auditEntries?pageSize=100", Some(&operator))
            .await;
        assert_eq!(status, 200, "{trail}");
        actions = trail["auditEntries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
            .collect();
        if actions.iter().any(|a| a == "identity.ban_user") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for action in [
        "identity.ban_user",
        "moderation.decide_case",
        "moderation.assign_case",
        "identity.change_roles",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    // No route changes or removes an entry.
    let (status, _) = tour
        .call(
            reqwest::Method::DELETE,
            "/v1/auditEntries",
            Some(&operator),
            None,
        )
        .await;
    assert!(status == 404 || status == 405, "no delete: {status}");

    let (status, metrics) = tour.get("/v1/platformMetrics", Some(&operator)).await;
    assert_eq!(status, 200, "{metrics}");
    assert!(
        metrics["totalUsers"]
            .as_str()
            .is_some_and(|n| n.parse::<i64>().unwrap_or(0) > 10),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_suspended_account_signs_in_again_once_the_suspension_ends() {
    let tour = start_seeded_platform(6).await;
    let moderator = demo_token(&tour, &demo_email("moderator", 0)).await;
    tour.sign_up("sam@example.com").await;
    let (sam, _) = me(&tour, "sam@example.com", "a long enough password").await;
    let end = time::OffsetDateTime::from(SystemTime::now() + Duration::from_secs(3))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time");
    let (status, suspended) = tour
        .post(
            &format!("/v1/{sam}:suspend"),
            Some(&moderator),
            json!({"endTime": end, "reason": "Cooling off."}),
        )
        .await;
    assert_eq!(status, 200, "{suspended}");
    assert_eq!(suspended["state"], "STATE_SUSPENDED");
    let (status, refused) = log_in(&tour, "sam@example.com", "a long enough password").await;
    assert_eq!(status, 403, "{refused}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, session) = log_in(&tour, "sam@example.com", "a long enough password").await;
    assert_eq!(status, 200, "the suspension is over: {session}");
    let token = session["accessToken"].as_str().expect("a token");
    assert_eq!(
        codes_from_services(&tour, &sam, token).await,
        [Code::Ok; 3],
        "a token issued after the suspension works everywhere"
    );
}

#[tokio::test]
async fn a_listing_held_by_the_automatic_checks_stays_out_of_search_until_a_moderator_lets_it_back()
{
    let tour = start_seeded_platform(6).await;
    let moderator = demo_token(&tour, &demo_email("moderator", 0)).await;
    let (status, listings) = tour.get("/v1/properties?pageSize=50", None).await;
    assert_eq!(status, 200, "{listings}");
    let template = listings["properties"]
        .as_array()
        .expect("listings")
        .iter()
        .find(|p| p["kind"] == "LISTING_KIND_SHORT_STAY")
        .expect("a short stay")
        .clone();
    let (_, _, host) = tour.host_of(&template).await;

    // A copy with a way around the platform in its description.
    let mut draft = template.clone();
    for field in [
        "name",
        "owner",
        "state",
        "createTime",
        "updateTime",
        "etag",
        "rating",
        "publishTime",
    ] {
        draft.as_object_mut().expect("an object").remove(field);
    }
    draft["title"] = json!("Sunny loft near the beach");
    draft["description"] =
        json!("Skip the fees: book at www.example.com or mail loft@example.com.");
    let (status, created) = tour.post("/v1/properties", Some(&host), draft).await;
    assert_eq!(status, 201, "{created}");
    let name = created["name"].as_str().expect("a name").to_owned();
    let (status, published) = tour
        .post(&format!("/v1/{name}:publish"), Some(&host), json!({}))
        .await;
    assert_eq!(status, 200, "{published}");

    let search = json!({"query": {"text": "Sunny loft near the beach"}, "pageSize": 10});
    let found = |page: &Value| {
        page["results"]
            .as_array()
            .is_some_and(|all| all.iter().any(|r| r["property"]["name"] == name.as_str()))
    };
    // Held within moments: not public, not in search.
    let mut held = false;
    for _ in 0..100 {
        let (_, listing) = tour.get(&format!("/v1/{name}"), Some(&host)).await;
        let (_, page) = tour
            .post("/v1/properties:search", None, search.clone())
            .await;
        if listing["state"] == "STATE_PENDING_REVIEW" && !found(&page) {
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(held, "the checks held the listing and search dropped it");
    let (status, _) = tour.get(&format!("/v1/{name}"), None).await;
    assert_eq!(status, 404, "a held listing is not public");

    let (status, cases) = tour
        .get(&format!("/v1/cases?target={name}"), Some(&moderator))
        .await;
    assert_eq!(status, 200, "{cases}");
    let case = &cases["cases"][0];
    assert_eq!(case["origin"], "ORIGIN_AUTOMATIC_CHECK", "{cases}");
    let (status, decided) = tour
        .post(
            &format!("/v1/{}:decide", case["name"].as_str().expect("a case")),
            Some(&moderator),
            json!({"decision": "DECISION_DISMISS", "reason": "The site is the host's own."}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let mut back = false;
    for _ in 0..100 {
        let (_, page) = tour
            .post("/v1/properties:search", None, search.clone())
            .await;
        if found(&page) {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "approved, the listing is searchable again");
}
