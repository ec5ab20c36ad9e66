//! The gRPC services the gateway answers itself rather than proxying, so native tools work
//! against the gateway as against any one service:
//!
//! - server reflection (v1 and v1alpha) over every contract the gateway routes, so `grpcurl
//!   list` and `grpcurl describe` see the whole platform;
//! - `grpc.health.v1.Health`: the empty service name is SERVING while every upstream is, as
//!   `/readyz` reports it.

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use estospaces_server::lazy_reflection;
use prost::Message as _;
use prost_types::FileDescriptorSet;
use tonic::service::Routes;
use tonic_health::ServingStatus;

use crate::gateway::Gateway;

/// How often the gateway's own health follows its upstreams': often while something is not
/// ready (starting up), less once all are.
const HEALTH_INTERVAL_SERVING: Duration = Duration::from_secs(5);
const HEALTH_INTERVAL_NOT_SERVING: Duration = Duration::from_millis(500);

/// Whether a gRPC call to `path` is for the gateway itself.
pub fn is_local(path: &str) -> bool {
    path.starts_with("/grpc.reflection.") || path.starts_with("/grpc.health.v1.")
}

/// Reflection over `descriptors` (an encoded `FileDescriptorSet`) and the health service, whose
/// status a background task keeps in step with `gateway`'s upstreams for as long as the gateway
/// exists.
pub fn services(descriptors: Bytes, gateway: &Arc<Gateway>) -> Routes {
    let (reflection_v1, reflection_v1alpha) = lazy_reflection(move || reflection(&descriptors));
    let (reporter, health) = tonic_health::server::health_reporter();
    tokio::spawn(follow_upstreams(Arc::downgrade(gateway), reporter));
    Routes::new(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
}

/// Reflection over `descriptors` and the health service.
fn reflection(descriptors: &Bytes) -> tonic_reflection::server::Builder<'static> {
    let descriptors = FileDescriptorSet::decode(descriptors.clone()).unwrap_or_else(|err| {
        tracing::error!("reflection: the descriptors do not decode: {err}");
        FileDescriptorSet::default()
    });
    tonic_reflection::server::Builder::configure()
        .register_file_descriptor_set(descriptors)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

async fn follow_upstreams(gateway: Weak<Gateway>, reporter: tonic_health::server::HealthReporter) {
    loop {
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        let serving = gateway.upstreams.unready().await.is_empty();
        drop(gateway);
        let (status, next_check) = if serving {
            (ServingStatus::Serving, HEALTH_INTERVAL_SERVING)
        } else {
            (ServingStatus::NotServing, HEALTH_INTERVAL_NOT_SERVING)
        };
        reporter.set_service_status("", status).await;
        tokio::time::sleep(next_check).await;
    }
}
