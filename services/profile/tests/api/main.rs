//! The profile service's integration tests: the real identity service and the profile service on
//! random ports, called through the generated gRPC clients, on PostgreSQL and on SQLite.

mod helpers;

mod agencies;
mod directory;
mod events;
mod profiles;
mod roles;
mod server;
