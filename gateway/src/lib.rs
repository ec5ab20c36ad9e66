//! The EstoSpaces gateway: the one door into the mesh.
//!
//! It serves every RPC of every `estospaces.<domain>.vN` service three ways, all read from the
//! descriptors so no route is written by hand:
//! - REST/JSON transcoded from the `google.api.http` annotations ([`transcode`], [`template`]);
//! - gRPC, proxied to the upstream unchanged;
//! - grpc-web (binary and text), converted to gRPC by `tonic-web`.
//!
//! Before a call leaves, the gateway checks its access token against identity's key set unless
//! the method is public ([`auth`]) and counts it against a rate limit ([`ratelimit`]). Upstream
//! errors come back as the HTTP status grpc-gateway would use, with a JSON body carrying the
//! `google.rpc.Status` details ([`error`]).
//!
//! - [`catalog`]: RPCs, their routes and method options, read from a `DescriptorPool`.
//! - [`gateway`]: the REST handler and the gRPC proxy.
//! - [`openapi`]: the OpenAPI 3.1 document served at `/openapi.json`, rendered at `/docs`.
//! - [`client_address`]: who a call comes from, behind trusted proxies.
//! - [`upstream`]: pooled HTTP/2 connections to the services behind the gateway.
//! - [`request_id`]: `x-request-id` for calls that arrive without one.
//! - [`startup`]: [`Application`], which binds the port and serves.

#![forbid(unsafe_code)]

pub mod auth;
pub mod catalog;
pub mod client_address;
pub mod codec;
pub mod config;
pub mod error;
pub mod gateway;
pub mod local;
pub mod openapi;
pub mod ratelimit;
pub mod request_id;
pub mod startup;
pub mod template;
pub mod transcode;
pub mod upstream;

pub use config::{GatewayConfig, GatewaySettings};
pub use startup::Application;

/// The gateway's name in logs and traces.
pub const SERVICE_NAME: &str = "gateway";
