//! The review service's integration tests: the real review and property services on random
//! ports, called through the generated gRPC clients, on PostgreSQL and on SQLite; the booking
//! and messaging services' events are published into the event transport as they would
//! publish them.

mod helpers;

mod binary;
mod collections;
mod kafka;
mod reviews;
