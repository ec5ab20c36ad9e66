//! The moderation service's integration tests: the real moderation, property and review
//! services on random ports, called through the generated gRPC clients, on PostgreSQL and on
//! SQLite; other services' events are published into the event transport as they would publish
//! them. Suspensions and bans, which need identity, are tried through the whole platform
//! (`tests/tests/moderation.rs`).

mod helpers;

mod admin;
mod binary;
mod checks;
mod kafka;
mod reports;
