use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{Event, EventLog, EventSink, OutgoingRecord};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::project_v1 as ppb;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use estospaces_proto::search_v1::search_service_client::SearchServiceClient;
use estospaces_search::{SearchConfig, SearchSettings};
use estospaces_storage::testing::TestDatabase;
use prost::{Message as _, Name};
use sqlx::Row;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

pub const PROPERTY_TOPIC: &str = "estospaces.property.v1";
pub const PROJECT_TOPIC: &str = "estospaces.project.v1";

/// A running search service, a client, a token issuer it trusts and the event log it reads.
pub struct TestApp {
    pub client: SearchServiceClient<Channel>,
    issuer: TokenIssuer,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub database: TestDatabase,
    pub data_dir: tempfile::TempDir,
    /// Where events are published; `None` when the app reads Kafka.
    pub log: Option<EventLog>,
    sequences: HashMap<String, i64>,
    key: SigningKey,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts the service on a fresh database of `backend`, reading the embedded log in a fresh
/// data directory.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the configuration changed by `configure` first.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut SearchConfig),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("search-test", &Default::default());
    }
    let migrations = [
        estospaces_search::store::MIGRATIONS,
        estospaces_events::MIGRATIONS,
    ];
    let database = match backend {
        Backend::Postgres => TestDatabase::postgres(&migrations).await,
        Backend::Sqlite => TestDatabase::sqlite(&migrations).await,
    }
    .expect("a fresh test database");
    let data_dir = tempfile::tempdir().expect("a data dir");
    let key = SigningKey::generate();
    let mut app = TestApp {
        client: SearchServiceClient::new(Channel::from_static("http://127.0.0.1:1").connect_lazy()),
        issuer: issuer(key.clone()),
        shutdown: None,
        stopped: None,
        database,
        data_dir,
        log: None,
        sequences: HashMap::new(),
        key,
    };
    app.start(configure).await;
    app
}

fn issuer(key: SigningKey) -> TokenIssuer {
    let common = CommonConfig::default();
    TokenIssuer::new(
        key,
        &common.auth.issuer,
        &common.auth.audience,
        Duration::from_secs(600),
    )
}

