//! The delivery queue: retries, dead letters and replays, text messages, quiet hours, rate
//! limits and digests; and the Twilio adapter against a local stand-in for Twilio's API.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use estospaces_notification::NotificationSettings;
use estospaces_notification::channels::{SendError, SmsProvider as _, TwilioSms};
use estospaces_notification::domain::{Category, Channel, UserId};
use estospaces_notification::store::{self, NewDelivery, NotificationStore};
use estospaces_proto::notification_v1 as pb;
use estospaces_proto::search_v1 as search;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{
    TestApp, User, authorized, confirm_booking, eventually, on_both_backends, quick_settings,
    spawn_app, spawn_app_with,
};

/// The first of `user`'s deliveries for which `matches` holds, waiting for it.
async fn delivery_where(
    app: &TestApp,
    user: &User,
    what: &str,
    matches: impl Fn(&pb::Delivery) -> bool,
) -> pb::Delivery {
    eventually(what, || {
        let mut client = app.notification.clone();
        let user = user.clone();
        let found = async move {
            client
                .list_deliveries(authorized(
                    pb::ListDeliveriesRequest {
                        parent: user.name.clone(),
                        ..Default::default()
                    },
                    &user.token,
                ))
                .await
                .ok()
                .map(|r| r.into_inner().deliveries)
        };
        let matches = &matches;
        async move { found.await?.into_iter().find(|d| matches(d)) }
    })
    .await
}

async fn set_sms(app: &mut TestApp, user: &User, quiet: Option<pb::QuietHours>) {
    let preferences = pb::NotificationPreferences {
        name: format!("{}/notificationPreferences", user.name),
        categories: vec![pb::CategoryChannels {
            category: pb::Category::Bookings as i32,
            channels: vec![pb::Channel::InApp as i32, pb::Channel::Sms as i32],
        }],
        phone_number: "+351912345678".to_owned(),
        quiet_hours: quiet,
        ..Default::default()
    };
    app.notification
        .update_notification_preferences(authorized(
            pb::UpdateNotificationPreferencesRequest {
                preferences: Some(preferences),
                update_mask: Some(FieldMask {
                    paths: ["categories", "phone_number", "quiet_hours"]
                        .map(str::to_owned)
                        .to_vec(),
                }),
            },
            &user.token,
        ))
        .await
        .expect("the owner updates");
}

