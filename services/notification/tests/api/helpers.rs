use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use estospaces_config::CommonConfig;
use estospaces_events::{EventLog, EventSink as _, OutgoingRecord};
use estospaces_identity::delivery::{Mail, TokenDelivery};
use estospaces_identity::{IdentityConfig, IdentitySettings};
use estospaces_notification::{NotificationConfig, NotificationSettings};
use estospaces_proto::events_v1::EventEnvelope;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::notification_v1 as pb;
use estospaces_proto::notification_v1::notification_service_client::NotificationServiceClient;
use estospaces_storage::testing::TestDatabase;
use prost::Message as _;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends};

const PASSWORD: &str = "correct horse battery staple";
const ADMIN_EMAIL: &str = "admin@example.com";

/// Collects identity's verification mail, to make the bootstrap admin.
#[derive(Debug, Clone, Default)]
struct Mailbox(Arc<Mutex<Vec<Mail>>>);

impl TokenDelivery for Mailbox {
    fn deliver(&self, mail: &Mail) {
        self.0.lock().expect("mailbox").push(mail.clone());
    }
}

/// A signed-in user: their resource name (`users/{user}`) and access token.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
}

/// Identity and notification side by side, a client for each, and the shared event log. Both
/// stop when dropped.
pub struct TestApp {
    pub identity: IdentityServiceClient<Channel>,
    pub notification: NotificationServiceClient<Channel>,
    pub log: EventLog,
    mailbox: Mailbox,
    shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
    _databases: [TestDatabase; 2],
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for shutdown in self.shutdown.drain(..) {
            let _ = shutdown.send(());
        }
    }
}

pub async fn database(
    backend: Backend,
    migrations: estospaces_storage::Migrations,
) -> TestDatabase {
    match backend {
        Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
        Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
    }
    .expect("a fresh test database")
}

fn common(database: &TestDatabase, data_dir: &std::path::Path) -> CommonConfig {
    CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(database.url.clone().into()),
        data_dir: data_dir.to_path_buf(),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("the service accepts connections")
}

/// Settings that make a test quick: retries within milliseconds, digests every 100 ms.
pub fn quick_settings() -> NotificationSettings {
    NotificationSettings {
        retry_delay: Duration::from_millis(20),
        max_retry_delay: Duration::from_millis(100),
        max_attempts: 3,
        send_interval: Duration::from_millis(50),
        digest_interval: Duration::from_millis(100),
        public_base_url: Some("https://stays.example".to_owned()),
        ..NotificationSettings::default()
    }
}

/// Starts identity, then notification with `settings`, each on a fresh database of `backend`.
pub async fn spawn_app_with(backend: Backend, settings: NotificationSettings) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("notification-test", &Default::default());
    }
    let identity_db = database(backend, estospaces_identity::store::MIGRATIONS).await;
    let notification_db = database(backend, estospaces_notification::store::MIGRATIONS).await;
    let data_dir = identity_db.data_dir().to_path_buf();
    let mut shutdown = Vec::new();

    let mailbox = Mailbox::default();
    let identity_app = estospaces_identity::build_with_delivery(
        IdentityConfig {
            common: common(&identity_db, &data_dir),
            service: IdentitySettings {
                bootstrap_admin_email: Some(ADMIN_EMAIL.to_owned()),
                ..IdentitySettings::default()
            },
        },
        Arc::new(mailbox.clone()),
    )
    .await
    .expect("identity builds");
    let identity_addr = identity_app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(identity_app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    let mut notification_common = common(&notification_db, &data_dir);
    notification_common.auth.identity_url = Some(format!("http://{identity_addr}"));
    let app = estospaces_notification::build(NotificationConfig {
        common: notification_common,
        service: settings,
    })
    .await
    .expect("notification builds");
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    TestApp {
        identity: IdentityServiceClient::new(connect(identity_addr).await),
        notification: NotificationServiceClient::new(connect(addr).await),
        log: EventLog::open(&data_dir.join("events.db"))
            .await
            .expect("the event log"),
        mailbox,
        shutdown,
        _databases: [identity_db, notification_db],
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, quick_settings()).await
}

