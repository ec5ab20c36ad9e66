//! The project service's integration tests: the real project and property services on random
//! ports, called through the generated gRPC clients, on PostgreSQL and on SQLite; the payment
//! service's events are published into the event transport as it would publish them.

mod helpers;

mod authorization;
mod binary;
mod kafka;
mod listings;
mod projects;
mod reservations;
mod timeline;
