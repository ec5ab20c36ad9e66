use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_booking::{BookingConfig, BookingSettings};
use estospaces_config::CommonConfig;
use estospaces_events::{Event, EventLog, EventSink, OutgoingRecord};
use estospaces_kafka::{KafkaConfig, KafkaSink};
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::booking_v1::booking_service_client::BookingServiceClient;
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::payment_v1 as payment;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::{Message, Name};
use sqlx::Row;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// The card the sandbox provider authorizes.
pub const GOOD_CARD: &str = "4242424242424242";

/// The Kafka brokers of the test environment.
pub fn kafka_brokers() -> String {
    std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// A running property service and booking service sharing an event transport (the embedded
/// log in the test's data directory, or Kafka), clients for both and a token issuer both
/// trust. Stops both when dropped.
pub struct TestStack {
    pub bookings: BookingServiceClient<Channel>,
    pub properties: PropertyServiceClient<Channel>,
    issuer: TokenIssuer,
    shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
    pub database: TestDatabase,
    _property_database: TestDatabase,
    _data_dir: tempfile::TempDir,
    /// The shared event log, when not on Kafka.
    pub log: Option<EventLog>,
    /// The brokers, when on Kafka.
    pub kafka: Option<KafkaConfig>,
    /// The payment service's database, when it runs.
    pub payment_database: Option<TestDatabase>,
    /// What the booking service was built with, to build it again.
    booking_config: BookingConfig,
    keys: KeySet,
    /// Stops the running booking service and says when it has stopped.
    booking: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )>,
}

impl Drop for TestStack {
    fn drop(&mut self) {
        for shutdown in self.shutdown.drain(..) {
            let _ = shutdown.send(());
        }
        if let Some((shutdown, _)) = self.booking.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts the booking service; its address, and the sender that stops it with the task that
/// says when it stopped.
async fn start_booking(
    config: BookingConfig,
    keys: KeySet,
) -> (
    std::net::SocketAddr,
    (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    ),
) {
    let app = estospaces_booking::build_with_keys(config, keys)
        .await
        .expect("the booking service builds");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    (addr, (stop, task))
}

/// How a test wants the stack.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Events travel over the real broker instead of the embedded log.
    pub kafka: bool,
    /// The real payment service (sandbox provider) answers the saga; otherwise the test
    /// publishes the payment service's events itself.
    pub payment: bool,
    /// The brokers to use when on Kafka, instead of [`kafka_brokers`] (a test's private broker).
    pub brokers: Option<String>,
}

/// Starts the stack on fresh databases of `backend` with the default settings, except that the
/// timer leaves stays alone (tests check guests in themselves).
pub async fn spawn_stack(backend: Backend) -> TestStack {
    spawn_stack_with(backend, Options::default(), |_| {}).await
}

/// [`spawn_stack`] with the booking service's configuration changed by `configure` first.
pub async fn spawn_stack_with(
    backend: Backend,
    options: Options,
    configure: impl FnOnce(&mut BookingConfig),
) -> TestStack {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("booking-test", &Default::default());
    }
    let fresh = |migrations: estospaces_storage::Migrations| async move {
        match backend {
            Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
        }
        .expect("a fresh test database")
    };
    let database = fresh(estospaces_booking::store::MIGRATIONS).await;
    let property_database = fresh(estospaces_property::store::MIGRATIONS).await;
    let data_dir = tempfile::tempdir().expect("a data dir");
    let brokers = options
        .kafka
        .then(|| options.brokers.clone().unwrap_or_else(kafka_brokers));

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
    let default_common = CommonConfig::default();
    let issuer = TokenIssuer::new(
        key,
        &default_common.auth.issuer,
        &default_common.auth.audience,
        Duration::from_secs(3600),
    );
    let mut shutdown = Vec::new();

