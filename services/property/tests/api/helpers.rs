use std::time::Duration;

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{Event, EventLog, EventSink, OutgoingRecord};
use estospaces_property::{PropertyConfig, PropertySettings};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::{Message as _, Name};
use sqlx::Row;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// A running property service, a client for it and a token issuer it trusts. Stops the service
/// when dropped.
pub struct TestApp {
    pub client: PropertyServiceClient<Channel>,
    issuer: TokenIssuer,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub database: TestDatabase,
    pub data_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts the service on a fresh database of `backend`, trusting a key made for the test (as
/// it would trust identity's), and connects a client.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the configuration changed by `configure` first.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut PropertyConfig),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("property-test", &Default::default());
    }
    let migrations = estospaces_property::store::MIGRATIONS;
    let database = match backend {
        Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
        Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
    }
    .expect("a fresh test database");
    let data_dir = tempfile::tempdir().expect("a data dir");

    let common = CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(database.url.clone().into()),
        data_dir: data_dir.path().to_owned(),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    };
    let key = SigningKey::generate();
    let keys = KeySet::new(&[key.public_jwk().clone()]).expect("an Ed25519 key");
    let issuer = TokenIssuer::new(
        key,
        &common.auth.issuer,
        &common.auth.audience,
        Duration::from_secs(600),
    );
    let mut config = PropertyConfig {
        common,
        service: PropertySettings::default(),
    };
    configure(&mut config);
    let app = estospaces_property::build_with_keys(config, keys)
        .await
        .expect("the service builds");
    let addr = app.local_addr();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));

    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("the service accepts connections");
    TestApp {
        client: PropertyServiceClient::new(channel),
        issuer,
        shutdown: Some(shutdown),
        database,
        data_dir,
    }
}

impl TestApp {
    /// A token for a new user holding `roles`.
    pub fn token(&self, roles: &[Role]) -> String {
        self.issuer
            .issue(&uuid::Uuid::now_v7().to_string(), roles)
            .token
    }

    /// Creates `property` as the holder of `token`.
    pub async fn create(&mut self, property: pb::Property, token: &str) -> pb::Property {
        self.client
            .create_property(authorized(
                pb::CreatePropertyRequest {
                    property: Some(property),
                    request_id: String::new(),
                },
                token,
            ))
            .await
            .expect("the listing is created")
            .into_inner()
            .property
            .expect("a listing")
    }

    /// Creates and publishes a complete short stay as the holder of `token`.
    pub async fn published_short_stay(&mut self, token: &str) -> pb::Property {
        let created = self.create(short_stay(), token).await;
        self.client
            .publish_property(authorized(
                pb::PublishPropertyRequest {
                    name: created.name,
                    etag: String::new(),
                },
                token,
            ))
            .await
            .expect("a complete listing publishes")
            .into_inner()
            .property
            .expect("a listing")
    }

    /// The events recorded in the outbox so far, in order.
    pub async fn events(&self) -> Vec<Event> {
        sqlx::query("SELECT envelope FROM event_outbox ORDER BY id")
            .fetch_all(self.database.database.pool())
            .await
            .expect("the outbox is readable")
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("envelope").expect("an envelope");
                Event::decode(&bytes).expect("a valid envelope")
            })
            .collect()
    }

    /// The types of the events recorded so far, in order.
    pub async fn event_types(&self) -> Vec<String> {
        self.events()
            .await
            .iter()
            .map(|event| event.event_type().to_owned())
            .collect()
    }
}

/// Publishes an event of service `source` (on its topic, keyed by `key`) into an app's
/// embedded event log, as that service's relay would.
pub async fn publish<P: Name>(
    log: &EventLog,
    source: &str,
    event_id: &str,
    event_type: &str,
    key: &str,
    payload: &P,
) {
    let envelope = EventEnvelope {
        event_id: event_id.to_owned(),
        event_type: event_type.to_owned(),
        source: source.to_owned(),
        aggregate_type: source.to_owned(),
        aggregate_id: key.to_owned(),
        aggregate_sequence: 1,
        occurred_at: Some(std::time::SystemTime::now().into()),
        correlation_id: event_id.to_owned(),
        payload: Some(prost_types::Any {
            type_url: P::type_url(),
            value: payload.encode_to_vec(),
        }),
        ..EventEnvelope::default()
    };
    let record = OutgoingRecord {
        topic: estospaces_events::topic_for(source),
        key: key.to_owned(),
        payload: envelope.encode_to_vec(),
        headers: Vec::new(),
    };
    for result in log.publish(std::slice::from_ref(&record)).await {
        result.expect("the log takes the event");
    }
}

/// A complete short-stay listing.
pub fn short_stay() -> pb::Property {
    pb::Property {
        kind: pb::ListingKind::ShortStay as i32,
        property_type: pb::PropertyType::Apartment as i32,
        title: "Bright flat by the river".to_owned(),
        description: "Two rooms, a balcony and the river below.".to_owned(),
        address: Some(pb::Address {
            street: "Rua das Flores 12".to_owned(),
            locality: "Porto".to_owned(),
            region: String::new(),
            postal_code: "4050-262".to_owned(),
            country_code: "PT".to_owned(),
            location: Some(pb::GeoPoint {
                latitude: 41.1456,
                longitude: -8.6139,
            }),
        }),
        bedrooms: 2,
        bathrooms: 1,
        beds: 2,
        max_guests: 4,
        amenities: vec![pb::Amenity::Wifi as i32, pb::Amenity::Kitchen as i32],
        photos: vec![pb::Photo {
            media_id: "media-1".to_owned(),
            caption: "The living room".to_owned(),
            cover: true,
        }],
        cancellation_policy: pb::CancellationPolicy::Moderate as i32,
        booking_mode: pb::BookingMode::Instant as i32,
        min_nights: 1,
        currency_code: "EUR".to_owned(),
        short_stay_pricing: Some(pb::ShortStayPricing {
            base_nightly_price: 10_000,
            weekend_nightly_price: 12_000,
            seasonal_prices: vec![pb::SeasonalPrice {
                label: "Summer".to_owned(),
                start_date: Some(date(2027, 7, 1)),
                end_date: Some(date(2027, 8, 31)),
                nightly_price: 15_000,
            }],
            weekly_discount_basis_points: 1_000,
            monthly_discount_basis_points: 2_000,
            cleaning_fee: 5_000,
            included_guests: 2,
            extra_guest_fee: 1_000,
            tax_basis_points: 725,
        }),
        ..Default::default()
    }
}

pub fn date(year: i32, month: i32, day: i32) -> pb::Date {
    pb::Date { year, month, day }
}
