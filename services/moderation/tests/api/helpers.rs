use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{EventLog, EventSink, OutgoingRecord};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_moderation::store::ModerationStore;
use estospaces_moderation::{ModerationConfig, ModerationSettings};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::moderation_v1 as pb;
use estospaces_proto::moderation_v1::moderation_service_client::ModerationServiceClient;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::{Message, Name};
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// A signed-in user: their id, resource name and access token.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
}

/// Property, review and moderation side by side sharing an event transport (the embedded log
/// in the test's data directory, or Kafka), and a token issuer all trust. Stops them when
/// dropped.
pub struct TestApp {
    pub moderation: ModerationServiceClient<Channel>,
    pub properties: PropertyServiceClient<Channel>,
    pub store: ModerationStore,
    issuer: TokenIssuer,
    log: Option<EventLog>,
    kafka: Option<KafkaConfig>,
    shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
    _databases: [TestDatabase; 3],
    _data_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for shutdown in self.shutdown.drain(..) {
            let _ = shutdown.send(());
        }
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("the service accepts connections")
}

fn run(app: estospaces_host::Application, shutdown: &mut Vec<tokio::sync::oneshot::Sender<()>>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);
}

/// Starts property (holding listings for review as `listing_review` says), review, then
/// moderation pointed at both, on fresh databases of `backend`, with the embedded log (or
/// Kafka when `kafka`).
pub async fn spawn_app_with(backend: Backend, kafka: bool, listing_review: &str) -> TestApp {
    let fresh = |migrations: estospaces_storage::Migrations| async move {
        match backend {
            Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
        }
        .expect("a fresh test database")
    };
    let moderation_db = fresh(estospaces_moderation::store::MIGRATIONS).await;
    let property_db = fresh(estospaces_property::store::MIGRATIONS).await;
    let review_db = fresh(estospaces_review::store::MIGRATIONS).await;
    let data_dir = tempfile::tempdir().expect("a data dir");
    let brokers = kafka.then(|| {
        std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS")
            .unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
    });
    let common = |url: &str| CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(url.to_owned().into()),
        data_dir: data_dir.path().to_owned(),
        kafka_brokers: brokers.clone(),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    };
    let key = SigningKey::generate();
    let jwk = key.public_jwk().clone();
    let keys = || KeySet::new(std::slice::from_ref(&jwk)).expect("an Ed25519 key");
    let defaults = CommonConfig::default();
    let issuer = TokenIssuer::new(
        key,
        &defaults.auth.issuer,
        &defaults.auth.audience,
        Duration::from_secs(3600),
    );
    let mut shutdown = Vec::new();
    // Groups of their own on Kafka: tests running at once must not split a topic's partitions.
    let suffix = uuid::Uuid::now_v7().simple().to_string();

    let mut property_settings: estospaces_property::PropertySettings =
        serde_json::from_value(serde_json::json!({ "listing_review": listing_review }))
            .expect("property settings");
    property_settings.moderation_events_group = format!("property.moderation-events.{suffix}");
    let property_app = estospaces_property::build_with_keys(
        estospaces_property::PropertyConfig {
            common: common(&property_db.url),
            service: property_settings,
        },
        keys(),
    )
    .await
    .expect("the property service builds");
    let property_addr = property_app.local_addr();
    run(property_app, &mut shutdown);

    let review_app = estospaces_review::build_with_keys(
        estospaces_review::ReviewConfig {
            common: common(&review_db.url),
            service: estospaces_review::ReviewSettings {
                property_url: Some(format!("http://{property_addr}")),
                booking_events_group: format!("review.booking-events.{suffix}"),
                messaging_events_group: format!("review.messaging-events.{suffix}"),
                moderation_events_group: format!("review.moderation-events.{suffix}"),
                ..estospaces_review::ReviewSettings::default()
            },
        },
        keys(),
    )
    .await
    .expect("the review service builds");
    let review_addr = review_app.local_addr();
    run(review_app, &mut shutdown);

    let mut moderation_common = common(&moderation_db.url);
    // Suspensions and bans are tried with identity in the platform's tests.
    moderation_common.auth.identity_url = Some("http://127.0.0.1:9".to_owned());
    let config = ModerationConfig {
        common: moderation_common,
        service: ModerationSettings {
            property_url: Some(format!("http://{property_addr}")),
            review_url: Some(format!("http://{review_addr}")),
            events_group: format!("moderation.events.{suffix}"),
            ..ModerationSettings::default()
        },
    };
    let app = estospaces_moderation::build_with_keys(config, keys())
        .await
        .expect("the moderation service builds");
    let addr = app.local_addr();
    run(app, &mut shutdown);

    let log = if kafka {
        None
    } else {
        Some(
            EventLog::open(&data_dir.path().join("events.db"))
                .await
                .expect("the shared event log"),
        )
    };
    TestApp {
        moderation: ModerationServiceClient::new(connect(addr).await),
        properties: PropertyServiceClient::new(connect(property_addr).await),
        store: ModerationStore::new(moderation_db.database.clone()),
        issuer,
        log,
        kafka: brokers.map(KafkaConfig::new),
        shutdown,
        _databases: [moderation_db, property_db, review_db],
        _data_dir: data_dir,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, false, "off").await
}

