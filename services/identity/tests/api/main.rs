//! The identity service's integration tests: a real server on a random port, called through the
//! generated gRPC client, on PostgreSQL and on SQLite.

mod helpers;

mod binary;
mod get_user;
mod login;
mod register;
mod server;
