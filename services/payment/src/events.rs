//! The payment side of the booking saga: reactions to `estospaces.booking.v1`.
//!
//! | booking event | what happens | payment event |
//! | --- | --- | --- |
//! | `booking.requested` | authorize the total | `payment.authorized` / `payment.failed` |
//! | `booking.confirmed` with `capture_now` | capture the total | `payment.captured` |
//! | `booking.checked_in` | capture if not yet; schedule the host's payout | `payment.captured` |
//! | `booking.expired`, `booking.declined` | void an authorization | `payment.voided` |
//! | `booking.cancelled`, nothing captured, full refund | void | `payment.voided` |
//! | `booking.cancelled`, nothing captured, partial refund | capture, then refund `refund_amount` | `payment.captured`, `payment.refunded` |
//! | `booking.cancelled`, captured | refund `refund_amount` | `payment.refunded` |
//!
//! A refund of 0 moves nothing and records nothing. A capture the provider refuses (an
//! expired authorization) fails the payment with `payment.failed`, code `capture_failed`.
//!
//! Each reaction runs in the consumer's transaction, which also records the event in the inbox:
//! redelivery of the same event is skipped by the inbox, a second event asking for a step that
//! already happened finds the payment past it and does nothing, and the provider calls carry
//! keys derived from the booking and the step (`<booking>:capture`), so a reaction retried
//! after a rollback gets the provider's first answer instead of moving money again.

use std::time::Duration;

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use sqlx::AnyConnection;

use crate::domain::{NewPayment, PaymentState};
use crate::payments::{self, Cause, Payments, StepError};
use crate::store::{self, PaymentRecord};

/// The consumer group the payment service reads booking events as.
pub const CONSUMER_GROUP: &str = "payment.booking-events";

/// The booking service's events, which this handler reacts to.
pub const BOOKING_SERVICE: &str = "booking";

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The payload is not a usable booking: retrying cannot help.
    #[error("the event is malformed: {0}")]
    Malformed(String),
    #[error(transparent)]
    Step(#[from] StepError),
}

impl From<sqlx::Error> for EventError {
    fn from(err: sqlx::Error) -> Self {
        Self::Step(err.into())
    }
}

/// Reacts to booking events (see the module's docs).
#[derive(Debug, Clone)]
pub struct BookingEventsHandler {
    payments: Payments,
    payout_delay: Duration,
}

impl BookingEventsHandler {
    pub fn new(payments: Payments, payout_delay: Duration) -> Self {
        Self {
            payments,
            payout_delay,
        }
    }

