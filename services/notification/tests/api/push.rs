//! Web Push against a local stand-in for a browser's push service: the stand-in checks the
//! VAPID signature and decrypts each message with the browser's keys, as a browser would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use estospaces_notification::NotificationSettings;
use estospaces_proto::notification_v1 as pb;
use p256::ecdsa::signature::Verifier as _;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use prost_types::FieldMask;
use sha2::Sha256;
use tonic::Code;

use crate::helpers::{
    TestApp, User, authorized, bad_fields, confirm_booking, eventually, on_both_backends,
    quick_settings, spawn_app_with,
};

/// A browser's side of a subscription: its key pair and authentication secret.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Self {
        Self {
            secret: p256::SecretKey::random(&mut rand::rngs::OsRng),
            auth: rand::random(),
        }
    }

    fn p256dh(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// Opens an `aes128gcm` body encrypted for this browser (RFC 8291).
    fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        let (salt, rest) = body.split_at(16);
        let id_len = rest[4] as usize;
        let (server_key, sealed) = rest[5..].split_at(id_len);
        let server = p256::PublicKey::from_sec1_bytes(server_key).expect("the server's key");
        let shared =
            p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), server.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(self.secret.public_key().to_encoded_point(false).as_bytes());
        info.extend_from_slice(server_key);
        let mut ikm = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .expect("hkdf");
        let prk = hkdf::Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .expect("hkdf");
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .expect("hkdf");
        let mut plain = aes_gcm::Aes128Gcm::new_from_slice(&cek)
            .expect("a key")
            .decrypt(&aes_gcm::Nonce::from(nonce), sealed)
            .expect("the message opens with the browser's keys");
        assert_eq!(plain.pop(), Some(2), "one record, delimited");
        plain
    }
}

/// A message as the stand-in opened it: the endpoint's path and the plaintext.
type Opened = (String, Vec<u8>);

/// What the stand-in push service received and opened.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Opened>>>);

/// A push service on a loopback port: `/gone/...` answers 410, anything else 201 after checking
/// the VAPID token (signed by the key it names, for this origin).
async fn push_service(browser: Arc<Browser>) -> (String, Received) {
    use axum::http::{HeaderMap, StatusCode, Uri};
    let received = Received::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let origin = format!("http://{}", listener.local_addr().expect("an address"));
    let (record, expected_origin) = (received.clone(), origin.clone());
    let app = axum::Router::new().fallback(
        move |uri: Uri, headers: HeaderMap, body: axum::body::Bytes| {
            let (record, browser, expected_origin) =
                (record.clone(), browser.clone(), expected_origin.clone());
            async move {
                if uri.path().starts_with("/gone/") {
                    return StatusCode::GONE;
                }
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let (token, key) = auth
                    .strip_prefix("vapid t=")
                    .and_then(|rest| rest.split_once(", k="))
                    .expect("a VAPID authorization");
                let (signed, signature) = token.rsplit_once('.').expect("a JWT");
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(
                    &URL_SAFE_NO_PAD.decode(key).expect("base64url"),
                )
                .expect("a P-256 key");
                let signature = p256::ecdsa::Signature::from_slice(
                    &URL_SAFE_NO_PAD.decode(signature).expect("base64url"),
                )
                .expect("r||s");
                key.verify(signed.as_bytes(), &signature)
                    .expect("signed by the key it names");
                let claims: serde_json::Value = serde_json::from_slice(
                    &URL_SAFE_NO_PAD
                        .decode(signed.split('.').nth(1).expect("claims"))
                        .expect("base64url"),
                )
                .expect("JSON");
                assert_eq!(claims["aud"], expected_origin.as_str());
                assert_eq!(
                    headers.get("content-encoding").map(|v| v.as_bytes()),
                    Some(&b"aes128gcm"[..])
                );
                record
                    .0
                    .lock()
                    .expect("lock")
                    .push((uri.path().to_owned(), browser.decrypt(&body)));
                StatusCode::CREATED
            }
        },
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, received)
}

