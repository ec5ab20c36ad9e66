use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{EventLog, EventSink, OutgoingRecord};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_proto::review_v1 as pb;
use estospaces_proto::review_v1::collection_service_client::CollectionServiceClient;
use estospaces_proto::review_v1::review_service_client::ReviewServiceClient;
use estospaces_review::store::ReviewStore;
use estospaces_review::{ReviewConfig, ReviewSettings};
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

/// Property and review side by side sharing an event transport (the embedded log in the
/// test's data directory, or Kafka), clients for both, and a token issuer both trust. Stops
/// both when dropped.
pub struct TestApp {
    pub reviews: ReviewServiceClient<Channel>,
    pub collections: CollectionServiceClient<Channel>,
    pub properties: PropertyServiceClient<Channel>,
    pub store: ReviewStore,
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

/// Starts property, then review pointed at it, on fresh databases of `backend`, with the
/// embedded log (or Kafka when `kafka`); `settings` adjusts review's own settings.
pub async fn spawn_app_with(
    backend: Backend,
    kafka: bool,
    settings: impl FnOnce(&mut ReviewSettings),
) -> TestApp {
    let fresh = |migrations: estospaces_storage::Migrations| async move {
        match backend {
            Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
        }
        .expect("a fresh test database")
    };
    let review_db = fresh(estospaces_review::store::MIGRATIONS).await;
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

    // Groups of their own on Kafka: tests running at once must not split a topic's partitions.
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let mut service = ReviewSettings {
        property_url: Some(format!("http://{property_addr}")),
        booking_events_group: format!("review.booking-events.{suffix}"),
        messaging_events_group: format!("review.messaging-events.{suffix}"),
        moderation_events_group: format!("review.moderation-events.{suffix}"),
        release_check_interval: Duration::from_millis(100),
        ..ReviewSettings::default()
    };
    settings(&mut service);
    let config = ReviewConfig {
        common: common(&review_db.url),
        service,
    };
    let app = estospaces_review::build_with_keys(config, keys())
        .await
        .expect("the review service builds");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
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
    let channel = connect(addr).await;
    TestApp {
        reviews: ReviewServiceClient::new(channel.clone()),
        collections: CollectionServiceClient::new(channel),
        properties: PropertyServiceClient::new(connect(property_addr).await),
        store: ReviewStore::new(review_db.database.clone()),
        issuer,
        log,
        kafka: brokers.map(KafkaConfig::new),
        shutdown,
        _databases: [review_db, property_db],
        _data_dir: data_dir,
    }
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

/// A flat for sale in Lisbon, ready to publish.
pub fn for_sale() -> property::Property {
    property::Property {
        kind: property::ListingKind::Sale as i32,
        title: "Flat for sale in Alfama".to_owned(),
        description: "Three rooms with a view of the river.".to_owned(),
        short_stay_pricing: None,
        sale_pricing: Some(property::SalePricing {
            asking_price: 45_000_000,
        }),
        cancellation_policy: 0,
        booking_mode: 0,
        min_nights: 0,
        ..short_stay()
    }
}

/// A review of `rating` stars saying `text`.
pub fn review(rating: i32, text: &str) -> pb::Review {
    pb::Review {
        rating,
        text: text.to_owned(),
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

    pub fn user(&self) -> User {
        self.user_with(&[Role::Guest])
    }

    pub fn admin(&self) -> User {
        self.user_with(&[Role::Admin])
    }

    /// A published listing of a new owner holding `role`: the owner and the listing's name.
    pub async fn publish(&mut self, listing: property::Property, role: Role) -> (User, String) {
        let owner = self.user_with(&[role]);
        let created = self
            .properties
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
            .publish_property(authorized(
                property::PublishPropertyRequest {
                    name: created.name.clone(),
                    etag: String::new(),
                },
                &owner.token,
            ))
            .await
            .expect("a complete listing publishes");
        (owner, created.name)
    }

    /// A published short stay of a new host.
    pub async fn listing(&mut self) -> (User, String) {
        self.publish(short_stay(), Role::Host).await
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

    /// A stay of `guest` at `host`'s `listing` that checked out `days_ago` days ago (negative:
    /// in the future), completed when `completed`; waits until the service knows it. The
    /// booking's name.
    pub async fn stay(
        &self,
        guest: &User,
        host: &User,
        listing: &str,
        days_ago: i64,
        completed: bool,
    ) -> String {
        let booking_name = format!("bookings/{}", uuid::Uuid::now_v7());
        let check_out = day(days_ago);
        let check_in = day(days_ago + 3);
        let facts = booking::BookingFacts {
            booking: booking_name.clone(),
            property: listing.to_owned(),
            guest: guest.name.clone(),
            host: host.name.clone(),
            check_in: Some(check_in),
            check_out: Some(check_out),
            total_amount: 40_000,
            currency_code: "EUR".to_owned(),
            platform_fee: 4_000,
        };
        self.publish_event(
            "booking",
            "booking.confirmed",
            &booking_name,
            &booking::BookingConfirmed {
                booking: Some(facts.clone()),
                capture_now: true,
            },
        )
        .await;
        if completed {
            self.publish_event(
                "booking",
                "booking.completed",
                &booking_name,
                &booking::BookingCompleted {
                    booking: Some(facts),
                },
            )
            .await;
        }
        let wanted = if completed {
            estospaces_review::store::StayState::Completed
        } else {
            estospaces_review::store::StayState::Confirmed
        };
        self.wait_until(|| async {
            self.store
                .stay(&booking_name)
                .await
                .expect("stays are readable")
                .is_some_and(|stay| stay.state == wanted)
        })
        .await;
        booking_name
    }

    /// `inquirer` asked `owner` about `listing` (a sale or rental); waits until the service
    /// knows it.
    pub async fn inquiry(&self, inquirer: &User, owner: &User, listing: &str) {
        let conversation = format!("conversations/{}", uuid::Uuid::now_v7());
        self.publish_event(
            "messaging",
            "messaging.inquiry_created",
            &conversation,
            &messaging::InquiryCreated {
                conversation: Some(messaging::Conversation {
                    name: conversation.clone(),
                    listing: listing.to_owned(),
                    topic: messaging::conversation::Topic::Sale as i32,
                    inquirer: inquirer.name.clone(),
                    owner: owner.name.clone(),
                    ..Default::default()
                }),
            },
        )
        .await;
        self.wait_until(|| async {
            self.store
                .contacted_owner(&inquirer.id, listing)
                .await
                .expect("contacts are readable")
                .is_some()
        })
        .await;
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

    /// Writes a review as `user`.
    pub async fn write(
        &mut self,
        user: &User,
        review: pb::Review,
    ) -> Result<pb::Review, tonic::Status> {
        self.reviews
            .create_review(authorized(
                pb::CreateReviewRequest {
                    review: Some(review),
                    request_id: String::new(),
                },
                &user.token,
            ))
            .await
            .map(|response| response.into_inner().review.expect("a review"))
    }

    /// Reads a review as `user` (anonymously with `None`).
    pub async fn read(
        &mut self,
        user: Option<&User>,
        name: &str,
    ) -> Result<pb::Review, tonic::Status> {
        let request = pb::GetReviewRequest {
            name: name.to_owned(),
        };
        let request = match user {
            Some(user) => authorized(request, &user.token),
            None => tonic::Request::new(request),
        };
        self.reviews
            .get_review(request)
            .await
            .map(|response| response.into_inner().review.expect("a review"))
    }

    /// The rating summary `name` (`properties/{p}/ratingSummary`, `users/{u}/ratingSummary`).
    pub async fn summary(&mut self, name: &str) -> pb::RatingSummary {
        self.reviews
            .get_rating_summary(pb::GetRatingSummaryRequest {
                name: name.to_owned(),
            })
            .await
            .expect("summaries are public")
            .into_inner()
            .rating_summary
            .expect("a summary")
    }

    /// How many of the moderation service's events review's consumer has handled.
    pub async fn moderation_events_handled(&self) -> usize {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT COUNT(*) AS handled FROM event_inbox \
             WHERE consumer_group LIKE 'review.moderation-events%'",
        )
        .fetch_one(self.store.database().pool())
        .await
        .expect("the inbox is readable");
        let handled: i64 = row.try_get("handled").expect("a count");
        usize::try_from(handled).expect("a count")
    }

    /// The `review.hidden` and `review.restored` events this service recorded, oldest first,
    /// with their type.
    pub async fn moderations(&self) -> Vec<(String, pb::ReviewModerated)> {
        use sqlx::Row;
        sqlx::query("SELECT envelope FROM event_outbox ORDER BY id")
            .fetch_all(self.store.database().pool())
            .await
            .expect("the outbox is readable")
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("envelope").expect("an envelope");
                EventEnvelope::decode(bytes.as_slice()).expect("an envelope")
            })
            .filter(|envelope| {
                envelope.event_type == "review.hidden" || envelope.event_type == "review.restored"
            })
            .map(|envelope| {
                let payload = envelope.payload.expect("a payload");
                let moderated =
                    pb::ReviewModerated::decode(payload.value.as_slice()).expect("ReviewModerated");
                (envelope.event_type, moderated)
            })
            .collect()
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

/// The UTC day `days_ago` days before today.
pub fn day(days_ago: i64) -> property::Date {
    let today = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 86_400;
    let days = i64::try_from(today).expect("a day count") - days_ago;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    property::Date {
        year: i32::try_from(y).expect("a year"),
        month: i32::try_from(m).expect("a month"),
        day: i32::try_from(d).expect("a day"),
    }
}
