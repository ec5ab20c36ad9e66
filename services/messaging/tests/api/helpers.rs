use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{EventLog, EventSink, OutgoingRecord};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_messaging::store::MessagingStore;
use estospaces_messaging::{MessagingConfig, MessagingSettings};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::messaging_v1 as pb;
use estospaces_proto::messaging_v1::messaging_service_client::MessagingServiceClient;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::{Message, Name};
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// A signed-in user: their id, resource name and access token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub token: String,
}

/// Property and messaging side by side sharing an event transport (the embedded log in the
/// test's data directory, or Kafka), clients for both, and a token issuer both trust. Stops
/// both when dropped.
pub struct TestApp {
    /// The messaging service's address, `http://127.0.0.1:port`.
    pub messaging_url: String,
    pub messaging: MessagingServiceClient<Channel>,
    pub properties: PropertyServiceClient<Channel>,
    pub store: MessagingStore,
    /// What the messaging service was built with, to start another replica of it.
    config: MessagingConfig,
    keys: KeySet,
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

/// Starts property, then messaging pointed at it, on fresh databases of `backend`, with the
/// embedded log (or Kafka when `kafka`); `settings` adjusts messaging's own settings.
pub async fn spawn_app_with(
    backend: Backend,
    kafka: bool,
    settings: impl FnOnce(&mut MessagingSettings),
) -> TestApp {
    let fresh = |migrations: estospaces_storage::Migrations| async move {
        match backend {
            Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
        }
        .expect("a fresh test database")
    };
    let messaging_db = fresh(estospaces_messaging::store::MIGRATIONS).await;
    let property_db = fresh(estospaces_property::store::MIGRATIONS).await;
    let data_dir = tempfile::tempdir().expect("a data dir");
    let brokers = kafka.then(kafka_brokers);
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
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(property_app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    // A group of its own on Kafka: tests running at once must not split a topic's partitions.
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let mut service = MessagingSettings {
        property_url: Some(format!("http://{property_addr}")),
        booking_events_group: format!("messaging.booking-events.{suffix}"),
        reminder_check_interval: Duration::from_millis(100),
        ..MessagingSettings::default()
    };
    settings(&mut service);
    let config = MessagingConfig {
        common: common(&messaging_db.url),
        service,
    };
    let (addr, stop) = start_messaging(config.clone(), keys()).await;
    shutdown.push(stop);

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
        messaging_url: format!("http://{addr}"),
        messaging: MessagingServiceClient::new(connect(addr).await),
        properties: PropertyServiceClient::new(connect(property_addr).await),
        store: MessagingStore::new(messaging_db.database.clone()),
        config,
        keys: keys(),
        issuer,
        log,
        kafka: brokers.map(KafkaConfig::new),
        shutdown,
        _databases: [messaging_db, property_db],
        _data_dir: data_dir,
    }
}

/// Starts a messaging service; its address and the sender that stops it.
async fn start_messaging(
    config: MessagingConfig,
    keys: KeySet,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let app = estospaces_messaging::build_with_keys(config, keys)
        .await
        .expect("the messaging service builds");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, false, |_| {}).await
}

