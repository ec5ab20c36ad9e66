use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{EventLog, EventSink, OutgoingRecord};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_project::store::ProjectStore;
use estospaces_project::{ProjectConfig, ProjectSettings};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::payment_v1 as payment;
use estospaces_proto::project_v1 as pb;
use estospaces_proto::project_v1::project_service_client::ProjectServiceClient;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::{Message, Name};
use sqlx::Row;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// A test card number the payment sandbox would take; only ever passed through.
pub const CARD: &str = "4242424242424242";

/// A signed-in user: their resource name and access token.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
}

/// The property and project services side by side sharing an event transport (the embedded
/// log in the test's data directory, or Kafka), clients for both, and a token issuer both
/// trust. Stops them when dropped; their databases are dropped with it.
pub struct TestApp {
    pub projects: ProjectServiceClient<Channel>,
    pub properties: PropertyServiceClient<Channel>,
    pub store: ProjectStore,
    issuer: TokenIssuer,
    log: Option<EventLog>,
    kafka: Option<KafkaConfig>,
    shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
    _databases: [TestDatabase; 2],
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

/// The Kafka brokers of the test environment.
pub fn kafka_brokers() -> String {
    std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// How the app under test is set up.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    pub backend: Backend,
    pub kafka: bool,
    pub reservation_hold: Duration,
    pub sweep_interval: Duration,
}

impl Setup {
    pub fn on(backend: Backend) -> Self {
        Self {
            backend,
            kafka: false,
            reservation_hold: Duration::from_secs(15 * 60),
            sweep_interval: Duration::from_secs(60),
        }
    }
}

/// Starts property, then project pointed at it, on fresh databases of `setup.backend`.
pub async fn spawn_app_with(setup: Setup) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("project-test", &Default::default());
    }
    let backend = setup.backend;
    let fresh = |migrations: estospaces_storage::Migrations| async move {
        match backend {
            Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
        }
        .expect("a fresh test database")
    };
    let project_db = fresh(estospaces_project::store::MIGRATIONS).await;
    let property_db = fresh(estospaces_property::store::MIGRATIONS).await;
    let data_dir = tempfile::tempdir().expect("a data dir");
    let brokers = setup.kafka.then(kafka_brokers);
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
    let mut run = |app: estospaces_project::Application| {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run(async {
            let _ = stopped.await;
        }));
        shutdown.push(stop);
    };

    let property_app = estospaces_property::build_with_keys(
        estospaces_property::PropertyConfig {
            common: common(&property_db.url),
            service: estospaces_property::PropertySettings::default(),
        },
        keys(),
    )
    .await
    .expect("the property service builds");
    let property_addr = property_app.local_addr();
    run(property_app);

    // A group of its own on Kafka: tests running at once must not split a topic's partitions.
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let config = ProjectConfig {
        common: common(&project_db.url),
        service: ProjectSettings {
            property_url: Some(format!("http://{property_addr}")),
            reservation_hold: setup.reservation_hold,
            sweep_interval: setup.sweep_interval,
            payment_events_group: format!("project.payment-events.{suffix}"),
            ..ProjectSettings::default()
        },
    };
    let app = estospaces_project::build_with_keys(config, keys())
        .await
        .expect("the project service builds");
    let addr = app.local_addr();
    run(app);

    let log = if setup.kafka {
        None
    } else {
        Some(
            EventLog::open(&data_dir.path().join("events.db"))
                .await
                .expect("the shared event log"),
        )
    };
    TestApp {
        projects: ProjectServiceClient::new(connect(addr).await),
        properties: PropertyServiceClient::new(connect(property_addr).await),
        store: ProjectStore::new(project_db.database.clone()),
        issuer,
        log,
        kafka: brokers.map(KafkaConfig::new),
        shutdown,
        _databases: [project_db, property_db],
        _data_dir: data_dir,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(Setup::on(backend)).await
}

