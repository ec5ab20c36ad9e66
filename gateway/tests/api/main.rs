//! The gateway end to end: REST, gRPC and grpc-web calls through a running gateway to a real
//! identity service and to a test-only echo service.

mod binary;
mod browser;
mod edge;
mod forwarded;
mod grpc;
mod helpers;
mod identity;
mod transcoding;
