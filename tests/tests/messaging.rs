//! Messaging through the gateway as users see it: REST and server-sent events on the single
//! binary, and two browser pages talking over grpc-web.

use std::time::Duration;

use estospaces::seed::DEMO_PASSWORD;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform_with};
use serde_json::{Value, json};

/// A platform with a few listings; its first short stay and that listing's host's token.
async fn platform_with_a_stay(
    configure: impl FnOnce(&mut estospaces::PlatformConfig),
) -> (Tour, Value, String, String) {
    let tour = start_seeded_platform_with(4, configure).await;
    let (_, listings) = tour
        .get(
            "/v1/properties?kind=LISTING_KIND_SHORT_STAY&pageSize=50",
            None,
        )
        .await;
    let listing = listings["properties"][0].clone();
    let (_, email, host) = tour.host_of(&listing).await;
    (tour, listing, email, host)
}

fn error_reason(body: &Value) -> String {
    body["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|detail| detail["reason"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn over_rest_a_guest_asks_and_the_hosts_event_stream_shows_it_with_contact_details_hidden() {
    let (tour, listing, _, host) = platform_with_a_stay(|_| {}).await;
    let owner = listing["owner"].as_str().expect("an owner");
    let mut stream = tour
        .http
        .get(format!("{}/v1/{owner}/conversations:stream", tour.base))
        .bearer_auth(&host)
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(stream.status(), 200);

    // The seed left the host a conversation of their own.
    let (_, before) = tour
        .get(&format!("/v1/{owner}/conversations"), Some(&host))
        .await;
    let unread_before = before["totalUnreadCount"].as_i64().unwrap_or(0);
    let guest = tour.sign_up("gia@example.com").await;
    let (status, inquiry) = tour
        .post(
            "/v1/conversations:inquire",
            Some(&guest),
            json!({"listing": listing["name"], "message": {"text": "Write to gia@example.com please", "requestId": "q1"}}),
        )
        .await;
    assert_eq!(status, 200, "{inquiry}");
    assert_eq!(inquiry["message"]["text"], "Write to [hidden] please");
    assert_eq!(inquiry["message"]["contactDetailsMasked"], true);

    let mut events = String::new();
    while !events.contains("Write to [hidden] please") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .expect("a chunk");
        events.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        events.starts_with("data:") || events.contains("\ndata:"),
        "{events}"
    );
    assert!(
        !events.contains("gia@example.com"),
        "the address never reaches the host"
    );

    let conversation = inquiry["conversation"]["name"].as_str().expect("a name");
    let (status, listed) = tour
        .get(&format!("/v1/{owner}/conversations"), Some(&host))
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["conversations"][0]["name"], conversation);
    assert_eq!(listed["totalUnreadCount"], unread_before + 1, "{listed}");
}