/// A development in Lisbon.
pub fn project() -> pb::Project {
    pb::Project {
        display_name: "Marvila Riverside".to_owned(),
        description: "Forty flats by the river, ready in 2028.".to_owned(),
        address: "Rua do Açúcar 100".to_owned(),
        city: "Lisboa".to_owned(),
        country_code: "PT".to_owned(),
        currency_code: "EUR".to_owned(),
        stage: pb::project::Stage::UnderConstruction as i32,
        expected_completion_date: Some(property::Date {
            year: 2028,
            month: 6,
            day: 30,
        }),
        ..Default::default()
    }
}

/// The deposit of [`unit`], in cents.
pub const DEPOSIT: i64 = 1_000_000;

/// A two-bedroom flat labelled `label`.
pub fn unit(label: &str) -> pb::Unit {
    pb::Unit {
        display_name: label.to_owned(),
        unit_type: pb::unit::UnitType::Apartment as i32,
        floor: 3,
        area_square_meters: 82.5,
        bedrooms: 2,
        bathrooms: 1,
        price: 42_000_000,
        deposit_amount: DEPOSIT,
        ..Default::default()
    }
}

/// A flat for sale, ready to publish.
pub fn for_sale() -> property::Property {
    property::Property {
        kind: property::ListingKind::Sale as i32,
        property_type: property::PropertyType::Apartment as i32,
        title: "Flat B-301 at Marvila Riverside".to_owned(),
        description: "Two rooms with a view of the river.".to_owned(),
        address: Some(property::Address {
            street: "Rua do Açúcar 100".to_owned(),
            locality: "Lisboa".to_owned(),
            region: String::new(),
            postal_code: "1950-009".to_owned(),
            country_code: "PT".to_owned(),
            location: Some(property::GeoPoint {
                latitude: 38.7436,
                longitude: -9.1022,
            }),
        }),
        bedrooms: 2,
        bathrooms: 1,
        beds: 2,
        max_guests: 4,
        floor_area_square_meters: 82,
        amenities: vec![property::Amenity::Wifi as i32],
        photos: vec![property::Photo {
            media_id: "media-1".to_owned(),
            caption: "The living room".to_owned(),
            cover: true,
        }],
        currency_code: "EUR".to_owned(),
        sale_pricing: Some(property::SalePricing {
            asking_price: 42_000_000,
        }),
        ..Default::default()
    }
}