/// A short stay in Porto, ready to publish, described by `description`.
pub fn short_stay(description: &str) -> property::Property {
    property::Property {
        kind: property::ListingKind::ShortStay as i32,
        property_type: property::PropertyType::Apartment as i32,
        title: "Bright flat by the river".to_owned(),
        description: description.to_owned(),
        address: Some(property::Address {
            street: "Rua das Flores 12".to_owned(),
            locality: "Porto".to_owned(),
            region: String::new(),
            postal_code: "4050-262".to_owned(),
            country_code: "PT".to_owned(),
            location: Some(property::GeoPoint {
                latitude: 41.1456,
                longitude: -8.6139,
            }),
        }),
        bedrooms: 2,
        bathrooms: 1,
        beds: 2,
        max_guests: 4,
        floor_area_square_meters: 70,
        amenities: vec![property::Amenity::Wifi as i32],
        photos: vec![property::Photo {
            media_id: "media-1".to_owned(),
            caption: "The living room".to_owned(),
            cover: true,
        }],
        cancellation_policy: property::CancellationPolicy::Moderate as i32,
        booking_mode: property::BookingMode::Instant as i32,
        min_nights: 1,
        currency_code: "EUR".to_owned(),
        short_stay_pricing: Some(property::ShortStayPricing {
            base_nightly_price: 10_000,
            cleaning_fee: 5_000,
            tax_basis_points: 1_000,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A report of `target` for `reason`.
pub fn report(target: &str, reason: pb::ReportReason) -> pb::CreateReportRequest {
    pb::CreateReportRequest {
        report: Some(pb::Report {
            target: target.to_owned(),
            reason: reason as i32,
            details: "Seen on the site.".to_owned(),
            ..Default::default()
        }),
    }
}

impl TestApp {
    pub fn user_with(&self, roles: &[Role]) -> User {
        let id = uuid::Uuid::now_v7().to_string();
        User {
            token: self.issuer.issue(&id, roles).token,
            name: format!("users/{id}"),
        }
    }

    pub fn user(&self) -> User {
        self.user_with(&[Role::Guest])
    }

    pub fn moderator(&self) -> User {
        self.user_with(&[Role::Guest, Role::Moderator])
    }

    pub fn admin(&self) -> User {
        self.user_with(&[Role::Guest, Role::Admin])
    }

    /// Publishes `listing` as a new host: the host and the listing as publishing left it.
    pub async fn publish(&mut self, listing: property::Property) -> (User, property::Property) {
        let host = self.user_with(&[Role::Guest, Role::Host]);
        let created = self
            .properties
            .create_property(authorized(
                property::CreatePropertyRequest {
                    property: Some(listing),
                    request_id: String::new(),
                },
                &host.token,
            ))
            .await
            .expect("the listing is created")
            .into_inner()
            .property
            .expect("a listing");
        let published = self
            .properties
            .publish_property(authorized(
                property::PublishPropertyRequest {
                    name: created.name,
                    etag: String::new(),
                },
                &host.token,
            ))
            .await
            .expect("a complete listing publishes")
            .into_inner()
            .property
            .expect("a listing");
        (host, published)
    }

    /// The listing `name` as `user` reads it.
    pub async fn listing(&mut self, user: &User, name: &str) -> property::Property {
        self.properties
            .get_property(authorized(
                property::GetPropertyRequest {
                    name: name.to_owned(),
                },
                &user.token,
            ))
            .await
            .expect("the listing is readable")
            .into_inner()
            .property
            .expect("a listing")
    }

    /// The cases about `target`, in every state, as `user` lists them.
    pub async fn cases_about(&mut self, user: &User, target: &str) -> Vec<pb::Case> {
        let mut all = Vec::new();
        for state in [
            pb::case::State::Open,
            pb::case::State::Assigned,
            pb::case::State::Decided,
        ] {
            all.extend(
                self.moderation
                    .list_cases(authorized(
                        pb::ListCasesRequest {
                            state: state as i32,
                            target: target.to_owned(),
                            ..Default::default()
                        },
                        &user.token,
                    ))
                    .await
                    .expect("the queue is readable")
                    .into_inner()
                    .cases,
            );
        }
        all
    }

    /// Waits until a case about `target` exists; returns it.
    pub async fn case_about(&mut self, target: &str) -> pb::Case {
        let moderator = self.moderator();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(case) = self.cases_about(&moderator, target).await.pop() {
                return case;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no case about {target} was opened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Decides `case` as `moderator`.
    pub async fn decide(
        &mut self,
        moderator: &User,
        case: &str,
        decision: pb::Decision,
        reason: &str,
    ) -> Result<pb::Case, tonic::Status> {
        self.moderation
            .decide_case(authorized(
                pb::DecideCaseRequest {
                    name: case.to_owned(),
                    decision: decision as i32,
                    reason: reason.to_owned(),
                    suspend_end_time: None,
                },
                &moderator.token,
            ))
            .await
            .map(|response| response.into_inner().case.expect("a case"))
    }

    /// Publishes an event as service `source` would, on its topic, keyed by `key`.
    pub async fn publish_event<P: Name>(
        &self,
        source: &str,
        event_type: &str,
        key: &str,
        payload: &P,
    ) {
        let event_id = uuid::Uuid::now_v7().to_string();
        let envelope = EventEnvelope {
            event_id: event_id.clone(),
            event_type: event_type.to_owned(),
            source: source.to_owned(),
            aggregate_type: source.to_owned(),
            aggregate_id: key.to_owned(),
            aggregate_sequence: 1,
            occurred_at: Some(SystemTime::now().into()),
            correlation_id: event_id,
            payload: Some(prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            }),
            ..EventEnvelope::default()
        };
        let record = OutgoingRecord {
            topic: format!("estospaces.{source}.v1"),
            key: key.to_owned(),
            payload: envelope.encode_to_vec(),
            headers: Vec::new(),
        };
        let results = match (&self.log, &self.kafka) {
            (Some(log), _) => log.publish(std::slice::from_ref(&record)).await,
            (None, Some(kafka)) => {
                KafkaSink::new(kafka.clone())
                    .expect("a producer")
                    .publish(std::slice::from_ref(&record))
                    .await
            }
            (None, None) => unreachable!("an app has a transport"),
        };
        for result in results {
            result.expect("the transport takes the event");
        }
    }
}
