use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_auth::{KeySet, Role, SigningKey, TokenIssuer};
use estospaces_config::CommonConfig;
use estospaces_events::{Event, EventLog, EventSink, OutgoingRecord, topic_for};
use estospaces_payment::provider::{Movement, SandboxProvider};
use estospaces_payment::{PaymentConfig, PaymentSettings};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::payment_v1 as pb;
use estospaces_proto::payment_v1::payment_service_client::PaymentServiceClient;
use estospaces_proto::project_v1 as project;
use estospaces_storage::testing::TestDatabase;
use prost::{Message, Name};
use sqlx::Row;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

/// A running payment service with the sandbox provider, a client for it and a token issuer it
/// trusts. Stops the service when dropped.
pub struct TestApp {
    pub client: PaymentServiceClient<Channel>,
    pub sandbox: SandboxProvider,
    issuer: TokenIssuer,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub database: TestDatabase,
    pub data_dir: tempfile::TempDir,
    /// The admin the tests act as.
    pub admin: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the configuration changed by `configure` first. Payouts fall due at
/// check-in and are paid every 100 ms.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut PaymentConfig),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("payment-test", &Default::default());
    }
    let migrations = estospaces_payment::store::MIGRATIONS;
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
    let mut config = PaymentConfig {
        common,
        service: PaymentSettings {
            payout_delay: Duration::ZERO,
            payout_interval: Duration::from_millis(100),
            ..PaymentSettings::default()
        },
    };
    configure(&mut config);
    let sandbox = SandboxProvider::new();
    let app = estospaces_payment::build_with(config, keys, Arc::new(sandbox.clone()))
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
    let mut app = TestApp {
        client: PaymentServiceClient::new(channel),
        sandbox,
        issuer,
        shutdown: Some(shutdown),
        database,
        data_dir,
        admin: String::new(),
    };
    app.admin = app.token(&[Role::Admin]);
    app
}

