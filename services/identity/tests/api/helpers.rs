use std::sync::{Arc, Mutex};
use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_identity::delivery::{Mail, TokenDelivery};
use estospaces_identity::{IdentityConfig, IdentitySettings};
use estospaces_proto::identity_v1 as pb;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_storage::testing::TestDatabase;
use tonic::transport::Channel;

pub use estospaces_testing::{
    Backend, authorized, bad_fields, on_both_backends, reason, retry_delay,
};

pub const PASSWORD: &str = "correct horse battery staple";

/// The email the test configuration names as bootstrap admin.
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// The permission a PERMISSION_DENIED error says the caller lacks (`role:admin`, `owner`).
pub fn permission(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get("permission").cloned())
        .unwrap_or_default()
}

/// Records the mail a user would receive, as the notification service will from the events.
#[derive(Debug, Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<Mail>>>);

impl TokenDelivery for Mailbox {
    fn deliver(&self, mail: &Mail) {
        self.0.lock().expect("mailbox").push(mail.clone());
    }
}

impl Mailbox {
    /// Everything delivered so far, oldest first.
    pub fn mail(&self) -> Vec<Mail> {
        self.0.lock().expect("mailbox").clone()
    }

    /// The newest email verification token sent for `user` (`users/{user}`).
    pub fn verification_token(&self, user: &str) -> String {
        self.mail()
            .into_iter()
            .rev()
            .find_map(|mail| match mail {
                Mail::EmailVerification(mail) if mail.user == user => Some(mail.token),
                _ => None,
            })
            .expect("a verification mail")
    }

    /// The newest password reset token sent for `user` (`users/{user}`), waiting up to five
    /// seconds for it: reset mail is issued after the response.
    pub async fn reset_token(&self, user: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let token = self.mail().into_iter().rev().find_map(|mail| match mail {
                Mail::PasswordReset(mail) if mail.user == user => Some(mail.token),
                _ => None,
            });
            if let Some(token) = token {
                return token;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no reset mail for {user}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A running identity service and a client for it. Stops the service when dropped.
pub struct TestApp {
    pub client: IdentityServiceClient<Channel>,
    pub channel: Channel,
    pub mailbox: Mailbox,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts the service on a fresh database of `backend` and connects a client.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with the service settings adjusted by `configure`.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut IdentitySettings),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("identity-test", &Default::default());
    }
    let migrations = estospaces_identity::store::MIGRATIONS;
    let database = match backend {
        Backend::Postgres => {
            TestDatabase::postgres(&[migrations, estospaces_events::MIGRATIONS]).await
        }
        Backend::Sqlite => TestDatabase::sqlite(&[migrations, estospaces_events::MIGRATIONS]).await,
    }
    .expect("a fresh test database");

    let mut service = IdentitySettings {
        bootstrap_admin_email: Some(ADMIN_EMAIL.to_owned()),
        ..IdentitySettings::default()
    };
    configure(&mut service);
    let config = IdentityConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            database_url: Some(database.url.clone().into()),
            data_dir: database.data_dir().to_path_buf(),
            shutdown_grace: Duration::from_secs(1),
            ..CommonConfig::default()
        },
        service,
    };
    let mailbox = Mailbox::default();
    let app = estospaces_identity::build_with_delivery(config, Arc::new(mailbox.clone()))
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
        client: IdentityServiceClient::new(channel.clone()),
        channel,
        mailbox,
        shutdown: Some(shutdown),
        database,
    }
}

impl TestApp {
    /// Registers `email` with the test password.
    pub async fn register(&mut self, email: &str) -> pb::User {
        self.client
            .register_user(pb::RegisterUserRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("registration succeeds")
            .into_inner()
            .user
            .expect("a user")
    }

    /// Signs in with the test password and returns the access token.
    pub async fn login(&mut self, email: &str) -> String {
        self.login_session(email).await.access_token
    }

    /// Signs in with the test password and returns the whole response.
    pub async fn login_session(&mut self, email: &str) -> pb::LoginResponse {
        self.client
            .login(pb::LoginRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("login succeeds")
            .into_inner()
    }

    /// Exchanges a refresh token.
    pub async fn refresh(
        &mut self,
        refresh_token: &str,
    ) -> Result<pb::RefreshSessionResponse, tonic::Status> {
        self.client
            .refresh_session(pb::RefreshSessionRequest {
                refresh_token: refresh_token.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Verifies `user`'s email with the token mailed to it.
    pub async fn verify_email(&mut self, user: &pb::User) -> pb::User {
        let token = self.mailbox.verification_token(&user.name);
        self.client
            .verify_email(pb::VerifyEmailRequest { token })
            .await
            .expect("the mailed token verifies")
            .into_inner()
            .user
            .expect("a user")
    }

    /// Registers the bootstrap admin, verifies their email and signs them in.
    pub async fn signed_in_admin(&mut self) -> (pb::User, String) {
        let admin = self.register(ADMIN_EMAIL).await;
        self.verify_email(&admin).await;
        let token = self.login(ADMIN_EMAIL).await;
        (admin, token)
    }

    /// Registers `email`, has the admin behind `admin_token` grant it ROLE_MODERATOR and signs
    /// it in, so its token carries the role.
    pub async fn signed_in_moderator(
        &mut self,
        email: &str,
        admin_token: &str,
    ) -> (pb::User, String) {
        let user = self.register(email).await;
        self.client
            .grant_role(authorized(
                pb::GrantRoleRequest {
                    name: user.name.clone(),
                    role: pb::Role::Moderator as i32,
                },
                admin_token,
            ))
            .await
            .expect("an admin grants ROLE_MODERATOR");
        let token = self.login(email).await;
        (user, token)
    }

    /// The events recorded in the outbox so far, oldest first.
    pub async fn outbox(&self) -> Vec<estospaces_events::Event> {
        use sqlx::Row;
        sqlx::query("SELECT envelope FROM event_outbox ORDER BY id")
            .fetch_all(self.database.database.pool())
            .await
            .expect("the outbox is readable")
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("envelope").expect("an envelope");
                estospaces_events::Event::decode(&bytes).expect("an envelope")
            })
            .collect()
    }

    /// Registers and signs in a new account; returns it and its token.
    pub async fn signed_in_user(&mut self, email: &str) -> (pb::User, String) {
        let user = self.register(email).await;
        let token = self.login(email).await;
        (user, token)
    }
}

impl TestApp {
    /// Verifies `token` against the key set the service publishes now.
    pub async fn verify(
        &mut self,
        token: &str,
    ) -> Result<estospaces_auth::Caller, estospaces_auth::AuthError> {
        let keys = self.published_keys().await;
        let defaults = estospaces_config::AuthConfig::default();
        estospaces_auth::TokenVerifier::new(
            estospaces_auth::KeySet::new(&keys).expect("Ed25519 keys"),
            &defaults.issuer,
            &defaults.audience,
        )
        .verify(token)
    }

    /// The key set from `GetJwks`.
    pub async fn published_keys(&mut self) -> Vec<estospaces_auth::PublicJwk> {
        self.client
            .get_jwks(pb::GetJwksRequest {})
            .await
            .expect("the key set is public")
            .into_inner()
            .keys
            .into_iter()
            .map(estospaces_auth::PublicJwk::from)
            .collect()
    }
}