/// `message`, signed in as `user` when there is one.
pub fn as_user<T>(message: T, user: Option<&User>) -> tonic::Request<T> {
    match user {
        Some(user) => authorized(message, &user.token),
        None => tonic::Request::new(message),
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

    /// A guest: someone looking for a home.
    pub fn user(&self) -> User {
        self.user_with(&[Role::Guest])
    }

    /// An agent: developers list their units for sale as agents do.
    pub fn developer(&self) -> User {
        self.user_with(&[Role::Agent])
    }

    pub fn admin(&self) -> User {
        self.user_with(&[Role::Admin])
    }

    /// Creates `project` as `developer`.
    pub async fn create_project(&self, developer: &User, project: pb::Project) -> pb::Project {
        self.projects
            .clone()
            .create_project(authorized(
                pb::CreateProjectRequest {
                    project: Some(project),
                },
                &developer.token,
            ))
            .await
            .expect("signed-in users create projects")
            .into_inner()
            .project
            .expect("a project")
    }

    /// Adds `unit` to `project` as `user`.
    pub async fn add_unit(
        &self,
        user: &User,
        project: &str,
        unit: pb::Unit,
    ) -> Result<pb::Unit, tonic::Status> {
        self.projects
            .clone()
            .create_unit(authorized(
                pb::CreateUnitRequest {
                    parent: project.to_owned(),
                    unit: Some(unit),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().unit.expect("a unit"))
    }

    /// A new developer's project with one unit: the developer, the project and the unit.
    pub async fn project_with_unit(&self) -> (User, pb::Project, pb::Unit) {
        let developer = self.developer();
        let project = self.create_project(&developer, project()).await;
        let unit = self
            .add_unit(&developer, &project.name, unit("B-301"))
            .await
            .expect("the developer adds units");
        (developer, project, unit)
    }

    pub async fn project(
        &self,
        reader: Option<&User>,
        name: &str,
    ) -> Result<pb::Project, tonic::Status> {
        self.projects
            .clone()
            .get_project(as_user(
                pb::GetProjectRequest {
                    name: name.to_owned(),
                },
                reader,
            ))
            .await
            .map(|response| response.into_inner().project.expect("a project"))
    }

    pub async fn unit(&self, name: &str) -> pb::Unit {
        self.projects
            .clone()
            .get_unit(pb::GetUnitRequest {
                name: name.to_owned(),
            })
            .await
            .expect("units are public")
            .into_inner()
            .unit
            .expect("a unit")
    }

    /// `buyer` reserves `unit` of `project`.
    pub async fn reserve(
        &self,
        buyer: &User,
        project: &str,
        unit: &str,
    ) -> Result<pb::Reservation, tonic::Status> {
        self.reserve_with(buyer, project, unit, "").await
    }

    pub async fn reserve_with(
        &self,
        buyer: &User,
        project: &str,
        unit: &str,
        request_id: &str,
    ) -> Result<pb::Reservation, tonic::Status> {
        self.projects
            .clone()
            .create_reservation(authorized(
                pb::CreateReservationRequest {
                    parent: project.to_owned(),
                    unit: unit.to_owned(),
                    payment_method: CARD.to_owned(),
                    request_id: request_id.to_owned(),
                },
                &buyer.token,
            ))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    pub async fn reservation(
        &self,
        user: &User,
        name: &str,
    ) -> Result<pb::Reservation, tonic::Status> {
        self.projects
            .clone()
            .get_reservation(authorized(
                pb::GetReservationRequest {
                    name: name.to_owned(),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    pub async fn cancel(&self, user: &User, name: &str) -> Result<pb::Reservation, tonic::Status> {
        self.projects
            .clone()
            .cancel_reservation(authorized(
                pb::CancelReservationRequest {
                    name: name.to_owned(),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    pub async fn mark_sold(&self, user: &User, unit: &str) -> Result<pb::Unit, tonic::Status> {
        self.projects
            .clone()
            .mark_unit_sold(authorized(
                pb::MarkUnitSoldRequest {
                    name: unit.to_owned(),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().unit.expect("a unit"))
    }

    /// Creates `listing` as `owner`, a draft: the listing's name.
    pub async fn draft_as(&self, owner: &User, listing: property::Property) -> String {
        self.properties
            .clone()
            .create_property(authorized(
                property::CreatePropertyRequest {
                    property: Some(listing),
                    request_id: String::new(),
                },
                &owner.token,
            ))
            .await
            .expect("the listing is created")
            .into_inner()
            .property
            .expect("a listing")
            .name
    }

    /// Publishes `listing` as `owner`: the listing's name.
    pub async fn publish_as(&self, owner: &User, listing: property::Property) -> String {
        let created = self
            .properties
            .clone()
            .create_property(authorized(
                property::CreatePropertyRequest {
                    property: Some(listing),
                    request_id: String::new(),
                },
                &owner.token,
            ))
            .await
            .expect("the listing is created")
            .into_inner()
            .property
            .expect("a listing");
        self.properties
            .clone()
            .publish_property(authorized(
                property::PublishPropertyRequest {
                    name: created.name.clone(),
                    etag: String::new(),
                },
                &owner.token,
            ))
            .await
            .expect("a complete listing publishes");
        created.name
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

    /// The payment facts of `reservation`'s deposit, as the payment service tells them.
    pub fn deposit_facts(reservation: &pb::Reservation) -> payment::PaymentFacts {
        payment::PaymentFacts {
            payment: format!("payments/{}", uuid::Uuid::now_v7()),
            booking: String::new(),
            payer: reservation.buyer.clone(),
            amount: reservation.deposit_amount,
            currency_code: reservation.currency_code.clone(),
            reservation: reservation.name.clone(),
        }
    }

    /// The payment service authorized `reservation`'s deposit.
    pub async fn deposit_authorized(&self, reservation: &pb::Reservation) {
        let facts = Self::deposit_facts(reservation);
        self.publish_event(
            "payment",
            "payment.authorized",
            &facts.payment.clone(),
            &payment::PaymentAuthorized {
                payment: Some(facts),
            },
        )
        .await;
    }

    /// The payment service failed `reservation`'s deposit with `code`.
    pub async fn deposit_failed(&self, reservation: &pb::Reservation, code: &str) {
        let facts = Self::deposit_facts(reservation);
        self.publish_event(
            "payment",
            "payment.failed",
            &facts.payment.clone(),
            &payment::PaymentFailed {
                payment: Some(facts),
                failure_code: code.to_owned(),
                failure_message: "Your card was declined.".to_owned(),
            },
        )
        .await;
    }

    /// Every event this service recorded of `event_type`, oldest first.
    pub async fn events(&self, event_type: &str) -> Vec<EventEnvelope> {
        sqlx::query("SELECT envelope FROM event_outbox ORDER BY id")
            .fetch_all(self.store.database().pool())
            .await
            .expect("the outbox is readable")
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("envelope").expect("an envelope");
                EventEnvelope::decode(bytes.as_slice()).expect("an envelope")
            })
            .filter(|envelope| envelope.event_type == event_type)
            .collect()
    }

    /// How many events of consumer groups starting with `group` this service has handled.
    pub async fn events_handled(&self, group: &str) -> usize {
        let row =
            sqlx::query("SELECT COUNT(*) AS handled FROM event_inbox WHERE consumer_group LIKE $1")
                .bind(format!("{group}%"))
                .fetch_one(self.store.database().pool())
                .await
                .expect("the inbox is readable");
        let handled: i64 = row.try_get("handled").expect("a count");
        usize::try_from(handled).expect("a count")
    }

    /// Polls `done` until it holds, for up to 20 s.
    pub async fn wait_until<F, Fut>(&self, done: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the condition never held"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `user` reads `reservation` in `state`; returns it.
    pub async fn wait_for_state(
        &self,
        user: &User,
        reservation: &str,
        state: pb::reservation::State,
    ) -> pb::Reservation {
        self.wait_until(|| async {
            self.reservation(user, reservation)
                .await
                .is_ok_and(|r| r.state() == state)
        })
        .await;
        self.reservation(user, reservation).await.expect("readable")
    }

    /// Every text and byte value in every table of the service's database, with where it is:
    /// `(table, column, value)`.
    pub async fn stored_values(&self) -> Vec<(String, String, Vec<u8>)> {
        use sqlx::Column;
        let pool = self.store.database().pool();
        let tables: Vec<String> = match self.store.backend() {
            Backend::Postgres => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public'",
            ),
            Backend::Sqlite => {
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        }
        .fetch_all(pool)
        .await
        .expect("the tables");
        let mut values = Vec::new();
        // sqlx's own bookkeeping (migration checksums) holds nothing of ours.
        for table in tables
            .into_iter()
            .filter(|table| table != "_sqlx_migrations")
        {
            let rows = sqlx::query(&format!("SELECT * FROM {table}"))
                .fetch_all(pool)
                .await
                .expect("a table's rows");
            for row in &rows {
                for column in row.columns() {
                    let name = column.name();
                    if let Ok(Some(text)) = row.try_get::<Option<String>, _>(name) {
                        values.push((table.clone(), name.to_owned(), text.into_bytes()));
                    } else if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(name) {
                        values.push((table.clone(), name.to_owned(), bytes));
                    }
                }
            }
        }
        values
    }
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
