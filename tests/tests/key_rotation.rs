//! After identity rotates its signing key, no valid token is refused anywhere: every service,
//! called directly over gRPC and through the gateway's REST API, accepts a token signed by the
//! new key at once, keeps accepting one signed by the retired key, and refuses one signed by a
//! key identity never published.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use estospaces::{Platform, PlatformConfig};
use estospaces_auth::{Role, SigningKey, TokenIssuer};
use estospaces_config::{AuthConfig, CommonConfig, Config};
use estospaces_proto::booking_v1::{
    ListBookingsRequest, booking_service_client::BookingServiceClient,
};
use estospaces_proto::identity_v1::{
    GetUserRequest, identity_service_client::IdentityServiceClient,
};
use estospaces_proto::payment_v1::{
    ListPaymentsRequest, payment_service_client::PaymentServiceClient,
};
use estospaces_proto::profile_v1::{
    GetProfileRequest, profile_service_client::ProfileServiceClient,
};
use estospaces_proto::property_v1::{
    ArchivePropertyRequest, property_service_client::PropertyServiceClient,
};
use estospaces_proto::search_v1::{
    ListSavedSearchesRequest, search_service_client::SearchServiceClient,
};
use serde_json::{Value, json};
use tonic::Code;

const PASSWORD: &str = "a long enough password";