    async fn on_requested(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        requested: &booking::BookingRequested,
    ) -> Result<(), EventError> {
        let facts = checked(requested.booking.as_ref())?;
        let key = format!("{}:authorize", facts.booking_id);
        match self
            .payments
            .authorize(
                tx,
                &facts,
                &requested.payment_method,
                &key,
                Cause::Event(event),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(StepError::PaymentExists) => {
                tracing::debug!(booking = %facts.booking_id, "already authorized");
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Captures the booking's payment if it is only authorized; the payment as it is then.
    async fn capture(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        payment: PaymentRecord,
    ) -> Result<PaymentRecord, EventError> {
        if payment.state != PaymentState::Authorized {
            return Ok(payment);
        }
        let key = format!("{}:capture", payment.booking_id);
        match self
            .payments
            .capture(tx, payment.clone(), None, &key, Cause::Event(event))
            .await
        {
            Ok(payment) => Ok(payment),
            Err(StepError::Rejected(why)) => Ok(self
                .payments
                .capture_failed(tx, payment, why, Cause::Event(event))
                .await?),
            Err(err) => Err(err.into()),
        }
    }

    async fn on_confirmed(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        confirmed: &booking::BookingConfirmed,
    ) -> Result<(), EventError> {
        let facts = checked(confirmed.booking.as_ref())?;
        if !confirmed.capture_now {
            return Ok(());
        }
        if let Some(payment) = self.payment_of(tx, &facts).await? {
            self.capture(tx, event, payment).await?;
        }
        Ok(())
    }

    async fn on_checked_in(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        checked_in: &booking::BookingCheckedIn,
    ) -> Result<(), EventError> {
        let facts = checked(checked_in.booking.as_ref())?;
        let Some(payment) = self.payment_of(tx, &facts).await? else {
            return Ok(());
        };
        let payment = self.capture(tx, event, payment).await?;
        if payment.state.is_captured()
            && store::schedule_payout(tx, &payment, payments::now(), self.payout_delay).await?
        {
            tracing::info!(payment = %payment.id, "host payout scheduled");
        }
        Ok(())
    }

    /// `booking.expired` and `booking.declined`: the hold is gone, so is the authorization.
    async fn on_released(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        facts: Option<&booking::BookingFacts>,
    ) -> Result<(), EventError> {
        let facts = checked(facts)?;
        if let Some(payment) = self.payment_of(tx, &facts).await?
            && payment.state == PaymentState::Authorized
        {
            let key = format!("{}:void", payment.booking_id);
            self.payments
                .void(tx, payment, &key, Cause::Event(event))
                .await?;
        }
        Ok(())
    }

    async fn on_cancelled(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        cancelled: &booking::BookingCancelled,
    ) -> Result<(), EventError> {
        let facts = checked(cancelled.booking.as_ref())?;
        if cancelled.refund_amount < 0 {
            return Err(EventError::Malformed("a negative refund_amount".to_owned()));
        }
        let Some(mut payment) = self.payment_of(tx, &facts).await? else {
            return Ok(());
        };
        if payment.state == PaymentState::Authorized {
            if cancelled.refund_amount >= payment.amount {
                // Nothing was charged and everything goes back: release the hold.
                let key = format!("{}:void", payment.booking_id);
                self.payments
                    .void(tx, payment, &key, Cause::Event(event))
                    .await?;
                return Ok(());
            }
            // Part of the total is kept: charge it all, then refund the guest's share.
            payment = self.capture(tx, event, payment).await?;
        }
        if !payment.state.is_captured() {
            return Ok(());
        }
        let refundable = payment.captured_amount - payment.refunded_amount;
        let amount = cancelled.refund_amount.min(refundable);
        if amount < cancelled.refund_amount {
            tracing::warn!(
                payment = %payment.id,
                asked = cancelled.refund_amount,
                refundable,
                "a cancellation asks to refund more than is left; refunding what is left"
            );
        }
        if amount > 0 {
            let key = format!("{}:refund", payment.booking_id);
            self.payments
                .refund(tx, payment, Some(amount), &key, Cause::Event(event))
                .await?;
        }
        Ok(())
    }

    /// The booking's payment, locked for the rest of the transaction.
    async fn payment_of(
        &self,
        tx: &mut AnyConnection,
        facts: &NewPayment,
    ) -> Result<Option<PaymentRecord>, EventError> {
        let payment = store::lock_payment_of_booking(tx, &facts.booking_id).await?;
        if payment.is_none() {
            tracing::warn!(booking = %facts.booking_id, "a booking event for a booking without a payment");
        }
        Ok(payment)
    }
}

/// The checked facts of a booking event.
fn checked(facts: Option<&booking::BookingFacts>) -> Result<NewPayment, EventError> {
    let facts = facts.ok_or_else(|| EventError::Malformed("no booking".to_owned()))?;
    NewPayment::parse(
        "booking.",
        &facts.booking,
        &facts.guest,
        &facts.host,
        facts.total_amount,
        &facts.currency_code,
        facts.platform_fee,
    )
    .map_err(|violations| {
        let fields: Vec<String> = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        EventError::Malformed(fields.join("; "))
    })
}

fn payload<P: prost::Name + Default>(event: &Event) -> Result<P, HandlerError> {
    event.payload::<P>().map_err(HandlerError::permanent)
}

impl EventHandler for BookingEventsHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let result = if event.is::<booking::BookingRequested>() {
            self.on_requested(tx, event, &payload(event)?).await
        } else if event.is::<booking::BookingConfirmed>() {
            self.on_confirmed(tx, event, &payload(event)?).await
        } else if event.is::<booking::BookingCheckedIn>() {
            self.on_checked_in(tx, event, &payload(event)?).await
        } else if event.is::<booking::BookingExpired>() {
            let expired: booking::BookingExpired = payload(event)?;
            self.on_released(tx, event, expired.booking.as_ref()).await
        } else if event.is::<booking::BookingDeclined>() {
            let declined: booking::BookingDeclined = payload(event)?;
            self.on_released(tx, event, declined.booking.as_ref()).await
        } else if event.is::<booking::BookingCancelled>() {
            self.on_cancelled(tx, event, &payload(event)?).await
        } else {
            // `booking.payment_failed`, `booking.completed` and anything newer: nothing to do.
            return Ok(());
        };
        result.map_err(|err| match err {
            EventError::Step(step) if step.is_transient() => HandlerError::transient(step),
            err => {
                tracing::error!(event = %event.event_id(), "a booking event cannot be handled: {err}");
                HandlerError::permanent(err)
            }
        })
    }
}