/// Polls `check` every 20 ms until it returns `Some`, for up to 10 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl TestApp {
    /// Registers `email` at identity and signs in.
    pub async fn user(&mut self, email: &str) -> User {
        let name = self
            .identity
            .register_user(identity::RegisterUserRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("registration succeeds")
            .into_inner()
            .user
            .expect("a user")
            .name;
        let token = self.login(email).await;
        User { name, token }
    }

    pub async fn login(&mut self, email: &str) -> String {
        self.identity
            .login(identity::LoginRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("login succeeds")
            .into_inner()
            .access_token
    }

    /// The bootstrap admin, email verified, signed in.
    pub async fn admin(&mut self) -> User {
        let mut admin = self.user(ADMIN_EMAIL).await;
        let token = self
            .mailbox
            .0
            .lock()
            .expect("mailbox")
            .iter()
            .find_map(|mail| match mail {
                Mail::EmailVerification(mail) if mail.user == admin.name => {
                    Some(mail.token.clone())
                }
                _ => None,
            })
            .expect("a verification mail");
        self.identity
            .verify_email(identity::VerifyEmailRequest { token })
            .await
            .expect("verified");
        admin.token = self.login(ADMIN_EMAIL).await;
        admin
    }

    /// Appends an event to the shared log as the service `source` would publish it; returns
    /// its id. Publishing the same id twice is a redelivery.
    pub async fn publish<P: prost::Name>(
        &self,
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
            aggregate_type: "test".to_owned(),
            aggregate_id: key.to_owned(),
            occurred_at: Some(std::time::SystemTime::now().into()),
            payload: Some(prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            }),
            ..EventEnvelope::default()
        };
        let results = self
            .log
            .publish(&[OutgoingRecord {
                topic: estospaces_events::topic_for(source),
                key: key.to_owned(),
                payload: envelope.encode_to_vec(),
                headers: Vec::new(),
            }])
            .await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }

    /// `user`'s deliveries, newest first.
    pub async fn deliveries(&mut self, user: &User) -> Vec<pb::Delivery> {
        self.notification
            .list_deliveries(authorized(
                pb::ListDeliveriesRequest {
                    parent: user.name.clone(),
                    ..Default::default()
                },
                &user.token,
            ))
            .await
            .expect("the owner lists deliveries")
            .into_inner()
            .deliveries
    }

    /// `user`'s inbox, newest first, and the unread count.
    pub async fn inbox(&mut self, user: &User) -> pb::ListNotificationsResponse {
        self.notification
            .list_notifications(authorized(
                pb::ListNotificationsRequest {
                    parent: user.name.clone(),
                    ..Default::default()
                },
                &user.token,
            ))
            .await
            .expect("the owner lists notifications")
            .into_inner()
    }
}

/// A booking between `guest` and `host` on a listing.
pub fn booking_facts(
    id: &str,
    guest: &User,
    host: &User,
) -> estospaces_proto::booking_v1::BookingFacts {
    use estospaces_proto::property_v1::Date;
    estospaces_proto::booking_v1::BookingFacts {
        booking: format!("bookings/{id}"),
        property: "properties/p-1".to_owned(),
        guest: guest.name.clone(),
        host: host.name.clone(),
        check_in: Some(Date {
            year: 2027,
            month: 7,
            day: 1,
        }),
        check_out: Some(Date {
            year: 2027,
            month: 7,
            day: 3,
        }),
        total_amount: 25_000,
        currency_code: "EUR".to_owned(),
        platform_fee: 1_000,
    }
}

/// Publishes `booking.confirmed` for a new booking between `guest` and `host`.
pub async fn confirm_booking(app: &TestApp, id: &str, guest: &User, host: &User) {
    let event = estospaces_proto::booking_v1::BookingConfirmed {
        booking: Some(booking_facts(id, guest, host)),
        capture_now: true,
    };
    app.publish(
        "booking",
        &format!("evt-{id}"),
        "booking.confirmed",
        &format!("bookings/{id}"),
        &event,
    )
    .await;
}
