//! The booking service's integration tests: the real booking and property services on random
//! ports, called through the generated gRPC clients, on PostgreSQL and on SQLite; the payment
//! service's answers are published into the event transport as it would publish them.

mod helpers;

mod binary;
mod calendar;
mod cancellation;
mod concurrency;
mod kafka;
mod lifecycle;
mod payment;
mod permissions;
mod transitions;
