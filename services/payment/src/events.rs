//! The payment side of the booking saga: reactions to `estospaces.booking.v1`.
//!
//! | booking event | what happens | payment event |
//! | --- | --- | --- |
//! | `booking.requested` | authorize the total | `payment.authorized` / `payment.failed` |
//! | `booking.confirmed` with `capture_now` | capture the total | `payment.captured` |
//! | `booking.checked_in` | capture if not yet; schedule the host's payout | `payment.captured` |
//! | `booking.expired`, `booking.declined`, `booking.payment_failed` | void an authorization | `payment.voided` |
//! | `booking.cancelled`, nothing captured, full refund | void | `payment.voided` |
//! | `booking.cancelled`, nothing captured, partial refund | capture, then refund `refund_amount` | `payment.captured`, `payment.refunded` |
//! | `booking.cancelled`, captured | refund `refund_amount` | `payment.refunded` |
//!
//! A refund of 0 moves nothing and records nothing. A capture the provider refuses (an
//! expired authorization) fails the payment with `payment.failed`, code `capture_failed`.
//!
//! A reaction only asks for steps ([`crate::steps`]): it records them in the consumer's
//! transaction, with the inbox record of the event, and the steps worker calls the provider
//! after the commit. Redelivery of the same event is skipped by the inbox; a second event
//! asking for a step already asked for finds it recorded (the saga's keys are derived from the
//! booking and the step, `<booking>:capture`), or the payment past it. Every event that ends a
//! booking is remembered, so an authorization answered after it is voided.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::payment_v1 as pb;
use sqlx::AnyConnection;

use crate::domain::{NewPayment, PaymentState};
use crate::payments::{self, StepError};
use crate::steps::{self, Step, StepKind, Steps};
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
    steps: Steps,
}

impl BookingEventsHandler {
    pub fn new(steps: Steps) -> Self {
        Self { steps }
    }

    /// Records `step`, asked for by `event`, to run now.
    async fn ask(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        step: Step,
    ) -> Result<bool, EventError> {
        let step = step.following(event);
        let asked = steps::enqueue(tx, &step, std::time::SystemTime::now()).await?;
        if asked {
            self.steps.wake();
        } else {
            tracing::debug!(booking = %step.booking_id, kind = step.kind.key(), "already asked for");
        }
        Ok(asked)
    }

    async fn on_requested(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        requested: &booking::BookingRequested,
    ) -> Result<(), EventError> {
        let facts = checked(requested.booking.as_ref())?;
        if steps::has_ended(tx, &facts.booking_id).await? {
            // A request replayed after its booking ended (from a dead letter, say).
            tracing::warn!(booking = %facts.booking_id, "not authorizing a booking that ended");
            return Ok(());
        }
        if store::lock_payment_of_booking(tx, &facts.booking_id)
            .await?
            .is_some()
        {
            tracing::debug!(booking = %facts.booking_id, "already authorized");
            return Ok(());
        }
        let booking = requested.booking.clone().unwrap_or_default();
        let request = pb::AuthorizePaymentRequest {
            booking: booking.booking,
            payer: booking.guest,
            host: booking.host,
            amount: facts.amount,
            currency_code: facts.currency_code.clone(),
            platform_fee: facts.platform_fee,
            payment_method: requested.payment_method.clone(),
            idempotency_key: String::new(),
        };
        let key = steps::saga_key(&facts.booking_id, StepKind::Authorize);
        self.ask(tx, event, Step::authorize(&facts.booking_id, request, key))
            .await?;
        Ok(())
    }

