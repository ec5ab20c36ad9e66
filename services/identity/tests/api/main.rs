//! The identity service's integration tests: a real server on a random port, called through the
//! generated gRPC client, on PostgreSQL and on SQLite.

mod helpers;

mod binary;
mod delete;
mod events;
mod get_user;
mod keys;
mod login;
mod mfa;
mod purge;
mod register;
mod roles;
mod server;
mod sessions;
mod suspensions;
mod throttle;
mod verification;