/// A short stay in Porto, ready to publish.
pub fn short_stay() -> property::Property {
    property::Property {
        kind: property::ListingKind::ShortStay as i32,
        property_type: property::PropertyType::Apartment as i32,
        title: "Bright flat by the river".to_owned(),
        description: "Two rooms, a balcony and the river below.".to_owned(),
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

/// A message with `text` and a fresh request id.
pub fn text(text: &str) -> pb::Message {
    pb::Message {
        text: text.to_owned(),
        request_id: uuid::Uuid::now_v7().to_string(),
        ..Default::default()
    }
}

impl TestApp {
    pub fn user_with(&self, roles: &[Role]) -> User {
        let id = uuid::Uuid::now_v7().to_string();
        User {
            token: self.issuer.issue(&id, roles).token,
            name: format!("users/{id}"),
            id,
        }
    }

    /// Starts another replica of the messaging service on the same database and transport;
    /// its URL. It stops with the app.
    pub async fn replica(&mut self) -> String {
        let (addr, stop) = start_messaging(self.config.clone(), self.keys.clone()).await;
        self.shutdown.push(stop);
        format!("http://{addr}")
    }

    pub fn user(&self) -> User {
        self.user_with(&[Role::Guest])
    }

    /// A published short stay of a new host: the host and the listing's name.
    pub async fn listing(&mut self) -> (User, String) {
        let host = self.user_with(&[Role::Host]);
        let created = self
            .properties
            .create_property(authorized(
                property::CreatePropertyRequest {
                    property: Some(short_stay()),
                    request_id: String::new(),
                },
                &host.token,
            ))
            .await
            .expect("the listing is created")
            .into_inner()
            .property
            .expect("a listing");
        self.properties
            .publish_property(authorized(
                property::PublishPropertyRequest {
                    name: created.name.clone(),
                    etag: String::new(),
                },
                &host.token,
            ))
            .await
            .expect("a complete listing publishes");
        (host, created.name)
    }

    /// `guest` asks about `listing`: the conversation and the first message.
    pub async fn inquire(
        &mut self,
        guest: &User,
        listing: &str,
        words: &str,
    ) -> Result<pb::CreateInquiryResponse, tonic::Status> {
        self.messaging
            .create_inquiry(authorized(
                pb::CreateInquiryRequest {
                    listing: listing.to_owned(),
                    message: Some(text(words)),
                },
                &guest.token,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// A new guest's conversation with a new host about a new listing.
    pub async fn conversation(&mut self) -> (User, User, pb::Conversation) {
        let (host, listing) = self.listing().await;
        let guest = self.user();
        let started = self
            .inquire(&guest, &listing, "Is the flat free in May?")
            .await
            .expect("the inquiry is made");
        (guest, host, started.conversation.expect("a conversation"))
    }

    pub async fn send(
        &mut self,
        user: &User,
        conversation: &str,
        message: pb::Message,
    ) -> Result<pb::Message, tonic::Status> {
        self.messaging
            .send_message(authorized(
                pb::SendMessageRequest {
                    parent: conversation.to_owned(),
                    message: Some(message),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().message.expect("a message"))
    }

    pub async fn messages(&mut self, user: &User, conversation: &str) -> Vec<pb::Message> {
        self.messaging
            .list_messages(authorized(
                pb::ListMessagesRequest {
                    parent: conversation.to_owned(),
                    ..Default::default()
                },
                &user.token,
            ))
            .await
            .expect("the participant lists the messages")
            .into_inner()
            .messages
    }

    pub async fn get(&mut self, user: &User, conversation: &str) -> pb::Conversation {
        self.messaging
            .get_conversation(authorized(
                pb::GetConversationRequest {
                    name: conversation.to_owned(),
                },
                &user.token,
            ))
            .await
            .expect("the participant reads the conversation")
            .into_inner()
            .conversation
            .expect("a conversation")
    }

    /// Publishes a booking event as the booking service would.
    pub async fn publish_booking<P: Name>(&self, event_type: &str, booking_id: &str, payload: &P) {
        let event_id = uuid::Uuid::now_v7().to_string();
        let envelope = EventEnvelope {
            event_id: event_id.clone(),
            event_type: event_type.to_owned(),
            source: "booking".to_owned(),
            aggregate_type: "booking".to_owned(),
            aggregate_id: booking_id.to_owned(),
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
            topic: "estospaces.booking.v1".to_owned(),
            key: booking_id.to_owned(),
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

    /// The booking's facts between `guest` and `host` at `listing`.
    pub fn booking_facts(
        guest: &User,
        host: &User,
        listing: &str,
    ) -> (String, booking::BookingFacts) {
        let id = uuid::Uuid::now_v7().to_string();
        let facts = booking::BookingFacts {
            booking: format!("bookings/{id}"),
            property: listing.to_owned(),
            guest: guest.name.clone(),
            host: host.name.clone(),
            check_in: Some(property::Date {
                year: 2027,
                month: 5,
                day: 3,
            }),
            check_out: Some(property::Date {
                year: 2027,
                month: 5,
                day: 6,
            }),
            total_amount: 40_000,
            currency_code: "EUR".to_owned(),
            platform_fee: 4_000,
        };
        (id, facts)
    }

    /// Waits until `user` sees a message satisfying `found` in `conversation`.
    pub async fn wait_for_message(
        &mut self,
        user: &User,
        conversation: &str,
        found: impl Fn(&pb::Message) -> bool,
    ) -> pb::Message {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(message) = self
                .messages(user, conversation)
                .await
                .into_iter()
                .find(|message| found(message))
            {
                return message;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the message never arrived in {conversation}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The types of the events this service recorded in its outbox, oldest first.
    pub async fn outbox_event_types(&self) -> Vec<String> {
        use sqlx::Row;
        sqlx::query("SELECT envelope FROM event_outbox ORDER BY id")
            .fetch_all(self.store.database().pool())
            .await
            .expect("the outbox is readable")
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("envelope").expect("an envelope");
                EventEnvelope::decode(bytes.as_slice())
                    .expect("an envelope")
                    .event_type
            })
            .collect()
    }
}
