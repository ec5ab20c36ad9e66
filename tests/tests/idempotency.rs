//! Idempotency keys across the platform, as clients use them: REST calls with an
//! `Idempotency-Key` header through the gateway, and gRPC calls whose request carries a
//! `request_id`, against the single binary's services.

use estospaces_platform_tests::crash::stay;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform};
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::booking_v1::booking_service_client::BookingServiceClient;
use serde_json::{Value, json};

/// A REST call with an `Idempotency-Key`: the status, the body and whether it was replayed.
async fn keyed_post(
    tour: &Tour,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: Value,
) -> (u16, Value, bool) {
    let mut request = tour
        .http
        .post(format!("{}{path}", tour.base))
        .header("idempotency-key", key)
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the gateway answers");
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|value| value == "true");
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, replayed)
}

/// An instantly bookable stay's name.
async fn instant_listing(tour: &Tour) -> String {
    let (status, listings) = tour
        .get(
            "/v1/properties?kind=LISTING_KIND_SHORT_STAY&pageSize=50",
            None,
        )
        .await;
    assert_eq!(status, 200, "{listings}");
    listings["properties"]
        .as_array()
        .and_then(|listings| {
            listings
                .iter()
                .find(|listing| listing["bookingMode"] == "BOOKING_MODE_INSTANT")
        })
        .and_then(|listing| listing["name"].as_str())
        .expect("an instantly bookable stay")
        .to_owned()
}

fn booking_body(property: &str, stay_index: usize) -> Value {
    let mut booking = stay(stay_index);
    booking["property"] = json!(property);
    booking["guests"] = json!(1);
    json!({"booking": booking, "paymentMethod": "4242424242424242"})
}

fn error_reason(error: &Value) -> Option<&str> {
    error["details"]
        .as_array()?
        .iter()
        .find_map(|detail| detail["reason"].as_str())
}

#[tokio::test]
async fn a_booking_retried_with_its_idempotency_key_is_created_once_and_a_changed_body_gets_422() {
    let tour = start_seeded_platform(6).await;
    let listing = instant_listing(&tour).await;
    let guest = tour.sign_up("ida@example.com").await;

    let (status, first, replayed) = keyed_post(
        &tour,
        "/v1/bookings",
        Some(&guest),
        "trip-1",
        booking_body(&listing, 0),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert!(!replayed);
    let (status, retry, replayed) = keyed_post(
        &tour,
        "/v1/bookings",
        Some(&guest),
        "trip-1",
        booking_body(&listing, 0),
    )
    .await;
    assert_eq!(status, 201, "{retry}");
    assert!(replayed, "the retry is the stored answer");
    assert_eq!(retry, first, "the same booking, as first answered");

    // Other dates under the same key: refused, nothing booked.
    let (status, refused, _) = keyed_post(
        &tour,
        "/v1/bookings",
        Some(&guest),
        "trip-1",
        booking_body(&listing, 1),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        error_reason(&refused),
        Some("IDEMPOTENCY_KEY_REUSED"),
        "{refused}"
    );
    let (status, mine) = tour.get("/v1/bookings", Some(&guest)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["bookings"].as_array().map(Vec::len), Some(1), "{mine}");

    // Keys are the caller's: another guest's `trip-1` is a booking of their own.
    let other = tour.sign_up("otto@example.com").await;
    let (status, theirs, replayed) = keyed_post(
        &tour,
        "/v1/bookings",
        Some(&other),
        "trip-1",
        booking_body(&listing, 2),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    assert!(!replayed);
    assert_ne!(theirs["name"], first["name"]);
}

#[tokio::test]
async fn a_grpc_create_booking_retried_with_its_request_id_and_other_dates_is_invalid_argument() {
    let tour = start_seeded_platform(6).await;
    let listing = instant_listing(&tour).await;
    let guest = tour.sign_up("grace@example.com").await;
    let mut client = BookingServiceClient::connect(tour.base.clone())
        .await
        .expect("the gateway's gRPC port");
    let request = |stay_index: usize| {
        let body = booking_body(&listing, stay_index);
        let date = |value: &Value| estospaces_proto::property_v1::Date {
            year: value["year"].as_i64().expect("a year") as i32,
            month: value["month"].as_i64().expect("a month") as i32,
            day: value["day"].as_i64().expect("a day") as i32,
        };
        estospaces_testing::authorized(
            pb::CreateBookingRequest {
                booking: Some(pb::Booking {
                    property: listing.clone(),
                    check_in: Some(date(&body["booking"]["checkIn"])),
                    check_out: Some(date(&body["booking"]["checkOut"])),
                    guests: 1,
                    ..Default::default()
                }),
                payment_method: "4242424242424242".to_owned(),
                request_id: "5b0a3c1e-8f0e-4a57-9d6b-2f1f0c6a9e01".to_owned(),
            },
            &guest,
        )
    };
    let first = client.create_booking(request(0)).await.expect("booked");
    let retry = client.create_booking(request(0)).await.expect("the retry");
    assert_eq!(
        retry
            .metadata()
            .get("idempotent-replayed")
            .map(|v| v.to_str().ok()),
        Some(Some("true"))
    );
    assert_eq!(retry.get_ref(), first.get_ref());
    let status = client
        .create_booking(request(1))
        .await
        .expect_err("other dates under the same request id");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        estospaces_testing::reason(&status),
        "IDEMPOTENCY_KEY_REUSED"
    );
}

#[tokio::test]
async fn every_service_answers_a_keyed_creation_once() {
    let tour = start_seeded_platform(6).await;
    let listing = instant_listing(&tour).await;
    let guest = tour.sign_up("eve@example.com").await;
    let (_, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "eve@example.com", "password": "a long enough password"}),
        )
        .await;
    let user = session["user"].as_str().expect("a user").to_owned();
    let cases = [
        // identity, anonymously
        (
            "/v1/users:register".to_owned(),
            None,
            json!({"email": "newcomer@example.com", "password": "a long enough password"}),
        ),
        // search
        (
            format!("/v1/{user}/savedSearches"),
            Some(guest.as_str()),
            json!({"displayName": "Stays", "query": {"kind": "LISTING_KIND_SHORT_STAY"}}),
        ),
        // review
        (
            format!("/v1/{user}/wishlists"),
            Some(guest.as_str()),
            json!({"title": "Summer"}),
        ),
        // messaging
        (
            "/v1/conversations:inquire".to_owned(),
            Some(guest.as_str()),
            json!({"listing": listing, "message": {"text": "Is it free in June?"}}),
        ),
    ];
    for (path, token, body) in cases {
        let (status, first, _) = keyed_post(&tour, &path, token, "once", body.clone()).await;
        assert!((200..300).contains(&status), "{path}: {status} {first}");
        let (status, retry, replayed) = keyed_post(&tour, &path, token, "once", body.clone()).await;
        assert!((200..300).contains(&status), "{path}: {status} {retry}");
        assert!(replayed, "{path}: the retry is replayed");
        assert_eq!(retry, first, "{path}");
        let (status, refused, _) = keyed_post(&tour, &path, token, "once", different(body)).await;
        assert_eq!(status, 422, "{path}: {refused}");
    }
}

/// The same request with one string changed.
fn different(mut body: Value) -> Value {
    fn change(value: &mut Value) -> bool {
        match value {
            Value::String(text) if !text.starts_with("properties/") => {
                text.push('!');
                true
            }
            Value::Object(map) => map.values_mut().any(change),
            _ => false,
        }
    }
    assert!(change(&mut body), "a string to change in {body}");
    body
}