impl TestApp {
    /// (Re)starts the service on this app's database and data directory.
    pub async fn start(&mut self, configure: impl FnOnce(&mut SearchConfig)) {
        let common = CommonConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            database_url: Some(self.database.url.clone().into()),
            data_dir: self.data_dir.path().to_owned(),
            shutdown_grace: Duration::from_secs(1),
            ..CommonConfig::default()
        };
        let mut config = SearchConfig {
            common,
            service: SearchSettings {
                replica_id: Some("test".to_owned()),
                commit_interval: Duration::from_millis(20),
                availability_commit_interval: Duration::from_millis(20),
                ..SearchSettings::default()
            },
        };
        configure(&mut config);
        if config.common.kafka_brokers.is_none() && self.log.is_none() {
            self.log = Some(
                EventLog::open(&config.common.data_dir.join("events.db"))
                    .await
                    .expect("the event log opens"),
            );
        }
        let keys = KeySet::new(&[self.key.public_jwk().clone()]).expect("an Ed25519 key");
        let app = estospaces_search::build_with_keys(config, keys)
            .await
            .expect("the service builds");
        let addr = app.local_addr();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        self.stopped = Some(tokio::spawn(app.run(async {
            let _ = stopped.await;
        })));
        self.shutdown = Some(shutdown);
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("the service accepts connections");
        self.client = SearchServiceClient::new(channel);
    }

    /// Stops the service and waits until it has committed and let go of the index.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            stopped.await.expect("the app task").expect("a clean stop");
        }
    }

    /// A token for a new user holding `roles`, and the user's id.
    pub fn user(&self, roles: &[Role]) -> (String, String) {
        let id = uuid::Uuid::now_v7().to_string();
        (self.issuer.issue(&id, roles).token, id)
    }

    /// Publishes `property`'s event `event_type` (a snapshot event) into the log.
    pub async fn publish_snapshot(&mut self, event_type: &str, property: &pb::Property) {
        let envelope = match event_type {
            "property.listed" => self.envelope(
                event_type,
                property,
                &pb::PropertyListed {
                    property: Some(property.clone()),
                },
            ),
            "property.updated" => self.envelope(
                event_type,
                property,
                &pb::PropertyUpdated {
                    property: Some(property.clone()),
                    changed_fields: vec![],
                },
            ),
            "property.unlisted" => self.envelope(
                event_type,
                property,
                &pb::PropertyUnlisted {
                    property: Some(property.clone()),
                },
            ),
            "property.price_changed" => self.envelope(
                event_type,
                property,
                &pb::PropertyPriceChanged {
                    property: Some(property.clone()),
                },
            ),
            other => panic!("not a snapshot event: {other}"),
        };
        self.publish(vec![envelope]).await;
    }

    /// Publishes a listing as published.
    pub async fn list(&mut self, property: &pb::Property) {
        self.publish_snapshot("property.listed", property).await;
    }

    /// Publishes the calendar of `property`: these nights cannot be booked.
    pub async fn publish_calendar(&mut self, property: &pb::Property, unavailable: &[pb::Date]) {
        let payload = pb::PropertyCalendarChanged {
            property: property.name.clone(),
            unavailable_days: unavailable
                .iter()
                .map(|date| pb::CalendarDay {
                    date: Some(*date),
                    status: pb::calendar_day::Status::Blocked as i32,
                    nightly_price: 0,
                })
                .collect(),
        };
        let envelope = self.envelope("property.calendar_changed", property, &payload);
        self.publish(vec![envelope]).await;
    }

    /// The envelope of the next event of `property`.
    pub fn envelope<P: Name>(
        &mut self,
        event_type: &str,
        property: &pb::Property,
        payload: &P,
    ) -> EventEnvelope {
        let id = property_id(property);
        let sequence = self.sequences.entry(id.clone()).or_default();
        *sequence += 1;
        envelope(event_type, &id, *sequence, payload)
    }

    /// Appends `envelopes` to the property topic of the embedded log.
    pub async fn publish(&self, envelopes: Vec<EventEnvelope>) {
        let records = records(envelopes);
        let log = self.log.as_ref().expect("the app reads the embedded log");
        for result in log.publish(&records).await {
            result.expect("the log takes the event");
        }
    }

    /// Publishes the project service's `event_type` (`unit.created`, `unit.updated`,
    /// `unit.sold`) for `unit`, keyed by its project, into the project topic.
    pub async fn publish_unit(&mut self, event_type: &str, unit: &ppb::Unit) {
        let project = unit
            .name
            .strip_prefix("projects/")
            .and_then(|rest| rest.split('/').next())
            .expect("a unit name")
            .to_owned();
        let sequence = self
            .sequences
            .entry(format!("project:{project}"))
            .or_default();
        *sequence += 1;
        let mut envelope = envelope(
            event_type,
            &project,
            *sequence,
            &ppb::UnitChanged {
                unit: Some(unit.clone()),
            },
        );
        envelope.source = "project".to_owned();
        envelope.aggregate_type = "project".to_owned();
        let record = OutgoingRecord {
            topic: PROJECT_TOPIC.to_owned(),
            key: project,
            headers: vec![("event_id".to_owned(), envelope.event_id.clone())],
            payload: envelope.encode_to_vec(),
        };
        let log = self.log.as_ref().expect("the app reads the embedded log");
        for result in log.publish(&[record]).await {
            result.expect("the log takes the event");
        }
    }

    /// Searches; panics on an error status.
    pub async fn search(
        &mut self,
        request: spb::SearchPropertiesRequest,
    ) -> spb::SearchPropertiesResponse {
        self.client
            .search_properties(request)
            .await
            .expect("the search succeeds")
            .into_inner()
    }

    /// Searches for `query` until `done` holds for the response (the index lags the log a
    /// little), or panics after 10 s.
    pub async fn search_until(
        &mut self,
        request: spb::SearchPropertiesRequest,
        done: impl Fn(&spb::SearchPropertiesResponse) -> bool,
    ) -> spb::SearchPropertiesResponse {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let response = self.search(request.clone()).await;
            if done(&response) {
                return response;
            }
            assert!(
                Instant::now() < deadline,
                "the index never got there; last response: {response:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `property` is searchable in its latest state (its title finds it).
    pub async fn until_indexed(&mut self, property: &pb::Property) {
        let name = property.name.clone();
        self.search_until(
            query_by(spb::PropertyQuery {
                text: property.title.clone(),
                ..Default::default()
            }),
            move |response| names(response).contains(&name),
        )
        .await;
    }

    /// The events this service recorded in its outbox so far, in order.
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

    /// The `search.alert_matched` payloads recorded so far.
    pub async fn alerts(&self) -> Vec<spb::AlertMatched> {
        self.events()
            .await
            .iter()
            .filter(|event| event.event_type() == "search.alert_matched")
            .map(|event| event.payload().expect("an AlertMatched"))
            .collect()
    }
}

/// An envelope as the property service's outbox writes it.
pub fn envelope<P: Name>(event_type: &str, id: &str, sequence: i64, payload: &P) -> EventEnvelope {
    let event_id = uuid::Uuid::now_v7().to_string();
    EventEnvelope {
        correlation_id: event_id.clone(),
        event_id,
        event_type: event_type.to_owned(),
        source: "property".to_owned(),
        aggregate_type: "property".to_owned(),
        aggregate_id: id.to_owned(),
        aggregate_sequence: sequence,
        occurred_at: Some(prost_types::Timestamp::from(SystemTime::now())),
        payload: Some(prost_types::Any {
            type_url: P::type_url(),
            value: payload.encode_to_vec(),
        }),
        ..Default::default()
    }
}

/// `envelopes` as records of the property topic.
pub fn records(envelopes: Vec<EventEnvelope>) -> Vec<OutgoingRecord> {
    envelopes
        .into_iter()
        .map(|envelope| OutgoingRecord {
            topic: PROPERTY_TOPIC.to_owned(),
            key: envelope.aggregate_id.clone(),
            headers: vec![("event_id".to_owned(), envelope.event_id.clone())],
            payload: envelope.encode_to_vec(),
        })
        .collect()
}

pub fn property_id(property: &pb::Property) -> String {
    property.name.trim_start_matches("properties/").to_owned()
}

/// A published short stay with a fresh id.
pub fn short_stay(title: &str, city: &str, lat: f64, lon: f64, nightly: i64) -> pb::Property {
    pb::Property {
        name: format!("properties/{}", uuid::Uuid::now_v7()),
        owner: format!("users/{}", uuid::Uuid::now_v7()),
        kind: pb::ListingKind::ShortStay as i32,
        property_type: pb::PropertyType::Apartment as i32,
        state: pb::property::State::Published as i32,
        title: title.to_owned(),
        description: "A quiet place with a balcony.".to_owned(),
        address: Some(pb::Address {
            street: "Rua das Flores 12".to_owned(),
            locality: city.to_owned(),
            country_code: "PT".to_owned(),
            location: Some(pb::GeoPoint {
                latitude: lat,
                longitude: lon,
            }),
            ..Default::default()
        }),
        bedrooms: 2,
        bathrooms: 1,
        beds: 2,
        max_guests: 4,
        amenities: vec![pb::Amenity::Wifi as i32, pb::Amenity::Kitchen as i32],
        booking_mode: pb::BookingMode::Instant as i32,
        min_nights: 1,
        currency_code: "EUR".to_owned(),
        short_stay_pricing: Some(pb::ShortStayPricing {
            base_nightly_price: nightly,
            cleaning_fee: 5_000,
            tax_basis_points: 1_000,
            ..Default::default()
        }),
        create_time: Some(prost_types::Timestamp::from(SystemTime::now())),
        ..Default::default()
    }
}

/// A published sale listing with a fresh id, as a developer lists a unit.
pub fn sale(title: &str, city: &str, lat: f64, lon: f64, asking_price: i64) -> pb::Property {
    pb::Property {
        kind: pb::ListingKind::Sale as i32,
        short_stay_pricing: None,
        sale_pricing: Some(pb::SalePricing { asking_price }),
        ..short_stay(title, city, lat, lon, 0)
    }
}

/// Unit `B-301` of project `project`, selling `listing` (`properties/{id}`, or empty), as of
/// now.
pub fn unit(project: &str, unit: &str, listing: &str) -> ppb::Unit {
    ppb::Unit {
        name: format!("projects/{project}/units/{unit}"),
        display_name: "B-301".to_owned(),
        unit_type: ppb::unit::UnitType::Apartment as i32,
        area_square_meters: 84.0,
        price: 45_000_000,
        deposit_amount: 1_000_000,
        currency_code: "EUR".to_owned(),
        state: ppb::unit::State::Available as i32,
        listing: listing.to_owned(),
        update_time: Some(prost_types::Timestamp::from(SystemTime::now())),
        ..Default::default()
    }
}

pub fn date(year: i32, month: i32, day: i32) -> pb::Date {
    pb::Date { year, month, day }
}

/// A search request for `query`, newest first.
pub fn query_by(query: spb::PropertyQuery) -> spb::SearchPropertiesRequest {
    spb::SearchPropertiesRequest {
        query: Some(query),
        ..Default::default()
    }
}

/// The listing names of a response, in order.
pub fn names(response: &spb::SearchPropertiesResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|result| result.property.as_ref().expect("a listing").name.clone())
        .collect()
}

/// The titles of a response, in order.
pub fn titles(response: &spb::SearchPropertiesResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|result| result.property.as_ref().expect("a listing").title.clone())
        .collect()
}

/// Lisbon, Porto and Faro: three cities far enough apart for geo tests.
pub const LISBON: (f64, f64) = (38.7223, -9.1393);
pub const PORTO: (f64, f64) = (41.1579, -8.6291);
pub const FARO: (f64, f64) = (37.0194, -7.9304);

impl TestApp {
    /// Waits until `count` listings are searchable.
    pub async fn until_total(&mut self, count: i64) {
        self.search_until(query_by(spb::PropertyQuery::default()), move |response| {
            response.total_size == count
        })
        .await;
    }
}

impl TestApp {
    /// The generation of the index on disk (read while the app runs: tantivy allows readers).
    pub fn index_generation(&self) -> String {
        let dir = estospaces_search::index::index_dir(self.data_dir.path());
        let index =
            estospaces_search::index::SearchIndex::open_or_create(&dir).expect("the index opens");
        index.positions().expect("positions").generation
    }
}
