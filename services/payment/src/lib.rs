//! The payment service: the money side of a booking, and of a project unit reservation's
//! deposit.
//!
//! - [`domain`]: ids, resource names, money and payment states; requests are parsed here.
//! - [`provider`]: the [`provider::PaymentProvider`] trait and the sandbox provider with
//!   Stripe's test cards; [`stripe`]: the adapter over Stripe's HTTP API.
//! - [`ledger`]: the double-entry ledger; every transaction balances per currency.
//! - [`store`]: payments, ledger entries, payouts and idempotency keys on PostgreSQL or SQLite.
//! - [`payments`]: authorize, capture, void and refund: whether each applies, the provider
//!   call, and the record of its answer with its ledger entries and events.
//! - [`steps`]: runs those steps with no provider call inside a database transaction, and
//!   voids authorizations that outlive their booking.
//! - [`idempotency`]: Stripe's idempotency-key semantics for the mutating RPCs.
//! - [`events`]: the booking saga's participant, reacting to `estospaces.booking.v1`, and the
//!   reservation saga's, reacting to `estospaces.project.v1` (deposits).
//! - [`payouts`]: pays hosts when their payouts fall due.
//! - [`service`]: the `estospaces.payment.v1.PaymentService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).
//!
//! # Money moves exactly once per booking step
//!
//! A step (authorize, capture, void, refund) is recorded with its idempotency key before the
//! provider is called (`<booking>:capture` for the saga, a hash of the caller and the request's
//! key for an RPC), in the transaction of the event or call that asked for it. The provider is
//! called outside any transaction, and its answer is recorded, with the ledger entries and the
//! event, in a transaction that also deletes the step. When that does not happen (a crash, a
//! lost answer, a lost connection) the step is still there and runs again with the same key,
//! so the provider answers with what it did the first time instead of moving money a second
//! time. The record locks the payment's row and checks its state again, so competing steps on
//! one payment end in exactly one of them.

#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod events;
pub mod idempotency;
pub mod ledger;
pub mod payments;
pub mod payouts;
pub mod provider;
pub mod service;
pub mod startup;
pub mod steps;
pub mod store;
pub mod stripe;

pub use config::{PaymentConfig, PaymentSettings, ProviderKind};
pub use estospaces_host::Application;
pub use startup::{build, build_with, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "payment.estospaces.dev";

/// The service's name in logs, traces, the outbox and the embedded database's file name.
pub const SERVICE_NAME: &str = "payment";
