//! The media service's integration tests: the real identity service and the media service on
//! random ports, called through the generated gRPC clients, on PostgreSQL and on SQLite, with
//! the bytes in a directory or on an S3-compatible server (moto).

mod helpers;

mod access;
mod binary;
mod s3;
mod uploads;