async fn subscribe(
    app: &mut TestApp,
    user: &User,
    endpoint: &str,
    browser: &Browser,
) -> pb::PushSubscription {
    app.notification
        .create_push_subscription(authorized(
            pb::CreatePushSubscriptionRequest {
                parent: user.name.clone(),
                push_subscription: Some(pb::PushSubscription {
                    endpoint: endpoint.to_owned(),
                    p256dh_key: browser.p256dh(),
                    auth_key: URL_SAFE_NO_PAD.encode(browser.auth),
                    ..Default::default()
                }),
            },
            &user.token,
        ))
        .await
        .expect("the owner subscribes")
        .into_inner()
        .push_subscription
        .expect("the subscription")
}

on_both_backends! {
    async fn a_booking_is_pushed_encrypted_to_the_hosts_browser_and_a_gone_subscription_is_forgotten(backend: Backend) {
        let browser = Arc::new(Browser::new());
        let (origin, received) = push_service(browser.clone()).await;
        let settings = NotificationSettings { push_services: vec![origin.clone()], ..quick_settings() };
        let mut app = spawn_app_with(backend, settings).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;

        let config = app.notification.get_push_config(pb::GetPushConfigRequest {}).await.expect("public").into_inner();
        assert_eq!(URL_SAFE_NO_PAD.decode(&config.vapid_public_key).expect("base64url").len(), 65);

        // Refused: a URL of no allowed push service, keys that are not keys.
        let refused = app
            .notification
            .create_push_subscription(authorized(
                pb::CreatePushSubscriptionRequest {
                    parent: host.name.clone(),
                    push_subscription: Some(pb::PushSubscription {
                        endpoint: "http://169.254.169.254/latest/meta-data".to_owned(),
                        p256dh_key: "bm90IGEga2V5".to_owned(),
                        auth_key: "c2hvcnQ".to_owned(),
                        ..Default::default()
                    }),
                },
                &host.token,
            ))
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&refused), ["push_subscription.endpoint", "push_subscription.p256dh_key", "push_subscription.auth_key"]);

        let kept = subscribe(&mut app, &host, &format!("{origin}/push/laptop"), &browser).await;
        assert!(kept.auth_key.is_empty(), "the secret is never returned");
        subscribe(&mut app, &host, &format!("{origin}/gone/old-phone"), &browser).await;
        let preferences = pb::NotificationPreferences {
            name: format!("{}/notificationPreferences", host.name),
            categories: vec![pb::CategoryChannels { category: pb::Category::Bookings as i32, channels: vec![pb::Channel::InApp as i32, pb::Channel::Push as i32] }],
            ..Default::default()
        };
        app.notification
            .update_notification_preferences(authorized(
                pb::UpdateNotificationPreferencesRequest { preferences: Some(preferences), update_mask: Some(FieldMask { paths: vec!["categories".to_owned()] }) },
                &host.token,
            ))
            .await
            .expect("updated");

        confirm_booking(&app, "b-1", &guest, &host).await;
        let opened = eventually("the pushed message", || {
            let received = received.clone();
            async move { received.0.lock().expect("lock").first().cloned() }
        })
        .await;
        assert_eq!(opened.0, "/push/laptop");
        let message: serde_json::Value = serde_json::from_slice(&opened.1).expect("a JSON message");
        assert!(message["title"].as_str().is_some_and(|t| t.starts_with("New booking at")), "{message}");
        assert_eq!(message["link"], "https://stays.example/bookings/b-1");

        // The phone's push service said 410: its subscription is gone, the laptop's stays.
        let remaining = eventually("the gone subscription forgotten", || {
            let mut client = app.notification.clone();
            let host = host.clone();
            async move {
                let all = client
                    .list_push_subscriptions(authorized(pb::ListPushSubscriptionsRequest { parent: host.name.clone() }, &host.token))
                    .await
                    .ok()?
                    .into_inner()
                    .push_subscriptions;
                (all.len() == 1).then_some(all)
            }
        })
        .await;
        assert_eq!(remaining[0].name, kept.name);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(received.0.lock().expect("lock").len(), 1, "one message, to the live subscription");

        // A stranger cannot touch someone's subscriptions; the owner removes theirs.
        let denied = app
            .notification
            .delete_push_subscription(authorized(pb::DeletePushSubscriptionRequest { name: kept.name.clone() }, &guest.token))
            .await
            .expect_err("refused");
        assert_eq!(denied.code(), Code::PermissionDenied);
        app.notification
            .delete_push_subscription(authorized(pb::DeletePushSubscriptionRequest { name: kept.name.clone() }, &host.token))
            .await
            .expect("the owner unsubscribes");
    }
}
