//! The search service's integration tests: property events published into the embedded event
//! log (or Kafka), a real server on a random port, called through the generated gRPC client,
//! saved searches on PostgreSQL and on SQLite.

mod helpers;

mod alerts;
mod binary;
mod end_to_end;
mod projects;
mod ratings;
mod rebuild;
mod saved_searches;
mod search;
