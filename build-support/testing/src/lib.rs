//! What every EstoSpaces service's integration tests share.
//!
//! - [`on_both_backends!`]: write a test once, run it on PostgreSQL and on SQLite.
//! - [`authorized`]: a request carrying `authorization: Bearer <token>`.
//! - [`reason`], [`bad_fields`], [`retry_delay`]: what a failed call's `google.rpc.Status`
//!   details say.
//!
//! Fresh databases come from [`estospaces_storage::testing::TestDatabase`], re-exported here.

#![forbid(unsafe_code)]

use std::time::Duration;

pub use estospaces_storage::Backend;
pub use estospaces_storage::testing::TestDatabase;
use tonic_types::StatusExt;

/// Defines each test once and runs it on both backends, as `<test>::on_postgres` and
/// `<test>::on_sqlite`:
///
/// ```ignore
/// on_both_backends! {
///     async fn a_user_reads_their_own_account(backend: Backend) { ... }
/// }
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $crate::Backend) $body

                #[tokio::test]
                async fn on_postgres() {
                    run($crate::Backend::Postgres).await
                }

                #[tokio::test]
                async fn on_sqlite() {
                    run($crate::Backend::Sqlite).await
                }
            }
        )*
    };
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

/// The `ErrorInfo` reason of a failed call (empty without one).
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The field paths a failed call's `BadRequest` names, in order.
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

/// The `RetryInfo` delay of a throttled call.
pub fn retry_delay(status: &tonic::Status) -> Option<Duration> {
    status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
}