/// The platform on embedded defaults in a fresh data directory.
struct Running {
    base: String,
    services: BTreeMap<&'static str, SocketAddr>,
    http: reqwest::Client,
    data_dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(pre_publication: Duration) -> Running {
    let data_dir = tempfile::tempdir().expect("a data dir");
    let mut config = PlatformConfig::default();
    config.common.listen = "127.0.0.1:0".parse().expect("an address");
    config.common.data_dir = data_dir.path().to_owned();
    config.common.shutdown_grace = Duration::from_secs(1);
    config.service.identity.signing_key_pre_publication = pre_publication;
    config.service.gateway.rate_limits.enabled = false;
    let platform = Platform::build(config).await.expect("the platform builds");
    let base = format!("http://{}", platform.local_addr());
    let services = platform.service_addrs();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(platform.run(async {
        let _ = stopped.await;
    }));
    let running = Running {
        base,
        services,
        http: reqwest::Client::new(),
        data_dir,
        _stop: stop,
    };
    for _ in 0..100 {
        if let Ok(response) = running.http.get(running.url("/readyz")).send().await
            && response.status().is_success()
        {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the platform did not become ready within 10 s");
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut request = self.http.post(self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// Registers `email` and returns its user id.
    async fn register(&self, email: &str) -> String {
        let user = self
            .post(
                "/v1/users:register",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        user["name"]
            .as_str()
            .and_then(|name| name.strip_prefix("users/"))
            .expect("users/{id}")
            .to_owned()
    }

    async fn login(&self, email: &str) -> String {
        let session = self
            .post(
                "/v1/sessions:login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        session["accessToken"].as_str().expect("a token").to_owned()
    }

    /// An account that is an admin, and its token.
    async fn admin(&self) -> String {
        self.register("admin@example.com").await;
        let config = Config {
            common: CommonConfig {
                data_dir: self.data_dir.path().to_owned(),
                ..CommonConfig::default()
            },
            service: estospaces_identity::IdentitySettings::default(),
        };
        estospaces_identity::admin::grant_admin(&config, "admin@example.com")
            .await
            .expect("granted");
        self.login("admin@example.com").await
    }

    /// Calls an authenticated RPC of every service with `token`, directly and through the
    /// gateway, and returns each answer's gRPC code (the gateway's as `gateway <service>`).
    async fn call_everything(&self, user: &str, token: &str) -> BTreeMap<String, Code> {
        let mut codes = BTreeMap::new();
        let channel = |service: &str| {
            tonic::transport::Endpoint::from_shared(format!("http://{}", self.services[service]))
                .expect("a URI")
                .connect_lazy()
        };
        let code =
            |result: Result<(), tonic::Status>| result.map_or_else(|s| s.code(), |()| Code::Ok);
        let name = format!("users/{user}");

        codes.insert(
            "identity".to_owned(),
            code(
                IdentityServiceClient::new(channel("identity"))
                    .get_user(authorized(token, GetUserRequest { name: name.clone() }))
                    .await
                    .map(drop),
            ),
        );
        codes.insert(
            "profile".to_owned(),
            code(
                ProfileServiceClient::new(channel("profile"))
                    .get_profile(authorized(
                        token,
                        GetProfileRequest {
                            name: format!("{name}/profile"),
                        },
                    ))
                    .await
                    .map(drop),
            ),
        );
        codes.insert(
            "property".to_owned(),
            code(
                PropertyServiceClient::new(channel("property"))
                    .archive_property(authorized(
                        token,
                        ArchivePropertyRequest {
                            name: "properties/00000000-0000-7000-8000-000000000000".to_owned(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        );
        codes.insert(
            "booking".to_owned(),
            code(
                BookingServiceClient::new(channel("booking"))
                    .list_bookings(authorized(token, ListBookingsRequest::default()))
                    .await
                    .map(drop),
            ),
        );
        codes.insert(
            "payment".to_owned(),
            code(
                PaymentServiceClient::new(channel("payment"))
                    .list_payments(authorized(token, ListPaymentsRequest::default()))
                    .await
                    .map(drop),
            ),
        );
        codes.insert(
            "search".to_owned(),
            code(
                SearchServiceClient::new(channel("search"))
                    .list_saved_searches(authorized(
                        token,
                        ListSavedSearchesRequest {
                            parent: name.clone(),
                        },
                    ))
                    .await
                    .map(drop),
            ),
        );

        for (service, method, path) in [
            ("identity", "GET", format!("/v1/{name}")),
            ("profile", "GET", format!("/v1/{name}/profile")),
            (
                "property",
                "POST",
                "/v1/properties/00000000-0000-7000-8000-000000000000:archive".to_owned(),
            ),
            ("booking", "GET", "/v1/bookings".to_owned()),
            ("payment", "GET", "/v1/payments".to_owned()),
            ("search", "GET", format!("/v1/{name}/savedSearches")),
        ] {
            let request = match method {
                "GET" => self.http.get(self.url(&path)),
                _ => self.http.post(self.url(&path)).json(&json!({})),
            };
            let response = request.bearer_auth(token).send().await.expect("an answer");
            let code = match response.status().as_u16() {
                401 => Code::Unauthenticated,
                status if status < 400 => Code::Ok,
                _ => Code::Unknown,
            };
            codes.insert(format!("gateway {service}"), code);
        }
        codes
    }
}

fn authorized<T>(token: &str, message: T) -> tonic::Request<T> {
    estospaces_testing::authorized(message, token)
}

fn kid(token: &str) -> String {
    estospaces_auth::remote::token_kid(token).expect("a kid")
}

fn refused(codes: &BTreeMap<String, Code>) -> Vec<&String> {
    codes
        .iter()
        .filter(|(_, code)| **code == Code::Unauthenticated)
        .map(|(service, _)| service)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_by_a_key_rotated_in_a_moment_ago_is_accepted_by_every_service_at_once() {
    // No pre-publication window: the new key signs at once, so every service meets it as an
    // unknown key id and must fetch the key set before verifying.
    let platform = start(Duration::ZERO).await;
    let admin = platform.admin().await;
    let user = platform.register("ana@example.com").await;
    let old_token = platform.login("ana@example.com").await;
    // Every service has loaded the key set with the first key.
    assert!(refused(&platform.call_everything(&user, &old_token).await).is_empty());

    let rotated = platform
        .post("/v1/signingKeys:rotate", Some(&admin), json!({}))
        .await;
    let new_token = platform.login("ana@example.com").await;
    assert_eq!(
        kid(&new_token),
        rotated["kid"].as_str().expect("the new kid")
    );
    assert_ne!(kid(&new_token), kid(&old_token));

    let codes = platform.call_everything(&user, &new_token).await;
    assert_eq!(refused(&codes), Vec::<&String>::new(), "{codes:?}");
    assert_eq!(codes.len(), 12);

    // The retired key's tokens live out their lifetime.
    let codes = platform.call_everything(&user, &old_token).await;
    assert_eq!(refused(&codes), Vec::<&String>::new(), "{codes:?}");

    // A key identity never published is refused everywhere, after the fetch it causes.
    let auth = AuthConfig::default();
    let forged = TokenIssuer::new(
        SigningKey::generate(),
        &auth.issuer,
        &auth.audience,
        Duration::from_secs(60),
    )
    .issue(&user, &[Role::Guest])
    .token;
    let codes = platform.call_everything(&user, &forged).await;
    assert_eq!(refused(&codes).len(), 12, "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_published_before_it_signs_and_the_old_key_signs_until_then() {
    let window = Duration::from_secs(2);
    let platform = start(window).await;
    let admin = platform.admin().await;
    let user = platform.register("ana@example.com").await;
    let before = platform.login("ana@example.com").await;

    let rotated = platform
        .post("/v1/signingKeys:rotate", Some(&admin), json!({}))
        .await;
    let new_kid = rotated["kid"].as_str().expect("the new kid").to_owned();
    let jwks: Value = platform
        .http
        .get(platform.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert!(published.contains(&new_kid.as_str()), "{published:?}");
    assert!(published.contains(&kid(&before).as_str()), "{published:?}");

    let during = platform.login("ana@example.com").await;
    assert_eq!(kid(&during), kid(&before), "the new key does not sign yet");

    tokio::time::sleep(window + Duration::from_millis(200)).await;
    let after = platform.login("ana@example.com").await;
    assert_eq!(
        kid(&after),
        new_kid,
        "the new key signs once the window has passed"
    );
    let codes = platform.call_everything(&user, &after).await;
    assert_eq!(refused(&codes), Vec::<&String>::new(), "{codes:?}");
}
