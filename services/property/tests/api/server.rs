use std::time::Duration;

use estospaces_auth::{Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{Event, EventLog};
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{
    Backend, authorized, on_both_backends, reason, short_stay, spawn_app, spawn_app_with,
};

on_both_backends! {
    async fn events_are_relayed_to_the_embedded_event_log(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;
        let log = EventLog::open(&app.data_dir.path().join("events.db"))
            .await
            .expect("the service's event log");

        let mut delivered = Vec::new();
        for _ in 0..100 {
            delivered = log.read("estospaces.property.v1", 0, 10).await.expect("readable");
            if !delivered.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        assert_eq!(delivered.len(), 1, "the relay published the outbox");
        let event = Event::decode(&delivered[0].payload).expect("an envelope");
        assert_eq!(event.event_type(), "property.listed");
        let listed: pb::PropertyListed = event.payload().expect("a PropertyListed");
        assert_eq!(listed.property.expect("a snapshot").name, listing.name);
    }
}

/// With brokers configured, the relay publishes to Kafka (the local tansu broker).
#[tokio::test]
async fn with_kafka_brokers_configured_events_are_relayed_to_kafka() {
    let brokers = std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS")
        .unwrap_or_else(|_| "127.0.0.1:9092".to_owned());
    let mut app = spawn_app_with(Backend::Postgres, |config| {
        config.common.kafka_brokers = Some(brokers.clone());
    })
    .await;
    let host = app.token(&[Role::Host]);
    let listing = app.published_short_stay(&host).await;
    let key = listing.name.trim_start_matches("properties/").to_owned();

    let kafka = estospaces_kafka::KafkaConfig::new(brokers);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let record = loop {
        let records =
            estospaces_kafka::read_topic(&kafka, "estospaces.property.v1", Duration::from_secs(1))
                .await
                .expect("the topic is readable");
        if let Some(record) = records
            .into_iter()
            .find(|r| r.key.as_deref() == Some(key.as_str()))
        {
            break record;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the event never reached Kafka"
        );
    };

    let event = Event::decode(&record.payload).expect("an envelope");
    assert_eq!(event.event_type(), "property.listed");
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("the service accepts connections")
}

/// The production path: the property service fetches the identity service's key set and
/// verifies the tokens identity issues.
#[tokio::test]
async fn tokens_issued_by_the_identity_service_are_verified_with_its_published_keys() {
    let identity_db = TestDatabase::sqlite(&[
        estospaces_identity::store::MIGRATIONS,
        estospaces_events::MIGRATIONS,
    ])
    .await
    .expect("a database");
    let common = |database: &TestDatabase| CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(database.url.clone().into()),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    };
    let identity = estospaces_identity::build(estospaces_identity::IdentityConfig {
        common: common(&identity_db),
        service: Default::default(),
    })
    .await
    .expect("identity builds");
    let identity_addr = identity.local_addr();
    let (stop_identity, identity_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(identity.run(async {
        let _ = identity_stopped.await;
    }));

    let property_db = TestDatabase::sqlite(&[estospaces_property::store::MIGRATIONS])
        .await
        .expect("a database");
    let data_dir = tempfile::tempdir().expect("a data dir");
    let mut config = common(&property_db);
    config.data_dir = data_dir.path().to_owned();
    config.auth.identity_url = Some(format!("http://{identity_addr}"));
    let property = estospaces_property::build(estospaces_property::PropertyConfig {
        common: config,
        service: Default::default(),
    })
    .await
    .expect("property builds");
    let property_addr = property.local_addr();
    let (stop_property, property_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(property.run(async {
        let _ = property_stopped.await;
    }));

    let mut users = IdentityServiceClient::new(connect(identity_addr).await);
    let credentials = || identity::RegisterUserRequest {
        email: "ann@example.com".to_owned(),
        password: "correct horse battery staple".to_owned(),
    };
    users
        .register_user(credentials())
        .await
        .expect("registered");
    let token = users
        .login(identity::LoginRequest {
            email: credentials().email,
            password: credentials().password,
        })
        .await
        .expect("signed in")
        .into_inner()
        .access_token;
    let mut listings = PropertyServiceClient::new(connect(property_addr).await);
    let create = |token: &str| {
        authorized(
            pb::CreatePropertyRequest {
                property: Some(short_stay()),
                request_id: String::new(),
            },
            token,
        )
    };

    // The key set arrives in the background; until then tokens are unauthenticated.
    let mut status = None;
    for _ in 0..100 {
        let err = listings
            .create_property(create(&token))
            .await
            .expect_err("a guest");
        if err.code() != Code::Unauthenticated {
            status = Some(err);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("the token was verified");
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a verified guest, not a host"
    );

    let forger = TokenIssuer::new(
        SigningKey::generate(),
        "https://identity.estospaces.dev",
        "estospaces",
        Duration::from_secs(60),
    );
    let forged = forger
        .issue(&uuid::Uuid::now_v7().to_string(), &[Role::Admin])
        .token;
    let status = listings
        .create_property(create(&forged))
        .await
        .expect_err("forged");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(!reason(&status).is_empty());

    let _ = (stop_identity.send(()), stop_property.send(()));
}
