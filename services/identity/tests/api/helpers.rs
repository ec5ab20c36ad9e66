use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_identity::{Application, IdentityConfig};
use estospaces_proto::identity_v1 as pb;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_storage::testing::TestDatabase;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Defines each test once and runs it on both backends, as `<test>::on_postgres` and
/// `<test>::on_sqlite`.
macro_rules! on_both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $crate::helpers::Backend) $body

                #[tokio::test]
                async fn on_postgres() {
                    run($crate::helpers::Backend::Postgres).await
                }

                #[tokio::test]
                async fn on_sqlite() {
                    run($crate::helpers::Backend::Sqlite).await
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

pub const PASSWORD: &str = "correct horse battery staple";

/// A running identity service and a client for it. Stops the service when dropped.
pub struct TestApp {
    pub client: IdentityServiceClient<Channel>,
    pub channel: Channel,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _database: TestDatabase,
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
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("identity-test", &Default::default());
    }
    let migrations = estospaces_identity::store::MIGRATIONS;
    let database = match backend {
        Backend::Postgres => TestDatabase::postgres(migrations).await,
        Backend::Sqlite => TestDatabase::sqlite(migrations).await,
    }
    .expect("a fresh test database");

    let config = IdentityConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            database_url: Some(database.url.clone().into()),
            shutdown_grace: Duration::from_secs(1),
            ..CommonConfig::default()
        },
        service: Default::default(),
    };
    let app = Application::build(config)
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
        shutdown: Some(shutdown),
        _database: database,
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
        self.client
            .login(pb::LoginRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("login succeeds")
            .into_inner()
            .access_token
    }

    /// Registers and signs in a new account; returns it and its token.
    pub async fn signed_in_user(&mut self, email: &str) -> (pb::User, String) {
        let user = self.register(email).await;
        let token = self.login(email).await;
        (user, token)
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    request
}

/// The `ErrorInfo` reason of a failed call.
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The fields a failed call's `BadRequest` names.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}
