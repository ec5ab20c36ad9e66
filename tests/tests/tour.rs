//! The README's tour, run against the single `estospaces` binary's platform through the
//! gateway's REST API: what a newcomer does in their first five minutes must keep working.

use std::time::Duration;

use estospaces::PlatformConfig;
use estospaces::seed::{self, SeedOptions};
use estospaces_platform_tests::tour::start_seeded_platform;
use serde_json::{Value, json};

#[tokio::test]
async fn a_newcomer_registers_finds_a_stay_books_it_with_a_test_card_and_the_saga_confirms_it() {
    let tour = start_seeded_platform(30).await;

    let (status, user) = tour
        .post(
            "/v1/users:register",
            None,
            json!({"email": "ana@example.com", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, 201, "registering: {user}");
    assert_eq!(user["email"], "ana@example.com");

    let (status, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "ana@example.com", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, 200, "logging in: {session}");
    let token = session["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned();

    // Stays for two near Lisbon's centre, free for the nights, instantly bookable, cheapest
    // first: the search index fills from the seed's events within moments.
    let query = json!({
        "query": {
            "kind": "LISTING_KIND_SHORT_STAY", "guests": 2, "instantBook": true,
            "circle": {"center": {"latitude": 38.7223, "longitude": -9.1393}, "radiusMeters": 5000},
            "checkIn": {"year": 2027, "month": 3, "day": 10}, "checkOut": {"year": 2027, "month": 3, "day": 14},
        },
        "orderBy": "SORT_ORDER_PRICE_ASCENDING",
        "pageSize": 5,
    });
    let mut found = Value::Null;
    for _ in 0..100 {
        let (status, page) = tour
            .post("/v1/properties:search", None, query.clone())
            .await;
        assert_eq!(status, 200, "searching: {page}");
        if page["results"]
            .as_array()
            .is_some_and(|results| !results.is_empty())
        {
            found = page;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let result = &found["results"][0];
    let listing = &result["property"];
    assert_eq!(
        listing["address"]["locality"], "Lisbon",
        "found near Lisbon: {found}"
    );
    assert_eq!(listing["bookingMode"], "BOOKING_MODE_INSTANT");
    assert_eq!(listing["state"], "STATE_PUBLISHED");

    // The result's cover photo is a real image, served by the media service.
    let cover = result["coverPhotoUri"].as_str().expect("a cover photo");
    let response = tour
        .http
        .get(format!("{}{cover}", tour.base))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), 200, "{cover}");
    assert_eq!(response.headers()["content-type"], "image/webp");
    let cover_bytes = response.bytes().await.expect("a body");
    let photo = image::load_from_memory(&cover_bytes).expect("the cover decodes");
    assert_eq!(photo.width(), 800, "the card variant");

    let name = listing["name"].as_str().expect("a name");
    let (status, quote) = tour
        .post(
            &format!("/v1/{name}:quotePrice"),
            Some(&token),
            json!({"checkIn": {"year": 2027, "month": 3, "day": 10}, "checkOut": {"year": 2027, "month": 3, "day": 14}, "guests": 2}),
        )
        .await;
    assert_eq!(status, 200, "quoting: {quote}");
    assert_eq!(
        result["stayTotal"], quote["total"],
        "search shows the stay's price"
    );
    let total: i64 = quote["total"]
        .as_str()
        .expect("int64 as a JSON string")
        .parse()
        .expect("a number");
    assert!(total > 0);
    assert_eq!(quote["currencyCode"], listing["currencyCode"]);

    // A question for the host first: the phone number is hidden until a booking is confirmed.
    let (status, inquiry) = tour
        .post(
            "/v1/conversations:inquire",
            Some(&token),
            json!({"listing": name, "message": {"text": "Is late check-in fine? Call me on +351 912 345 678"}}),
        )
        .await;
    assert_eq!(status, 200, "asking: {inquiry}");
    assert_eq!(
        inquiry["message"]["text"],
        "Is late check-in fine? Call me on [hidden]"
    );
    let conversation = inquiry["conversation"]["name"]
        .as_str()
        .expect("a conversation")
        .to_owned();

    let (status, booking) = tour
        .post(
            "/v1/bookings",
            Some(&token),
            json!({
                "booking": {"property": name, "checkIn": {"year": 2027, "month": 3, "day": 10}, "checkOut": {"year": 2027, "month": 3, "day": 14}, "guests": 2},
                "paymentMethod": "4242424242424242",
            }),
        )
        .await;
    assert_eq!(status, 201, "booking: {booking}");
    assert_eq!(
        booking["totalAmount"], quote["total"],
        "the quote is locked into the booking"
    );
    let booking_name = booking["name"].as_str().expect("a booking name").to_owned();

    let confirmed = tour
        .wait_for_state(&booking_name, &token, "STATE_CONFIRMED")
        .await;
    assert_eq!(confirmed["property"], name);
    let (status, saga) = tour
        .get(&format!("/v1/{booking_name}/saga"), Some(&token))
        .await;
    assert_eq!(status, 200, "the saga: {saga}");
    let steps: Vec<&str> = saga["steps"]
        .as_array()
        .expect("saga steps")
        .iter()
        .filter_map(|step| step["step"].as_str())
        .collect();
    assert!(steps.len() >= 2, "the saga recorded its steps: {saga}");

    // The booking's progress is written into the conversation with the host.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, thread) = tour
            .get(&format!("/v1/{conversation}/messages"), Some(&token))
            .await;
        assert_eq!(status, 200, "{thread}");
        let events: Vec<&str> = thread["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|message| message["systemEvent"].as_str())
            .collect();
        if events.contains(&"booking.confirmed") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no confirmation in the thread: {thread}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The listing's iCal feed, served as text/calendar, shows the booked nights.
    let feed = tour
        .http
        .get(format!("{}/v1/{name}/calendarFeed", tour.base))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(feed.status(), 200);
    let content_type = feed.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    let feed = feed.text().await.expect("a calendar");
    assert!(
        feed.starts_with("BEGIN:VCALENDAR") && feed.contains("DTSTART;VALUE=DATE:20270310"),
        "{feed}"
    );

    // A photo of one's own, uploaded as a raw body: its variants are made in the background.
    let uploaded: Value = tour
        .http
        .post(format!("{}/v1/media:upload?filename=cover.webp", tour.base))
        .bearer_auth(&token)
        .header("content-type", "image/webp")
        .body(cover_bytes.clone())
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("the media");
    let media = uploaded["name"].as_str().expect("a media name").to_owned();
    let mut state = Value::Null;
    for _ in 0..300 {
        let (status, current) = tour.get(&format!("/v1/{media}"), Some(&token)).await;
        assert_eq!(status, 200, "{current}");
        state = current["state"].clone();
        if state != "STATE_PROCESSING" {
            assert_eq!(
                current["variants"].as_array().map(Vec::len),
                Some(6),
                "{current}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "STATE_READY");

    // The same nights again are refused: they are the first guest's now.
    let (status, refused) = tour
        .post(
            "/v1/bookings",
            Some(&token),
            json!({
                "booking": {"property": name, "checkIn": {"year": 2027, "month": 3, "day": 12}, "checkOut": {"year": 2027, "month": 3, "day": 13}, "guests": 1},
                "paymentMethod": "4242424242424242",
            }),
        )
        .await;
    assert!(
        status == 409 || status == 400,
        "overlapping nights: {status} {refused}"
    );
}

/// The stages of `page`'s leads.
fn stages(page: &Value) -> Vec<&str> {
    page["leads"]
        .as_array()
        .map(|leads| leads.iter().filter_map(|l| l["stage"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn agent0_reads_their_leads_with_the_score_explained_the_agencys_pipeline_and_a_booked_slot()
{
    // Three homes for sale (listings 0, 10 and 20), one per demo agent, as in the full seed.
    let tour = start_seeded_platform(21).await;
    let (agent, token) = tour.demo_login(&seed::demo_email("agent", 0)).await;

    // Agent 0's own leads: the viewing and the offer.
    let (status, mine) = tour.get("/v1/leads", Some(&token)).await;
    assert_eq!(status, 200, "{mine}");
    let own = stages(&mine);
    for stage in ["STAGE_VIEWING_SCHEDULED", "STAGE_OFFER"] {
        assert!(own.contains(&stage), "{stage} in {mine}");
    }
    let offer = mine["leads"]
        .as_array()
        .and_then(|leads| leads.iter().find(|l| l["stage"] == "STAGE_OFFER"))
        .expect("the offer");
    let name = offer["name"].as_str().expect("a name");

    // One lead: its stage, and its score explained factor by factor.
    let (status, lead) = tour.get(&format!("/v1/{name}"), Some(&token)).await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(lead["stage"], "STAGE_OFFER");
    let factor = |id: &str| {
        lead["scoreFactors"]
            .as_array()
            .and_then(|all| all.iter().find(|f| f["factor"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("the {id} factor: {lead}"))
    };
    assert_eq!(factor("budget")["points"], 20, "95% of the asking price");
    assert_eq!(factor("financing")["points"], 20, "a mortgage approved");
    assert!(
        factor("budget")["explanation"]
            .as_str()
            .is_some_and(|words| !words.is_empty()),
        "{lead}"
    );
    let (status, notes) = tour.get(&format!("/v1/{name}/notes"), Some(&token)).await;
    assert_eq!(status, 200, "{notes}");
    assert_eq!(
        notes["leadNotes"].as_array().map_or(0, Vec::len),
        1,
        "{notes}"
    );

    // The agency's pipeline, every agent's leads: a lead in each stage.
    let agency = lead["agency"].as_str().expect("an agency");
    let (status, pipeline) = tour
        .get(&format!("/v1/leads?agency={agency}"), Some(&token))
        .await;
    assert_eq!(status, 200, "{pipeline}");
    let all = stages(&pipeline);
    for stage in [
        "STAGE_NEW",
        "STAGE_CONTACTED",
        "STAGE_VIEWING_SCHEDULED",
        "STAGE_OFFER",
        "STAGE_WON",
        "STAGE_LOST",
    ] {
        assert!(all.contains(&stage), "{stage} in {pipeline}");
    }
    let (_, other) = tour.demo_login(&seed::demo_email("agent", 1)).await;
    let (status, _) = tour
        .get(&format!("/v1/leads?agency={agency}"), Some(&other))
        .await;
    assert_eq!(status, 403, "an agent of the agency does not manage it");

    // Tomorrow's viewing slot, booked by the lead in STAGE_VIEWING_SCHEDULED.
    let viewing = mine["leads"]
        .as_array()
        .and_then(|leads| {
            leads
                .iter()
                .find(|l| l["stage"] == "STAGE_VIEWING_SCHEDULED")
        })
        .expect("the viewing");
    let (status, slots) = tour
        .get(&format!("/v1/{agent}/viewingSlots"), Some(&token))
        .await;
    assert_eq!(status, 200, "{slots}");
    let slot = &slots["viewingSlots"][0];
    assert_eq!(slot["booked"], true, "{slots}");
    assert_eq!(slot["lead"], viewing["name"], "{slots}");
    assert_eq!(viewing["viewing"], slot["name"], "{viewing}");
}

#[tokio::test]
async fn a_declined_test_card_ends_the_booking_as_payment_failed() {
    let tour = start_seeded_platform(6).await;
    let token = tour.sign_up("ben@example.com").await;
    let (_, listings) = tour
        .get(
            "/v1/properties?kind=LISTING_KIND_SHORT_STAY&pageSize=50",
            None,
        )
        .await;
    let listing = listings["properties"]
        .as_array()
        .and_then(|listings| {
            listings
                .iter()
                .find(|l| l["bookingMode"] == "BOOKING_MODE_INSTANT")
        })
        .expect("an instantly bookable stay");
    let (status, booking) = tour
        .post(
            "/v1/bookings",
            Some(&token),
            json!({
                "booking": {"property": listing["name"], "checkIn": {"year": 2027, "month": 5, "day": 3}, "checkOut": {"year": 2027, "month": 5, "day": 7}, "guests": 1},
                "paymentMethod": "4000000000000002",
            }),
        )
        .await;
    assert_eq!(status, 201, "booking: {booking}");
    let name = booking["name"].as_str().expect("a booking name");
    tour.wait_for_state(name, &token, "STATE_PAYMENT_FAILED")
        .await;
}

#[tokio::test]
async fn seeding_twice_adds_nothing() {
    let tour = start_seeded_platform(6).await;
    let (_, before) = tour.get("/v1/properties?pageSize=100", None).await;
    let mut config = PlatformConfig::default();
    config.common.data_dir = tour.data_dir.path().to_owned();
    let report = seed::seed(
        &config,
        &tour.base,
        &SeedOptions {
            listings: 6,
            progress: false,
        },
    )
    .await
    .expect("seeding again succeeds");
    assert_eq!(report.listings, 6);
    let (status, after) = tour.get("/v1/properties?pageSize=100", None).await;
    assert_eq!(status, 200, "{after}");
    let count = |page: &Value| page["properties"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&before), 6);
    assert_eq!(count(&after), 6);

    // The demo guest's conversation was found again, its messages not sent twice.
    let (_, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": seed::demo_email("guest", 0), "password": seed::DEMO_PASSWORD}),
        )
        .await;
    let token = session["accessToken"].as_str().expect("a token");
    let user = session["user"].as_str().expect("a user");
    let (status, conversations) = tour
        .get(&format!("/v1/{user}/conversations"), Some(token))
        .await;
    assert_eq!(status, 200, "{conversations}");
    let all = conversations["conversations"].as_array().expect("a list");
    assert_eq!(all.len(), 1, "{conversations}");
    let name = all[0]["name"].as_str().expect("a name");
    let (_, thread) = tour.get(&format!("/v1/{name}/messages"), Some(token)).await;
    assert_eq!(
        thread["messages"].as_array().map_or(0, Vec::len),
        3,
        "{thread}"
    );

    // The demo guest's report joined the open case again, not a second time.
    let (status, reports) = tour.get("/v1/moderationReports", Some(token)).await;
    assert_eq!(status, 200, "{reports}");
    assert_eq!(
        reports["reports"].as_array().map_or(0, Vec::len),
        1,
        "{reports}"
    );

    // Agent 0's agency was found again, and the pipeline's leads (all on the one home for sale
    // here) too: one lead in each stage, the offer with one note and one task.
    let (agent, agent_token) = tour.demo_login(&seed::demo_email("agent", 0)).await;
    let (status, memberships) = tour
        .get(&format!("/v1/agencies/-/members?user={agent}"), None)
        .await;
    assert_eq!(status, 200, "{memberships}");
    let memberships = memberships["members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(memberships.len(), 1, "{memberships:?}");
    let (status, leads) = tour.get("/v1/leads?pageSize=100", Some(&agent_token)).await;
    assert_eq!(status, 200, "{leads}");
    // Guest 0's conversation with agent 0 makes a lead of its own, from messaging's events.
    let mut seeded: Vec<&Value> = leads["leads"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|l| l["source"] == "SOURCE_FORM")
                .collect()
        })
        .unwrap_or_default();
    seeded.sort_by_key(|l| l["stage"].as_str().unwrap_or_default().to_owned());
    let seeded_stages: Vec<&str> = seeded.iter().filter_map(|l| l["stage"].as_str()).collect();
    assert_eq!(
        seeded_stages,
        [
            "STAGE_CONTACTED",
            "STAGE_LOST",
            "STAGE_NEW",
            "STAGE_OFFER",
            "STAGE_VIEWING_SCHEDULED",
            "STAGE_WON",
        ],
        "{leads}"
    );
    assert!(
        seeded.iter().all(|l| l["inquiryCount"] == 2),
        "asked once more each: {leads}"
    );
    let offer = seeded
        .iter()
        .find(|l| l["stage"] == "STAGE_OFFER")
        .and_then(|l| l["name"].as_str())
        .expect("the offer");
    for (list, field) in [("notes", "leadNotes"), ("tasks", "leadTasks")] {
        let (status, page) = tour
            .get(&format!("/v1/{offer}/{list}"), Some(&agent_token))
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page[field].as_array().map_or(0, Vec::len), 1, "{page}");
    }

    // The demo guest's review of a past stay was found again, not written twice.
    let (status, reviews) = tour
        .get(&format!("/v1/{user}/reviews?authored=true"), Some(token))
        .await;
    assert_eq!(status, 200, "{reviews}");
    assert_eq!(
        reviews["reviews"].as_array().map_or(0, Vec::len),
        1,
        "{reviews}"
    );

    // Agent 1's project was found again: one project, its twelve units, four milestones, one
    // progress update, and the two buyers' reservations found by their request ids.
    let (developer, developer_token) = tour.demo_login(&seed::demo_email("agent", 1)).await;
    let (status, projects) = tour
        .get(&format!("/v1/projects?developer={developer}"), None)
        .await;
    assert_eq!(status, 200, "{projects}");
    let all = projects["projects"].as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), 1, "{projects}");
    let project = all[0]["name"].as_str().expect("a project");
    for (list, field, count) in [
        ("units", "units", 12),
        ("milestones", "milestones", 4),
        ("progressUpdates", "progressUpdates", 1),
        ("reservations", "reservations", 2),
    ] {
        let (status, page) = tour
            .get(&format!("/v1/{project}/{list}"), Some(&developer_token))
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page[field].as_array().map_or(0, Vec::len), count, "{page}");
    }
}

#[tokio::test]
async fn a_buyer_finds_lisbon_agents_browses_the_demo_project_and_reserves_a_unit() {
    let tour = start_seeded_platform(12).await;
    let token = tour.sign_up("ana@example.com").await;

    // The agent directory: the two Lisbon agents speak Portuguese (one pt-BR); the verified
    // one first.
    let (status, directory) = tour
        .get("/v1/agents:search?city=Lisbon&language=pt", None)
        .await;
    assert_eq!(status, 200, "{directory}");
    let names: Vec<&str> = directory["agents"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|a| a["displayName"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["Marta Sousa", "João Ferreira"], "{directory}");

    // The demo project, its units and its timeline.
    let (status, projects) = tour.get("/v1/projects?city=Lisbon", None).await;
    assert_eq!(status, 200, "{projects}");
    let project = projects["projects"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("a project in Lisbon: {projects}"))
        .to_owned();
    let (status, shown) = tour.get(&format!("/v1/{project}"), None).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["displayName"], "Marvila Riverside");
    assert_eq!(shown["progressPercent"], 45, "{shown}");
    assert_eq!(shown["unitCount"], 12, "{shown}");
    let (status, milestones) = tour.get(&format!("/v1/{project}/milestones"), None).await;
    assert_eq!(status, 200, "{milestones}");
    let reached = milestones["milestones"].as_array().map_or(0, |all| {
        all.iter().filter(|m| m["completeTime"].is_string()).count()
    });
    assert_eq!(reached, 2, "{milestones}");

    // Its home for sale, found by project.
    let (status, found) = tour
        .post(
            "/v1/properties:search",
            None,
            json!({"query": {"project": project}}),
        )
        .await;
    assert_eq!(status, 200, "{found}");

    // Reserve an available unit with the test card: reserved once the deposit is taken.
    let (status, available) = tour
        .get(&format!("/v1/{project}/units?state=STATE_AVAILABLE"), None)
        .await;
    assert_eq!(status, 200, "{available}");
    let unit = available["units"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("an available unit: {available}"))
        .to_owned();
    let (status, reservation) = tour
        .post(
            &format!("/v1/{project}/reservations"),
            Some(&token),
            json!({"unit": unit, "paymentMethod": "4242424242424242"}),
        )
        .await;
    assert_eq!(status, 201, "{reservation}");
    assert_eq!(
        reservation["state"], "STATE_PENDING_PAYMENT",
        "{reservation}"
    );
    let mut state = Value::Null;
    for _ in 0..200 {
        let (status, mine) = tour.get("/v1/projects/-/reservations", Some(&token)).await;
        assert_eq!(status, 200, "{mine}");
        state = mine["reservations"][0]["state"].clone();
        if state == "STATE_RESERVED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "STATE_RESERVED");
}
