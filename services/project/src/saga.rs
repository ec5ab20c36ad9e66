//! The reservation saga: a unit held against a deposit the payment service takes.
//!
//! | step | here | event |
//! | --- | --- | --- |
//! | `CreateReservation` | unit `RESERVED`, reservation `PENDING_PAYMENT` | `reservation.requested` (with the payment method) |
//! | `payment.authorized`, pending | reservation `RESERVED` | `reservation.confirmed` (payment captures) |
//! | `payment.authorized`, pending but past `expire_time` | released, `EXPIRED` | `reservation.released` |
//! | `payment.authorized`, released already | nothing (payment voids on the release) | |
//! | `payment.failed` (any code, `capture_failed` too), pending or reserved | released, `PAYMENT_FAILED`, unit available | `reservation.released`, `unit.updated` |
//! | sweeper: pending past `expire_time` | released, `EXPIRED`, unit available | `reservation.released`, `unit.updated` |
//! | `CancelReservation` | released, `CANCELLED_BY_*`, unit available | `reservation.released`, `unit.updated` |
//! | `MarkUnitSold`, reserved | reservation `COMPLETED`, unit `SOLD` | `reservation.completed`, `unit.sold` |
//!
//! Every release gives the whole deposit back (`refund_amount` = the deposit): the payment
//! service releases an authorization, refunds a capture, or has nothing to do.
//!
//! Payment events of bookings (`PaymentFacts.reservation` empty) are not ours and are ignored.
//! Redelivered events are no-ops twice over: the consumer's inbox skips an event already
//! processed, and every move is a conditional update on the reservation's state, which is also
//! what makes the sweeper safe on every replica at once.

use std::time::{Duration, SystemTime};

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::payment_v1 as payment;
use estospaces_proto::project_v1::reservation::ReleaseReason;
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::domain;
use crate::store::{ProjectStore, ReleaseFrom};

/// The consumer group the project service reads the payment service's events as, by default.
pub const PAYMENT_EVENTS_GROUP: &str = "project.payment-events";

/// The payment service's events.
pub const PAYMENT_TOPIC: &str = "payment";

/// Reservations released per sweep; the rest wait for the next.
const SWEEP_BATCH: i64 = 200;

/// The reservation a payment is about: `None` for a booking's payment.
fn reservation_of(facts: &payment::PaymentFacts) -> Result<Option<Uuid>, HandlerError> {
    if facts.reservation.is_empty() {
        return Ok(None);
    }
    domain::child_id(&facts.reservation, "reservations")
        .map(|(_, id)| Some(id))
        .ok_or_else(|| {
            HandlerError::permanent(format!("not a reservation's name: {:?}", facts.reservation))
        })
}

/// Applies the payment service's events to reservations, in the consumer's transaction.
#[derive(Debug, Clone, Copy)]
pub struct PaymentEventsHandler;

impl EventHandler for PaymentEventsHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<payment::PaymentAuthorized>() || event.is::<payment::PaymentFailed>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if event.is::<payment::PaymentAuthorized>() {
            let authorized = event
                .payload::<payment::PaymentAuthorized>()
                .map_err(HandlerError::permanent)?;
            let facts = authorized.payment.unwrap_or_default();
            let Some(id) = reservation_of(&facts)? else {
                return Ok(());
            };
            on_authorized(tx, event, id).await
        } else if event.is::<payment::PaymentFailed>() {
            let failed = event
                .payload::<payment::PaymentFailed>()
                .map_err(HandlerError::permanent)?;
            let facts = failed.payment.clone().unwrap_or_default();
            let Some(id) = reservation_of(&facts)? else {
                return Ok(());
            };
            on_failed(tx, event, id, &failed.failure_code).await
        } else {
            // Captures, voids and refunds settle what the reservation already says.
            Ok(())
        }
    }
}

async fn on_authorized(
    tx: &mut AnyConnection,
    event: &Event,
    id: Uuid,
) -> Result<(), HandlerError> {
    let Some(current) = ProjectStore::reservation_in(tx, id).await? else {
        tracing::debug!(reservation = %id, "a payment for an unknown reservation");
        return Ok(());
    };
    let now = SystemTime::now();
    if current.expire_at <= now {
        // Authorized too late: the hold lapsed even if the sweeper has not got to it yet.
        if ProjectStore::release_in(
            tx,
            id,
            ReleaseFrom::Pending,
            ReleaseReason::Expired,
            "",
            Some(now),
            Some(event),
        )
        .await?
        .is_some()
        {
            tracing::info!(reservation = %id, "deposit authorized after the hold lapsed; released");
            return Ok(());
        }
    }
    match ProjectStore::confirm_in(tx, id, event).await? {
        Some(_) => tracing::info!(reservation = %id, "deposit authorized; unit reserved"),
        // Released meanwhile (the payment service voids on the release), or already confirmed.
        None => tracing::debug!(reservation = %id, state = ?current.state, "authorization ignored"),
    }
    Ok(())
}

async fn on_failed(
    tx: &mut AnyConnection,
    event: &Event,
    id: Uuid,
    failure_code: &str,
) -> Result<(), HandlerError> {
    let released = ProjectStore::release_in(
        tx,
        id,
        ReleaseFrom::Live,
        ReleaseReason::PaymentFailed,
        failure_code,
        None,
        Some(event),
    )
    .await?;
    match released {
        Some(_) => {
            tracing::info!(reservation = %id, failure_code, "deposit failed; unit released");
        }
        None => tracing::debug!(reservation = %id, "payment failure for an ended reservation"),
    }
    Ok(())
}

/// Releases pending reservations whose hold lapsed.
#[derive(Debug, Clone)]
pub struct Sweeper {
    store: ProjectStore,
}

impl Sweeper {
    pub fn new(store: ProjectStore) -> Self {
        Self { store }
    }

    /// Sweeps every `interval`, forever (the host drops the task at shutdown).
    pub async fn run(self, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = self.sweep().await {
                tracing::warn!("reservation sweeper: {err}");
            }
        }
    }

    /// One sweep: how many reservations it released. Another replica releasing one first is
    /// not counted.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let now = SystemTime::now();
        let mut released = 0;
        for id in self.store.lapsed(now, SWEEP_BATCH).await? {
            if self.store.expire(id, now).await?.is_some() {
                tracing::info!(reservation = %id, "deposit not paid in time; unit released");
                released += 1;
            }
        }
        Ok(released)
    }
}