/// A new id for a user or a booking.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl TestApp {
    /// A token for a new user holding `roles`.
    pub fn token(&self, roles: &[Role]) -> String {
        self.token_for(&new_id(), roles)
    }

    /// A token for user `user_id` holding `roles`.
    pub fn token_for(&self, user_id: &str, roles: &[Role]) -> String {
        self.issuer.issue(user_id, roles).token
    }

    /// An authorization request for a new booking of 100.00 EUR with a 15.00 fee, paid by
    /// `payer` to `host` with `card`.
    pub fn authorize_request(payer: &str, host: &str, card: &str) -> pb::AuthorizePaymentRequest {
        pb::AuthorizePaymentRequest {
            booking: format!("bookings/{}", new_id()),
            payer: format!("users/{payer}"),
            host: format!("users/{host}"),
            amount: 10_000,
            currency_code: "EUR".to_owned(),
            platform_fee: 1_500,
            payment_method: card.to_owned(),
            idempotency_key: new_id(),
            reservation: String::new(),
        }
    }

    /// Authorizes a new payment as the admin; the payment, whether authorized or failed.
    pub async fn authorize(&mut self, request: pb::AuthorizePaymentRequest) -> pb::Payment {
        let admin = self.admin.clone();
        self.client
            .authorize_payment(authorized(request, &admin))
            .await
            .expect("the authorization is answered")
            .into_inner()
            .payment
            .expect("a payment")
    }

    /// An authorized payment of 100.00 EUR (15.00 fee) from `payer` to `host`.
    pub async fn authorized_payment(&mut self, payer: &str, host: &str) -> pb::Payment {
        let payment = self
            .authorize(Self::authorize_request(payer, host, "4242424242424242"))
            .await;
        assert_eq!(payment.state(), pb::payment::State::Authorized);
        payment
    }

    pub async fn capture(&mut self, name: &str, amount: i64) -> Result<pb::Payment, tonic::Status> {
        let admin = self.admin.clone();
        self.client
            .capture_payment(authorized(
                pb::CapturePaymentRequest {
                    name: name.to_owned(),
                    amount,
                    idempotency_key: new_id(),
                },
                &admin,
            ))
            .await
            .map(|response| response.into_inner().payment.expect("a payment"))
    }

    pub async fn void(&mut self, name: &str) -> Result<pb::Payment, tonic::Status> {
        let admin = self.admin.clone();
        self.client
            .void_payment(authorized(
                pb::VoidPaymentRequest {
                    name: name.to_owned(),
                    idempotency_key: new_id(),
                },
                &admin,
            ))
            .await
            .map(|response| response.into_inner().payment.expect("a payment"))
    }

    pub async fn refund(&mut self, name: &str, amount: i64) -> Result<pb::Payment, tonic::Status> {
        let admin = self.admin.clone();
        self.client
            .refund_payment(authorized(
                pb::RefundPaymentRequest {
                    name: name.to_owned(),
                    amount,
                    reason: "the test says so".to_owned(),
                    idempotency_key: new_id(),
                },
                &admin,
            ))
            .await
            .map(|response| response.into_inner().payment.expect("a payment"))
    }

    /// The account's balance in EUR through `GetLedgerBalance` (0 without entries).
    pub async fn balance(&mut self, account: &str) -> i64 {
        let admin = self.admin.clone();
        self.client
            .get_ledger_balance(authorized(
                pb::GetLedgerBalanceRequest {
                    account: account.to_owned(),
                },
                &admin,
            ))
            .await
            .expect("an admin reads balances")
            .into_inner()
            .balances
            .iter()
            .find(|balance| balance.currency_code == "EUR")
            .map_or(0, |balance| balance.balance)
    }

    /// How many (transaction, currency) pairs of the ledger do not sum to zero, checked in SQL.
    pub async fn unbalanced_transactions(&self) -> i64 {
        sqlx::query(
            "SELECT COUNT(*) AS unbalanced FROM (SELECT transaction_id, currency_code \
             FROM ledger_entries GROUP BY transaction_id, currency_code \
             HAVING SUM(amount) <> 0) AS sums",
        )
        .fetch_one(self.database.database.pool())
        .await
        .expect("the ledger is readable")
        .try_get("unbalanced")
        .expect("a count")
    }

    /// How many ledger transactions of `kind` there are.
    pub async fn ledger_transactions(&self, kind: &str) -> i64 {
        sqlx::query(
            "SELECT COUNT(DISTINCT transaction_id) AS transactions FROM ledger_entries \
             WHERE kind = $1",
        )
        .bind(kind)
        .fetch_one(self.database.database.pool())
        .await
        .expect("the ledger is readable")
        .try_get("transactions")
        .expect("a count")
    }

    /// Asserts the ledger balances in SQL and that the accounts of `host` hold what is given.
    pub async fn assert_ledger(&mut self, host: &str, clearing: i64, revenue: i64, payable: i64) {
        assert_eq!(
            self.unbalanced_transactions().await,
            0,
            "every transaction balances"
        );
        assert_eq!(
            self.balance("provider_clearing").await,
            clearing,
            "provider_clearing"
        );
        assert_eq!(
            self.balance("platform_revenue").await,
            revenue,
            "platform_revenue"
        );
        assert_eq!(
            self.balance(&format!("host_payable:{host}")).await,
            payable,
            "host_payable"
        );
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

    /// Waits (up to 30 s) until the outbox holds `count` events, then returns their types.
    pub async fn wait_for_events(&self, count: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let types = self.event_types().await;
            if types.len() >= count || tokio::time::Instant::now() > deadline {
                return types;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Captures and refunds the sandbox saw, which is where money moves.
    pub fn money_movements(&self) -> Vec<Movement> {
        self.sandbox
            .movements()
            .into_iter()
            .filter(|movement| {
                matches!(
                    movement,
                    Movement::Captured { .. } | Movement::Refunded { .. }
                )
            })
            .collect()
    }

    /// The embedded event log the service reads booking events from.
    pub async fn event_log(&self) -> EventLog {
        EventLog::open(&self.data_dir.path().join("events.db"))
            .await
            .expect("the event log opens")
    }
}

/// A booking the saga tests feed events about: 100.00 EUR with a 15.00 fee.
#[derive(Debug)]
pub struct Booking {
    pub id: String,
    pub guest: String,
    pub host: String,
    sequence: std::sync::atomic::AtomicI64,
}

impl Booking {
    pub fn new() -> Self {
        Self {
            id: new_id(),
            guest: new_id(),
            host: new_id(),
            sequence: std::sync::atomic::AtomicI64::new(0),
        }
    }

    pub fn facts(&self) -> Option<booking::BookingFacts> {
        Some(booking::BookingFacts {
            booking: format!("bookings/{}", self.id),
            property: format!("properties/{}", new_id()),
            guest: format!("users/{}", self.guest),
            host: format!("users/{}", self.host),
            check_in: None,
            check_out: None,
            total_amount: 10_000,
            currency_code: "EUR".to_owned(),
            platform_fee: 1_500,
        })
    }

    /// The encoded envelope of the booking event `event_type` with `payload`, as the booking
    /// service's outbox would write it.
    pub fn envelope<P: Message + Name>(&self, event_type: &str, payload: &P) -> Vec<u8> {
        let sequence = self
            .sequence
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let event_id = new_id();
        EventEnvelope {
            correlation_id: event_id.clone(),
            event_id,
            event_type: event_type.to_owned(),
            source: "booking".to_owned(),
            aggregate_type: "booking".to_owned(),
            aggregate_id: self.id.clone(),
            aggregate_sequence: sequence,
            occurred_at: Some(SystemTime::now().into()),
            payload: Some(prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            }),
            ..EventEnvelope::default()
        }
        .encode_to_vec()
    }

    pub fn requested(&self, card: &str) -> Vec<u8> {
        self.envelope(
            "booking.requested",
            &booking::BookingRequested {
                booking: self.facts(),
                payment_method: card.to_owned(),
                instant_book: true,
                hold_expire_time: None,
            },
        )
    }

    pub fn confirmed(&self, capture_now: bool) -> Vec<u8> {
        self.envelope(
            "booking.confirmed",
            &booking::BookingConfirmed {
                booking: self.facts(),
                capture_now,
            },
        )
    }

    pub fn checked_in(&self) -> Vec<u8> {
        self.envelope(
            "booking.checked_in",
            &booking::BookingCheckedIn {
                booking: self.facts(),
            },
        )
    }

    pub fn expired(&self) -> Vec<u8> {
        self.envelope(
            "booking.expired",
            &booking::BookingExpired {
                booking: self.facts(),
                reason: "the hold lapsed".to_owned(),
            },
        )
    }

    pub fn cancelled(&self, by_host: bool, refund_amount: i64) -> Vec<u8> {
        let cancelled_by = if by_host {
            booking::booking_cancelled::CancelledBy::Host
        } else {
            booking::booking_cancelled::CancelledBy::Guest
        };
        self.envelope(
            "booking.cancelled",
            &booking::BookingCancelled {
                booking: self.facts(),
                cancelled_by: cancelled_by as i32,
                refund_amount,
                refund_explanation: "per the policy".to_owned(),
            },
        )
    }
}

/// Publishes booking event envelopes to `sink`, keyed by the booking like the booking
/// service's relay does.
pub async fn publish(sink: &impl EventSink, booking: &Booking, envelopes: &[Vec<u8>]) {
    let records: Vec<OutgoingRecord> = envelopes
        .iter()
        .map(|payload| OutgoingRecord {
            topic: topic_for("booking"),
            key: booking.id.clone(),
            payload: payload.clone(),
            headers: Vec::new(),
        })
        .collect();
    for result in sink.publish(&records).await {
        result.expect("the booking event is published");
    }
}

/// A project unit reservation the deposit tests feed events about: a deposit of 50.00 EUR
/// from its buyer, for the project's developer.
#[derive(Debug)]
pub struct Reservation {
    pub id: String,
    pub project: String,
    pub buyer: String,
    pub developer: String,
}

impl Reservation {
    pub fn new() -> Self {
        Self {
            id: new_id(),
            project: new_id(),
            buyer: new_id(),
            developer: new_id(),
        }
    }

    /// Its name, `projects/{project}/reservations/{reservation}`.
    pub fn name(&self) -> String {
        format!("projects/{}/reservations/{}", self.project, self.id)
    }

    pub fn facts(&self) -> Option<project::ReservationFacts> {
        Some(project::ReservationFacts {
            reservation: self.name(),
            unit: format!("projects/{}/units/{}", self.project, new_id()),
            buyer: format!("users/{}", self.buyer),
            developer: format!("users/{}", self.developer),
            deposit_amount: 5_000,
            currency_code: "EUR".to_owned(),
        })
    }

    /// The encoded envelope of the project event `event_type` with `payload`, as the project
    /// service's outbox would write it (reservation events are keyed by the reservation).
    pub fn envelope<P: Message + Name>(&self, event_type: &str, payload: &P) -> Vec<u8> {
        let event_id = new_id();
        EventEnvelope {
            correlation_id: event_id.clone(),
            event_id,
            event_type: event_type.to_owned(),
            source: "project".to_owned(),
            aggregate_type: "reservation".to_owned(),
            aggregate_id: self.id.clone(),
            aggregate_sequence: 1,
            occurred_at: Some(SystemTime::now().into()),
            payload: Some(prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            }),
            ..EventEnvelope::default()
        }
        .encode_to_vec()
    }

    pub fn requested(&self, card: &str) -> Vec<u8> {
        self.envelope(
            "reservation.requested",
            &project::ReservationRequested {
                reservation: self.facts(),
                payment_method: card.to_owned(),
            },
        )
    }

    pub fn confirmed(&self) -> Vec<u8> {
        self.envelope(
            "reservation.confirmed",
            &project::ReservationConfirmed {
                reservation: self.facts(),
            },
        )
    }

    pub fn released(&self, refund_amount: i64) -> Vec<u8> {
        self.envelope(
            "reservation.released",
            &project::ReservationReleased {
                reservation: self.facts(),
                refund_amount,
                ..Default::default()
            },
        )
    }

    pub fn completed(&self) -> Vec<u8> {
        self.envelope(
            "reservation.completed",
            &project::ReservationCompleted {
                reservation: self.facts(),
            },
        )
    }
}

/// Publishes project event envelopes about `reservation` to `sink`, keyed by the reservation
/// like the project service's relay does.
pub async fn publish_project(
    sink: &impl EventSink,
    reservation: &Reservation,
    envelopes: &[Vec<u8>],
) {
    let records: Vec<OutgoingRecord> = envelopes
        .iter()
        .map(|payload| OutgoingRecord {
            topic: topic_for("project"),
            key: reservation.id.clone(),
            payload: payload.clone(),
            headers: Vec::new(),
        })
        .collect();
    for result in sink.publish(&records).await {
        result.expect("the project event is published");
    }
}
