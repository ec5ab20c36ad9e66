//! The payment service's integration tests: a real server on a random port, called through the
//! generated gRPC client, on PostgreSQL and on SQLite, with the sandbox provider; the saga's
//! booking events go through the embedded event log (and, in `kafka`, the real broker).

mod helpers;

mod binary;
mod cards;
mod idempotency;
mod kafka;
mod ledger;
mod permissions;
mod reservations;
mod rules;
mod saga;
