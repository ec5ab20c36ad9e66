//! The notification service's integration tests: the real identity service and the notification
//! service on random ports, sharing the embedded event log, called through the generated gRPC
//! clients, on PostgreSQL and on SQLite. Events from other services are appended to the log
//! as those services would.

mod helpers;

mod authorization;
mod binary;
mod deliveries;
mod inbox;
mod leads;
mod moderation;
mod preferences;
mod push;
mod reviews;
