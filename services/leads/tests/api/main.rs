//! The leads service's integration tests: the real leads, property and profile services on
//! random ports, called through the generated gRPC clients, on PostgreSQL and on SQLite; the
//! messaging, search and review services' events are published into the event transport as
//! they would publish them.

mod helpers;

mod assignment;
mod authorization;
mod binary;
mod captcha;
mod inquiries;
mod kafka;
mod messaging;
mod performance;
mod pipeline;
mod score;
mod viewings;