    let property_app = estospaces_property::build_with_keys(
        estospaces_property::PropertyConfig {
            common: common(&property_database.url),
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

    // Unique groups on Kafka: tests running at once must not split a topic's partitions.
    let suffix = uuid::Uuid::now_v7().simple().to_string();

    let payment_database = if options.payment {
        let payment_database = fresh(estospaces_payment::store::MIGRATIONS).await;
        let payment_app = estospaces_payment::build_with_keys(
            estospaces_payment::PaymentConfig {
                common: common(&payment_database.url),
                service: estospaces_payment::PaymentSettings {
                    booking_events_group: format!("payment.booking-events.{suffix}"),
                    project_events_group: format!("payment.project-events.{suffix}"),
                    ..estospaces_payment::PaymentSettings::default()
                },
            },
            keys(),
        )
        .await
        .expect("the payment service builds");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(payment_app.run(async {
            let _ = stopped.await;
        }));
        shutdown.push(stop);
        Some(payment_database)
    } else {
        None
    };
    let mut config = BookingConfig {
        common: common(&database.url),
        service: BookingSettings {
            property_url: Some(format!("http://{property_addr}")),
            timer_interval: Duration::from_millis(100),
            auto_stay_transitions: false,
            payment_events_group: format!("booking.payment-events.{suffix}"),
            property_events_group: format!("booking.property-events.{suffix}"),
            ..BookingSettings::default()
        },
    };
    configure(&mut config);
    let (addr, booking) = start_booking(config.clone(), keys()).await;

    let connect = |addr: std::net::SocketAddr| async move {
        Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("the service accepts connections")
    };
    let log = if options.kafka {
        None
    } else {
        Some(
            EventLog::open(&data_dir.path().join("events.db"))
                .await
                .expect("the shared event log"),
        )
    };
    TestStack {
        booking_config: config,
        keys: keys(),
        booking: Some(booking),
        bookings: BookingServiceClient::new(connect(addr).await),
        properties: PropertyServiceClient::new(connect(property_addr).await),
        issuer,
        shutdown,
        database,
        _property_database: property_database,
        _data_dir: data_dir,
        log,
        kafka: brokers.map(KafkaConfig::new),
        payment_database,
    }
}

pub fn date(year: i32, month: i32, day: i32) -> property::Date {
    property::Date { year, month, day }
}

/// The day `days` from today (UTC).
pub fn in_days(days: i64) -> property::Date {
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    date(
        day.year(),
        i32::from(u8::from(day.month())),
        i32::from(day.day()),
    )
}

/// A complete short-stay listing with a moderate cancellation policy.
pub fn short_stay(mode: property::BookingMode) -> property::Property {
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
        booking_mode: mode as i32,
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

impl TestStack {
    /// The payment service's database pool.
    pub fn payments(&self) -> &sqlx::AnyPool {
        self.payment_database
            .as_ref()
            .expect("the payment service runs")
            .database
            .pool()
    }

    /// How many ledger transactions do not balance, per currency, checked in SQL.
    pub async fn unbalanced_transactions(&self) -> i64 {
        sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT transaction_id, currency_code \
             FROM ledger_entries GROUP BY transaction_id, currency_code \
             HAVING SUM(amount) <> 0) AS sums",
        )
        .fetch_one(self.payments())
        .await
        .expect("the ledger is readable")
        .try_get("n")
        .expect("a count")
    }

    /// The payment of `booking`: its state, captured and refunded amounts.
    pub async fn payment_of(&self, booking: &pb::Booking) -> (String, i64, i64) {
        let row = sqlx::query(
            "SELECT state, captured_amount, refunded_amount FROM payments WHERE booking_id = $1",
        )
        .bind(booking.name.trim_start_matches("bookings/"))
        .fetch_one(self.payments())
        .await
        .expect("one payment per booking");
        (
            row.try_get("state").expect("a state"),
            row.try_get("captured_amount").expect("an amount"),
            row.try_get("refunded_amount").expect("an amount"),
        )
    }

    /// How many ledger transactions of `kind` the payment service wrote for `booking`'s payment.
    pub async fn ledger_transactions(&self, booking: &pb::Booking, kind: &str) -> i64 {
        sqlx::query(
            "SELECT COUNT(DISTINCT l.transaction_id) AS n FROM ledger_entries l \
             JOIN payments p ON p.id = l.payment_id WHERE l.kind = $1 AND p.booking_id = $2",
        )
        .bind(kind)
        .bind(booking.name.trim_start_matches("bookings/"))
        .fetch_one(self.payments())
        .await
        .expect("the ledger is readable")
        .try_get("n")
        .expect("a count")
    }

    /// Stops the booking service (it drains, its consumers commit their positions).
    pub async fn stop_booking(&mut self) {
        if let Some((shutdown, task)) = self.booking.take() {
            let _ = shutdown.send(());
            task.await
                .expect("the booking service ran")
                .expect("the booking service stopped cleanly");
        }
    }

    /// Starts the booking service again on its database, transport and consumer groups.
    pub async fn start_booking(&mut self) {
        let (addr, booking) = start_booking(self.booking_config.clone(), self.keys.clone()).await;
        self.booking = Some(booking);
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("the service accepts connections");
        self.bookings = BookingServiceClient::new(channel);
    }

    /// A token for a new user holding `roles`, and the user's name.
    pub fn user(&self, roles: &[Role]) -> (String, String) {
        let id = uuid::Uuid::now_v7().to_string();
        (self.issuer.issue(&id, roles).token, format!("users/{id}"))
    }

    /// A token for a new user holding `roles`.
    pub fn token(&self, roles: &[Role]) -> String {
        self.user(roles).0
    }

    /// Creates and publishes a short stay booked the `mode` way, as the holder of `host`.
    pub async fn listing(&mut self, host: &str, mode: property::BookingMode) -> String {
        let created = self
            .properties
            .create_property(authorized(
                property::CreatePropertyRequest {
                    property: Some(short_stay(mode)),
                    request_id: String::new(),
                },
                host,
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
                host,
            ))
            .await
            .expect("a complete listing publishes");
        created.name
    }

    /// The `CreateBooking` request for `listing` from `check_in` to `check_out`.
    pub fn request(
        listing: &str,
        check_in: property::Date,
        check_out: property::Date,
    ) -> pb::CreateBookingRequest {
        pb::CreateBookingRequest {
            booking: Some(pb::Booking {
                property: listing.to_owned(),
                check_in: Some(check_in),
                check_out: Some(check_out),
                guests: 2,
                ..pb::Booking::default()
            }),
            payment_method: GOOD_CARD.to_owned(),
            request_id: String::new(),
        }
    }

    /// Books `listing` from `check_in` to `check_out` as the holder of `guest`.
    pub async fn book(
        &mut self,
        guest: &str,
        listing: &str,
        check_in: property::Date,
        check_out: property::Date,
    ) -> Result<pb::Booking, tonic::Status> {
        self.bookings
            .create_booking(authorized(
                Self::request(listing, check_in, check_out),
                guest,
            ))
            .await
            .map(|response| response.into_inner().booking.expect("a booking"))
    }

    pub async fn get(&mut self, name: &str, token: &str) -> pb::Booking {
        self.bookings
            .get_booking(authorized(
                pb::GetBookingRequest {
                    name: name.to_owned(),
                },
                token,
            ))
            .await
            .expect("the booking is readable")
            .into_inner()
            .booking
            .expect("a booking")
    }

    /// Waits until the booking `name` is in `state`.
    pub async fn wait_for_state(
        &mut self,
        name: &str,
        token: &str,
        state: pb::booking::State,
    ) -> pb::Booking {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let booking = self.get(name, token).await;
            if booking.state == state as i32 {
                return booking;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never became {state:?}; it is {:?}",
                pb::booking::State::try_from(booking.state)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the booking `name`'s payment status is `status`.
    pub async fn wait_for_payment(
        &mut self,
        name: &str,
        token: &str,
        status: pb::booking::PaymentStatus,
    ) -> pb::Booking {
        self.wait_for_payment_within(name, token, status, Duration::from_secs(30))
            .await
    }

    /// [`TestStack::wait_for_payment`], giving up after `within`.
    pub async fn wait_for_payment_within(
        &mut self,
        name: &str,
        token: &str,
        status: pb::booking::PaymentStatus,
        within: Duration,
    ) -> pb::Booking {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let booking = self.get(name, token).await;
            if booking.payment_status == status as i32 {
                return booking;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name}'s payment never became {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn saga(&mut self, name: &str, token: &str) -> pb::BookingSaga {
        self.bookings
            .get_booking_saga(authorized(
                pb::GetBookingSagaRequest {
                    name: format!("{name}/saga"),
                },
                token,
            ))
            .await
            .expect("the saga is readable")
            .into_inner()
            .saga
            .expect("a saga")
    }

    /// The names of the saga's steps, in order.
    pub async fn steps(&mut self, name: &str, token: &str) -> Vec<String> {
        self.saga(name, token)
            .await
            .steps
            .into_iter()
            .map(|step| step.step)
            .collect()
    }

    /// Publishes a payment event about `booking` as the payment service would; returns its id.
    pub async fn publish_payment<P: Name>(
        &self,
        event_type: &str,
        payment_id: &str,
        payload: &P,
    ) -> String {
        let event_id = uuid::Uuid::now_v7().to_string();
        self.publish_payment_as(&event_id, event_type, payment_id, payload)
            .await;
        event_id
    }

    /// [`TestStack::publish_payment`] with the event's id given (to redeliver an event).
    pub async fn publish_payment_as<P: Name>(
        &self,
        event_id: &str,
        event_type: &str,
        payment_id: &str,
        payload: &P,
    ) {
        let envelope = EventEnvelope {
            event_id: event_id.to_owned(),
            event_type: event_type.to_owned(),
            source: "payment".to_owned(),
            aggregate_type: "payment".to_owned(),
            aggregate_id: payment_id.to_owned(),
            aggregate_sequence: 1,
            occurred_at: Some(SystemTime::now().into()),
            correlation_id: event_id.to_owned(),
            payload: Some(prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            }),
            ..EventEnvelope::default()
        };
        let record = OutgoingRecord {
            topic: "estospaces.payment.v1".to_owned(),
            key: payment_id.to_owned(),
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
            (None, None) => unreachable!("a stack has a transport"),
        };
        for result in results {
            result.expect("the transport takes the event");
        }
    }

    /// Answers `booking`'s authorization as the payment service would.
    pub async fn authorize(&self, booking: &pb::Booking) -> String {
        let payment_id = uuid::Uuid::now_v7().to_string();
        self.publish_payment(
            "payment.authorized",
            &payment_id,
            &payment::PaymentAuthorized {
                payment: Some(payment_facts(booking, &payment_id)),
            },
        )
        .await
    }

    /// Answers `booking`'s authorization with a decline, as the payment service would for
    /// card 4000000000000002.
    pub async fn decline_card(&self, booking: &pb::Booking) -> String {
        let payment_id = uuid::Uuid::now_v7().to_string();
        self.publish_payment(
            "payment.failed",
            &payment_id,
            &payment::PaymentFailed {
                payment: Some(payment_facts(booking, &payment_id)),
                failure_code: "card_declined".to_owned(),
                failure_message: "Your card was declined.".to_owned(),
            },
        )
        .await
    }

    /// Answers a confirmed booking's capture with a refusal, as the payment service does when
    /// the provider refuses it for good (an authorization that expired).
    pub async fn refuse_capture(&self, booking: &pb::Booking, payment_id: &str) -> String {
        self.publish_payment(
            "payment.failed",
            payment_id,
            &payment::PaymentFailed {
                payment: Some(payment_facts(booking, payment_id)),
                failure_code: "capture_failed".to_owned(),
                failure_message: "resource_missing: no payment".to_owned(),
            },
        )
        .await
    }

    /// The booking service's events recorded in its outbox so far, in order.
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

    /// The types of the booking events about `booking` recorded so far, in order.
    pub async fn event_types(&self, booking: &pb::Booking) -> Vec<String> {
        let id = booking.name.trim_start_matches("bookings/");
        self.events()
            .await
            .iter()
            .filter(|event| event.aggregate_id() == id)
            .map(|event| event.event_type().to_owned())
            .collect()
    }
}

/// The facts a payment event repeats about `booking`.
pub fn payment_facts(booking: &pb::Booking, payment_id: &str) -> payment::PaymentFacts {
    payment::PaymentFacts {
        payment: format!("payments/{payment_id}"),
        booking: booking.name.clone(),
        payer: booking.guest.clone(),
        amount: booking.total_amount,
        currency_code: booking.currency_code.clone(),
        reservation: String::new(),
    }
}
