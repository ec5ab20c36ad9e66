//! The property service's integration tests: a real server on a random port, called through
//! the generated gRPC client, on PostgreSQL and on SQLite.

mod helpers;

mod binary;
mod bookings;
mod calendar;
mod lifecycle;
mod moderation;
mod permissions;
mod quote;
mod ratings;
mod server;
mod update;
