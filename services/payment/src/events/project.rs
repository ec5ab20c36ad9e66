//! The payment side of the reservation saga: a project unit reservation's deposit, reacting to
//! `estospaces.project.v1` (keyed by the reservation, so one reservation's events come in
//! order) like the booking saga's bookings.
//!
//! | project event | what happens | payment event |
//! | --- | --- | --- |
//! | `reservation.requested` | authorize the deposit (payer the buyer, host the developer, no fee) | `payment.authorized` / `payment.failed` |
//! | `reservation.confirmed` | capture the deposit | `payment.captured` |
//! | `reservation.released`, nothing captured, `refund_amount` ≥ deposit | void | `payment.voided` |
//! | `reservation.released`, nothing captured, less back | capture, then refund `refund_amount` | `payment.captured`, `payment.refunded` |
//! | `reservation.released`, captured | refund `refund_amount` (at most what is left) | `payment.refunded` |
//! | `reservation.completed`, and every other project event | nothing | — |
//!
//! A released reservation is remembered as an ended booking is: an authorization answered
//! after it is voided, and a `reservation.requested` replayed after it authorizes nothing. A
//! deposit has no payout: it stays with the platform until the sale.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::project_v1 as project;
use sqlx::AnyConnection;

use super::{EventError, Participant, checked_with, outcome, payload, refund};
use crate::domain::{NewPayment, PaidFor};
use crate::steps::Steps;

/// The consumer group the payment service reads project events as.
pub const PROJECT_CONSUMER_GROUP: &str = "payment.project-events";

/// The project service's events, whose reservation events this handler reacts to.
pub const PROJECT_SERVICE: &str = "project";

/// Reacts to reservation events (see the module's docs).
#[derive(Debug, Clone)]
pub struct ProjectEventsHandler {
    saga: Participant,
}

impl ProjectEventsHandler {
    pub fn new(steps: Steps) -> Self {
        Self {
            saga: Participant::new(steps),
        }
    }

    async fn on_requested(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        requested: &project::ReservationRequested,
    ) -> Result<(), EventError> {
        let facts = checked(requested.reservation.as_ref())?;
        self.saga
            .authorize(tx, event, &facts, &requested.payment_method)
            .await
    }

    async fn on_confirmed(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        confirmed: &project::ReservationConfirmed,
    ) -> Result<(), EventError> {
        let facts = checked(confirmed.reservation.as_ref())?;
        if let Some(payment) = self.saga.payment_of(tx, &facts).await? {
            self.saga.capture(tx, event, &payment, false).await?;
        }
        Ok(())
    }

    /// The unit is available again: what the buyer gets back goes back, as for a cancelled
    /// booking.
    async fn on_released(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        released: &project::ReservationReleased,
    ) -> Result<(), EventError> {
        let facts = checked(released.reservation.as_ref())?;
        let refund_amount = refund(released.refund_amount)?;
        if let Some(payment) = self.saga.end(tx, &facts).await? {
            self.saga.settle(tx, event, &payment, refund_amount).await?;
        }
        Ok(())
    }
}

/// The checked facts of a reservation event: the buyer pays the developer's deposit, with no
/// platform fee.
fn checked(facts: Option<&project::ReservationFacts>) -> Result<NewPayment, EventError> {
    let facts = facts.ok_or_else(|| EventError::Malformed("no reservation".to_owned()))?;
    checked_with(
        "reservation.",
        PaidFor::Reservation(&facts.reservation),
        &facts.buyer,
        &facts.developer,
        facts.deposit_amount,
        &facts.currency_code,
        0,
    )
}

impl EventHandler for ProjectEventsHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let result = if event.is::<project::ReservationRequested>() {
            self.on_requested(tx, event, &payload(event)?).await
        } else if event.is::<project::ReservationConfirmed>() {
            self.on_confirmed(tx, event, &payload(event)?).await
        } else if event.is::<project::ReservationReleased>() {
            self.on_released(tx, event, &payload(event)?).await
        } else {
            // `reservation.completed` (the deposit stays with the platform until the sale),
            // the project's other events, and anything newer: nothing to do.
            return Ok(());
        };
        outcome(event, result)
    }
}