#[tokio::test]
async fn over_rest_blocked_rate_limited_and_foreign_conversations_are_refused_with_their_reasons() {
    let (tour, listing, _, host) = platform_with_a_stay(|config| {
        config.service.messaging.messages_per_minute = 3;
    })
    .await;
    let guest = tour.sign_up("bo@example.com").await;
    let (status, inquiry) = tour
        .post(
            "/v1/conversations:inquire",
            Some(&guest),
            json!({"listing": listing["name"], "message": {"text": "Hi"}}),
        )
        .await;
    assert_eq!(status, 200, "{inquiry}");
    let conversation = inquiry["conversation"]["name"]
        .as_str()
        .expect("a name")
        .to_owned();
    let messages = format!("/v1/{conversation}/messages");

    // Another user may neither read nor write it: 403, whether or not it exists.
    let stranger = tour.sign_up("eve@example.com").await;
    let (status, body) = tour.get(&messages, Some(&stranger)).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = tour
        .post(&messages, Some(&stranger), json!({"text": "let me in"}))
        .await;
    assert_eq!(status, 403, "{body}");
    let missing = format!("/v1/conversations/{}", uuid::Uuid::now_v7());
    let (status, _) = tour.get(&missing, Some(&stranger)).await;
    assert_eq!(
        status, 403,
        "nothing tells a stranger which conversations exist"
    );

    // Past the rate: 429 with the reason and when to come back.
    for text in ["two", "three"] {
        let (status, body) = tour
            .post(&messages, Some(&guest), json!({"text": text}))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let response = tour
        .http
        .post(format!("{}{messages}", tour.base))
        .bearer_auth(&guest)
        .json(&json!({"text": "four"}))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), 429);
    assert!(
        response.headers().contains_key("retry-after"),
        "{:?}",
        response.headers()
    );
    let body: Value = response.json().await.expect("a status");
    assert_eq!(error_reason(&body), "TOO_MANY_MESSAGES", "{body}");

    // The host blocks the guest: neither writes to the other.
    let owner = listing["owner"].as_str().expect("an owner");
    let (_, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "bo@example.com", "password": "a long enough password"}),
        )
        .await;
    let guest_name = session["user"].as_str().expect("a user");
    let (status, block) = tour
        .post(
            &format!("/v1/{owner}/blocks"),
            Some(&host),
            json!({"blockedUser": guest_name}),
        )
        .await;
    assert_eq!(status, 201, "{block}");
    let (status, body) = tour
        .post(&messages, Some(&host), json!({"text": "bye"}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_reason(&body), "BLOCKED", "{body}");
    let (status, thread) = tour.get(&messages, Some(&host)).await;
    assert_eq!(status, 200);
    assert_eq!(
        thread["messages"].as_array().map_or(0, Vec::len),
        3,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn two_browser_pages_talk_over_grpc_web_live_and_a_reconnect_loses_and_repeats_nothing() {
    let (tour, listing, host_email, _) = platform_with_a_stay(|config| {
        config.service.gateway.cors_allowed_origins = vec!["*".to_owned()];
    })
    .await;
    let query = format!(
        "&listing={}&hostEmail={host_email}&hostPassword={DEMO_PASSWORD}",
        listing["name"].as_str().expect("a name"),
    );
    let result = tour.run_browser_page("messaging", query).await;
    for (what, key) in [
        ("typing indicator", "typingMs"),
        ("message", "messageMs"),
        ("read receipt", "receiptMs"),
    ] {
        let ms = result[key].as_f64().expect("a time");
        assert!(ms < 1000.0, "the {what} took {ms} ms: {result}");
    }
    assert_eq!(result["unreadWhenHeard"], 2, "{result}");
    assert_eq!(
        result["resumed"],
        json!([
            "Late arrival is fine",
            "The key is in the lockbox",
            "Code 4821"
        ]),
        "{result}"
    );
    assert_eq!(result["duplicate"], "", "{result}");
    eprintln!(
        "browser: typing {:.0} ms, message {:.0} ms, read receipt {:.0} ms",
        result["typingMs"].as_f64().unwrap_or_default(),
        result["messageMs"].as_f64().unwrap_or_default(),
        result["receiptMs"].as_f64().unwrap_or_default()
    );
}

#[tokio::test]
async fn a_host_who_is_not_connected_finds_the_unread_message_in_their_notifications() {
    let (tour, listing, _, host) = platform_with_a_stay(|config| {
        config.service.messaging.reminder_delay = Duration::from_millis(200);
        config.service.messaging.reminder_check_interval = Duration::from_millis(100);
    })
    .await;
    let owner = listing["owner"].as_str().expect("an owner");
    let guest = tour.sign_up("cleo@example.com").await;
    let (status, inquiry) = tour
        .post(
            "/v1/conversations:inquire",
            Some(&guest),
            json!({"listing": listing["name"], "message": {"text": "Is there a cot for a baby?"}}),
        )
        .await;
    assert_eq!(status, 200, "{inquiry}");
    let conversation = inquiry["conversation"]["name"].as_str().expect("a name");

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let reminder = loop {
        let (status, inbox) = tour
            .get(&format!("/v1/{owner}/notifications"), Some(&host))
            .await;
        assert_eq!(status, 200, "{inbox}");
        if let Some(found) = inbox["notifications"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["template"] == "unread_messages" && n["subject"] == conversation)
        {
            break found.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no reminder: {inbox}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(reminder["category"], "CATEGORY_MESSAGES", "{reminder}");
    assert!(
        reminder["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Is there a cot for a baby?"),
        "{reminder}"
    );
}
