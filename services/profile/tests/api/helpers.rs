use std::sync::{Arc, Mutex};
use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_identity::delivery::{Mail, TokenDelivery};
use estospaces_identity::{IdentityConfig, IdentitySettings};
use estospaces_profile::store::ProfileStore;
use estospaces_profile::{ProfileConfig, ProfileSettings};
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::profile_v1::profile_service_client::ProfileServiceClient;
use estospaces_storage::testing::TestDatabase;
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

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

impl User {
    /// `users/{user}/profile`.
    pub fn profile(&self) -> String {
        format!("{}/profile", self.name)
    }
}

/// Identity and profile running side by side, with a client for each, and the profile store
/// (for calling the event handlers directly). Both stop when dropped.
pub struct TestApp {
    pub identity: IdentityServiceClient<Channel>,
    pub profile: ProfileServiceClient<Channel>,
    pub profile_channel: Channel,
    pub store: ProfileStore,
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

async fn database(backend: Backend, migrations: estospaces_storage::Migrations) -> TestDatabase {
    match backend {
        Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
        Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
    }
    .expect("a fresh test database")
}

/// A service's settings: its own database, and `data_dir` shared by both services so they
/// share the embedded event log, as in the single-binary platform.
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

/// Starts identity, then profile pointed at it, each on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("profile-test", &Default::default());
    }
    let identity_db = database(backend, estospaces_identity::store::MIGRATIONS).await;
    let profile_db = database(backend, estospaces_profile::store::MIGRATIONS).await;
    let mut shutdown = Vec::new();

    let mailbox = Mailbox::default();
    let identity_config = IdentityConfig {
        common: common(&identity_db, identity_db.data_dir()),
        service: IdentitySettings {
            bootstrap_admin_email: Some(ADMIN_EMAIL.to_owned()),
            ..IdentitySettings::default()
        },
    };
    let identity_app =
        estospaces_identity::build_with_delivery(identity_config, Arc::new(mailbox.clone()))
            .await
            .expect("identity builds");
    let identity_addr = identity_app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(identity_app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    let mut profile_common = common(&profile_db, identity_db.data_dir());
    profile_common.auth.identity_url = Some(format!("http://{identity_addr}"));
    let profile_config = ProfileConfig {
        common: profile_common,
        service: ProfileSettings::default(),
    };
    let profile_app = estospaces_profile::build(profile_config)
        .await
        .expect("profile builds");
    let profile_addr = profile_app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(profile_app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    let profile_channel = connect(profile_addr).await;
    TestApp {
        identity: IdentityServiceClient::new(connect(identity_addr).await),
        profile: ProfileServiceClient::new(profile_channel.clone()),
        profile_channel,
        store: ProfileStore::new(profile_db.database.clone()),
        mailbox,
        shutdown,
        _databases: [identity_db, profile_db],
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

    /// A fresh access token for `email`.
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

    /// Registers `email`, has `admin` grant it `role`, and signs it in with the role.
    pub async fn user_with_role(
        &mut self,
        email: &str,
        role: identity::Role,
        admin: &User,
    ) -> User {
        let mut user = self.user(email).await;
        self.identity
            .grant_role(authorized(
                identity::GrantRoleRequest {
                    name: user.name.clone(),
                    role: role as i32,
                },
                &admin.token,
            ))
            .await
            .expect("admins grant");
        user.token = self.login(email).await;
        user
    }
}
