//! The messaging service's integration tests: the real messaging and property services on
//! random ports, called through the generated gRPC clients, on PostgreSQL and on SQLite; the
//! booking service's events are published into the event transport as it would publish them.

mod helpers;

mod access;
mod binary;
mod conversations;
mod kafka;
mod live;
mod reminders;
mod safety;
