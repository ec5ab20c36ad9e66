//! The payment service: the money side of a booking.
//!
//! - [`domain`]: ids, resource names, money and payment states; requests are parsed here.
//! - [`provider`]: the [`provider::PaymentProvider`] trait and the sandbox provider with
//!   Stripe's test cards; [`stripe`]: the adapter over Stripe's HTTP API.
//! - [`ledger`]: the double-entry ledger; every transaction balances per currency.
//! - [`store`]: payments, ledger entries, payouts and idempotency keys on PostgreSQL or SQLite.
//! - [`payments`]: authorize, capture, void and refund, each in one transaction with its ledger
//!   entries and events.
//! - [`idempotency`]: Stripe's idempotency-key semantics for the mutating RPCs.
//! - [`events`]: the booking saga's participant, reacting to `estospaces.booking.v1`.
//! - [`payouts`]: pays hosts when their payouts fall due.
//! - [`service`]: the `estospaces.payment.v1.PaymentService` gRPC handlers.
//! - [`startup`]: the service declared to the service host ([`build`]).
//!
//! # Money moves exactly once per booking step
//!
//! Every step on a payment (authorize, capture, void, refund) runs in one database transaction
//! that first locks the payment's row, then calls the provider, then writes the new state, the
//! ledger entries and the event. The provider call carries an idempotency key derived from the
//! step (`<booking>:capture` for the saga, `<payment>:capture:<key>` for an RPC), so when the
//! transaction does not commit (a crash, a lost connection, a redelivered event) the retry
//! calls the provider again with the same key and gets the first call's result back instead
//! of moving money a second time. The row lock serializes competing steps on one payment, and
//! the state check inside the lock makes a step that already happened a no-op.

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
pub mod store;
pub mod stripe;

pub use config::{PaymentConfig, PaymentSettings, ProviderKind};
pub use estospaces_host::Application;
pub use startup::{build, build_with, build_with_keys};

/// The `ErrorInfo` domain of this service's errors.
pub const DOMAIN: &str = "payment.estospaces.dev";

/// The service's name in logs, traces, the outbox and the embedded database's file name.
pub const SERVICE_NAME: &str = "payment";