on_both_backends! {
    async fn an_unreachable_smtp_server_is_retried_then_dead_lettered_and_an_admin_replays_it(backend: Backend) {
        let closed = estospaces_testing::free_port();
        let settings = NotificationSettings {
            smtp_url: Some(format!("smtp://127.0.0.1:{closed}").into()),
            ..quick_settings()
        };
        let mut app = spawn_app_with(backend, settings).await;
        let admin = app.admin().await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        confirm_booking(&app, "b-1", &guest, &host).await;

        let dead = delivery_where(&app, &guest, "a dead-lettered email", |d| {
            d.template == "booking_confirmed_guest" && d.state == pb::delivery::State::DeadLettered as i32
        })
        .await;
        assert_eq!(dead.attempts, 3);
        assert!(dead.last_error.contains("SMTP"), "{}", dead.last_error);

        let queued = app
            .notification
            .retry_delivery(authorized(pb::RetryDeliveryRequest { name: dead.name.clone() }, &admin.token))
            .await
            .expect("admins replay dead letters")
            .into_inner()
            .delivery
            .expect("the delivery");
        assert_eq!(queued.state, pb::delivery::State::Queued as i32);
        assert_eq!(queued.attempts, 0);
        let again = app
            .notification
            .retry_delivery(authorized(pb::RetryDeliveryRequest { name: dead.name.clone() }, &admin.token))
            .await
            .expect_err("only dead letters are replayed");
        assert_eq!(again.code(), Code::FailedPrecondition);
        // The replay fails again on the closed port: back among the dead letters, not lost.
        delivery_where(&app, &guest, "dead-lettered again", |d| d.name == dead.name && d.state == pb::delivery::State::DeadLettered as i32).await;
    }

    async fn text_messages_go_to_the_sandbox_log_and_wait_out_quiet_hours(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        set_sms(&mut app, &host, None).await;
        confirm_booking(&app, "b-1", &guest, &host).await;
        let sent = delivery_where(&app, &host, "a sent text", |d| d.channel == pb::Channel::Sms as i32).await;
        let sent = eventually("the text sent", || {
            let mut client = app.notification.clone();
            let host = host.clone();
            let name = sent.name.clone();
            async move {
                client.list_deliveries(authorized(pb::ListDeliveriesRequest { parent: host.name.clone(), channel: pb::Channel::Sms as i32, ..Default::default() }, &host.token))
                    .await.ok()?.into_inner().deliveries.into_iter()
                    .find(|d| d.name == name && d.state == pb::delivery::State::Sent as i32)
            }
        })
        .await;
        assert_eq!(sent.recipient, "+3519******78");
        assert!(sent.text.contains("New booking"), "the sandbox keeps the text: {}", sent.text);

        // Quiet from a minute ago for an hour (UTC): the next text waits, it is not dropped.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
        let minute = i32::try_from((now / 60) % 1440).expect("a minute of the day");
        set_sms(&mut app, &host, Some(pb::QuietHours { start_minute: (minute + 1439) % 1440, end_minute: (minute + 60) % 1440 })).await;
        confirm_booking(&app, "b-2", &guest, &host).await;
        let held = delivery_where(&app, &host, "a held text", |d| {
            d.channel == pb::Channel::Sms as i32 && d.name != sent.name && d.state == pb::delivery::State::Queued as i32
                && d.next_attempt_time.as_ref().is_some_and(|t| t.seconds as u64 > now + 50 * 60)
        })
        .await;
        assert_eq!(held.attempts, 0, "waiting is not a failed attempt");
    }

    async fn a_recipient_over_the_hourly_limit_is_skipped_but_keeps_the_inbox(backend: Backend) {
        let settings = NotificationSettings { hourly_limit_per_recipient: 1, ..quick_settings() };
        let mut app = spawn_app_with(backend, settings).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        confirm_booking(&app, "b-1", &guest, &host).await;
        delivery_where(&app, &guest, "the first email sent", |d| {
            d.template == "booking_confirmed_guest" && d.state == pb::delivery::State::Sent as i32
        })
        .await;
        confirm_booking(&app, "b-2", &guest, &host).await;
        let skipped = delivery_where(&app, &guest, "the second email skipped", |d| d.state == pb::delivery::State::Skipped as i32).await;
        assert!(skipped.last_error.contains("rate limited"), "{}", skipped.last_error);
        assert_eq!(app.inbox(&guest).await.notifications.len(), 2);
    }

    async fn saved_search_matches_reach_the_inbox_at_once_and_email_as_one_digest(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        for (i, title) in ["Loft by the river", "Quiet studio"].into_iter().enumerate() {
            let matched = search::AlertMatched {
                user: ann.name.clone(),
                saved_search: format!("{}/savedSearches/s-1", ann.name),
                property: format!("properties/p-{i}"),
                reason: search::AlertReason::NewListing as i32,
                title: title.to_owned(),
                price: 9_900,
                currency_code: "EUR".to_owned(),
            };
            app.publish("search", &format!("alert-{i}"), "search.alert_matched", &ann.name, &matched).await;
        }
        eventually("both matches in the inbox", || {
            let mut client = app.notification.clone();
            let ann = ann.clone();
            async move {
                let inbox = client.list_notifications(authorized(pb::ListNotificationsRequest { parent: ann.name.clone(), ..Default::default() }, &ann.token)).await.ok()?.into_inner();
                (inbox.notifications.len() == 2).then_some(())
            }
        })
        .await;
        delivery_where(&app, &ann, "a digest", |d| d.template == "alert_digest" && d.state == pb::delivery::State::Sent as i32).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let deliveries = app.deliveries(&ann).await;
        let digests = deliveries.iter().filter(|d| d.template == "alert_digest").count();
        assert_eq!(digests, 1, "at most one digest a day: {deliveries:?}");
        assert!(deliveries.iter().all(|d| d.template != "alert_matched"), "no email per match on the daily digest");
    }
}

/// One request to the stand-in: its `authorization` header and its form fields.
type Request = (Option<String>, Vec<(String, String)>);

/// What the stand-in for Twilio's API received.
#[derive(Debug, Clone, Default)]
struct Received(Arc<Mutex<Vec<Request>>>);

async fn fake_twilio() -> (String, Received) {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    let received = Received::default();
    let app = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/AC123/Messages.json",
            axum::routing::post(
                |State(received): State<Received>, headers: HeaderMap, axum::Form(form): axum::Form<Vec<(String, String)>>| async move {
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let to = form.iter().find(|(k, _)| k == "To").map(|(_, v)| v.clone()).unwrap_or_default();
                    received.0.lock().expect("lock").push((auth, form));
                    match to.as_str() {
                        "+15005550006" => (StatusCode::CREATED, axum::Json(serde_json::json!({"sid": "SM123"}))),
                        "+15005550009" => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"message": "busy"}))),
                        _ => (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"message": "The 'To' number is not a valid phone number."}))),
                    }
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