    /// Asks for the capture of the booking's payment if it is only authorized, the host's
    /// payout after it if `then_pay_out`.
    async fn capture(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        payment: &PaymentRecord,
        then_pay_out: bool,
    ) -> Result<(), EventError> {
        let key = steps::saga_key(&payment.booking_id, StepKind::Capture);
        if payment.state == PaymentState::Authorized {
            let mut step = Step::on(payment, StepKind::Capture, None, key.clone());
            step.schedule_payout = then_pay_out;
            if !self.ask(tx, event, step).await? && then_pay_out {
                // The capture at confirmation still waits: it pays out too.
                steps::schedule_payout_after(tx, &key).await?;
            }
        } else if then_pay_out
            && payment.state.is_captured()
            && store::schedule_payout(tx, payment, payments::now(), self.steps.payout_delay())
                .await?
        {
            tracing::info!(payment = %payment.id, "host payout scheduled");
        }
        Ok(())
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
            self.capture(tx, event, &payment, false).await?;
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
        if let Some(payment) = self.payment_of(tx, &facts).await? {
            self.capture(tx, event, &payment, true).await?;
        }
        Ok(())
    }

    /// `booking.expired`, `booking.declined` and `booking.payment_failed`: the hold is gone,
    /// so is the authorization.
    async fn on_released(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        facts: Option<&booking::BookingFacts>,
    ) -> Result<(), EventError> {
        let facts = checked(facts)?;
        steps::booking_ended(tx, &facts.booking_id).await?;
        if let Some(payment) = self.payment_of(tx, &facts).await?
            && payment.state == PaymentState::Authorized
        {
            self.ask(tx, event, steps::void_of(&payment)).await?;
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
        steps::booking_ended(tx, &facts.booking_id).await?;
        let Some(payment) = self.payment_of(tx, &facts).await? else {
            return Ok(());
        };
        let capture_key = steps::saga_key(&payment.booking_id, StepKind::Capture);
        // A capture asked for earlier (at confirmation) may still wait for the provider: the
        // refund then follows it.
        let capturing = payment.state == PaymentState::Authorized
            && steps::is_pending(tx, &capture_key).await?;
        let captured = payment.state.is_captured() || capturing;
        if payment.state == PaymentState::Authorized
            && !capturing
            && cancelled.refund_amount >= payment.amount
        {
            // Nothing was charged and everything goes back: release the hold.
            self.ask(tx, event, steps::void_of(&payment)).await?;
            return Ok(());
        }
        if payment.state == PaymentState::Authorized && !capturing {
            // Part of the total is kept: charge it all, then refund the guest's share.
            self.capture(tx, event, &payment, false).await?;
        } else if !captured {
            return Ok(());
        }
        if cancelled.refund_amount > 0 {
            let key = steps::saga_key(&payment.booking_id, StepKind::Refund);
            let refund = Step::on(
                &payment,
                StepKind::Refund,
                Some(cancelled.refund_amount),
                key,
            );
            self.ask(tx, event, refund).await?;
        }
        Ok(())
    }

    /// The booking's payment, locked for the rest of the transaction; while its authorization
    /// waits for the provider, the payment it makes if authorized (the steps asked for then
    /// run after the authorization, and are dropped if it fails).
    async fn payment_of(
        &self,
        tx: &mut AnyConnection,
        facts: &NewPayment,
    ) -> Result<Option<PaymentRecord>, EventError> {
        if let Some(payment) = store::lock_payment_of_booking(tx, &facts.booking_id).await? {
            return Ok(Some(payment));
        }
        if let Some(authorization) = steps::pending_authorization(tx, &facts.booking_id).await? {
            return Ok(Some(self.steps.payments().expected(&authorization)));
        }
        tracing::warn!(booking = %facts.booking_id, "a booking event for a booking without a payment");
        Ok(None)
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
        } else if event.is::<booking::BookingPaymentFailed>() {
            let failed: booking::BookingPaymentFailed = payload(event)?;
            self.on_released(tx, event, failed.booking.as_ref()).await
        } else if event.is::<booking::BookingCancelled>() {
            self.on_cancelled(tx, event, &payload(event)?).await
        } else {
            // `booking.completed` and anything newer: nothing to do.
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