#[tokio::test]
async fn the_twilio_adapter_posts_the_form_with_basic_auth_and_tells_permanent_from_transient_failures()
 {
    let (base, received) = fake_twilio().await;
    let twilio = TwilioSms::new(
        &base,
        "AC123".to_owned(),
        "s3cret".to_owned().into(),
        "+15005550000".to_owned(),
        Duration::from_secs(5),
    )
    .expect("an adapter");

    assert_eq!(
        twilio.send("+15005550006", "hello").await,
        Ok("SM123".to_owned())
    );
    assert!(matches!(
        twilio.send("+15005550009", "hello").await,
        Err(SendError::Transient(_))
    ));
    let refused = twilio.send("+15005550001", "hello").await;
    assert!(
        matches!(&refused, Err(SendError::Permanent(why)) if why.contains("not a valid phone number")),
        "{refused:?}"
    );

    let received = received.0.lock().expect("lock").clone();
    let (auth, form) = &received[0];
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC123:s3cret")
    );
    assert_eq!(auth.as_deref(), Some(expected.as_str()));
    assert!(form.contains(&("From".to_owned(), "+15005550000".to_owned())));
    assert!(form.contains(&("Body".to_owned(), "hello".to_owned())));
}

on_both_backends! {
    async fn a_recipient_without_an_address_is_skipped_with_the_reason_and_a_paid_host_is_told(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let host = app.user("hana@example.com").await;
        // A guest identity never told us about: no email address.
        let stranger = User { name: "users/0190b6a0-0000-7000-8000-00000000abcd".to_owned(), token: String::new() };
        confirm_booking(&app, "b-1", &stranger, &host).await;
        let skipped = eventually("the skipped email", || {
            let mut client = app.notification.clone();
            let admin = admin.clone();
            async move {
                client
                    .list_deliveries(authorized(pb::ListDeliveriesRequest { parent: "users/-".to_owned(), state: pb::delivery::State::Skipped as i32, ..Default::default() }, &admin.token))
                    .await
                    .ok()?
                    .into_inner()
                    .deliveries
                    .into_iter()
                    .find(|d| d.template == "booking_confirmed_guest")
            }
        })
        .await;
        assert!(skipped.last_error.contains("no email address"), "{}", skipped.last_error);

        let paid = estospaces_proto::payment_v1::PayoutPaid {
            payout: "payouts/po-1".to_owned(),
            booking: "bookings/b-1".to_owned(),
            host: host.name.clone(),
            amount: 22_500,
            currency_code: "EUR".to_owned(),
        };
        app.publish("payment", "evt-payout", "payment.payout_paid", "payouts/po-1", &paid).await;
        let told = delivery_where(&app, &host, "the payout email", |d| d.template == "payout_paid").await;
        assert_eq!(told.channel, pb::Channel::Email as i32);
        let inbox = app.inbox(&host).await;
        assert!(inbox.notifications.iter().any(|n| n.title == "You were paid EUR 225.00"), "{inbox:?}");
    }
}

on_both_backends! {
    async fn two_senders_taking_due_deliveries_at_once_never_take_the_same_one(backend: Backend) {
        let db = crate::helpers::database(backend, store::MIGRATIONS).await;
        let store = NotificationStore::new(db.database.clone());
        let user = UserId(uuid::Uuid::now_v7());
        let now = SystemTime::now();
        let mut tx = db.database.begin().await.expect("begin");
        for n in 0..40 {
            let delivery = NewDelivery {
                user,
                dedupe_key: format!("test:{n}"),
                channel: Channel::Email,
                category: Category::Bookings,
                template: "booking_confirmed".to_owned(),
                address: "guest@example.com".to_owned(),
                title: format!("message {n}"),
                text_body: String::new(),
                html_body: String::new(),
                unsubscribe_url: String::new(),
                skipped_because: None,
            };
            assert!(store::insert_delivery_in(&mut tx, &delivery, now).await.expect("queued"));
        }
        tx.commit().await.expect("commit");

        let later = now + Duration::from_secs(1);
        let lease = Duration::from_secs(60);
        let (first, second) = tokio::join!(
            store.claim_due(later, lease, 32),
            store.claim_due(later, lease, 32)
        );
        let (first, second) = (first.expect("first sender"), second.expect("second sender"));
        // The loser of a race over the same rows may come away with fewer; the next pass
        // takes the rest.
        let rest = store.claim_due(later, lease, 32).await.expect("the next pass");

        let all: Vec<_> = first.iter().chain(&second).chain(&rest).collect();
        let mut taken: Vec<_> = all.iter().map(|d| d.id).collect();
        taken.sort();
        taken.dedup();
        assert_eq!(taken.len(), all.len(), "a delivery was taken twice");
        assert_eq!(taken.len(), 40);
        assert!(all.iter().all(|d| d.attempts == 1));
        assert!(first.windows(2).all(|w| w[0].next_attempt_at <= w[1].next_attempt_at));
        // Held by their lease: nobody takes them again until it runs out.
        assert!(store.claim_due(later, lease, 32).await.expect("again").is_empty());
        assert_eq!(store.claim_due(later + lease, lease, 32).await.expect("after").len(), 32);
    }
}
