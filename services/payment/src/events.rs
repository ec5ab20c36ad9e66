//! The payment side of the booking saga: reactions to `estospaces.booking.v1`; and of the
//! reservation saga, reactions to `estospaces.project.v1` ([`ProjectEventsHandler`], which
//! takes a project unit reservation's deposit the same way).
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
//!
//! Both handlers ask for their steps through one [`Participant`]: authorize unless ended,
//! capture, void, and settle an ending that gives some of the money back.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use sqlx::AnyConnection;

use crate::domain::{NewPayment, PaidFor, PaymentState};
use crate::payments::{self, StepError};
use crate::steps::{self, Step, StepKind, Steps};
use crate::store::{self, PaymentRecord};

mod project;

pub use project::{PROJECT_CONSUMER_GROUP, PROJECT_SERVICE, ProjectEventsHandler};

/// The consumer group the payment service reads booking events as.
pub const CONSUMER_GROUP: &str = "payment.booking-events";

/// The booking service's events, which this handler reacts to.
pub const BOOKING_SERVICE: &str = "booking";

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The payload is not a usable booking (or reservation): retrying cannot help.
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

/// What the sagas do with a payment, whatever it pays for: each asks for steps in the
/// consumer's transaction. The booking handler and the reservation handler
/// ([`ProjectEventsHandler`]) share it.
#[derive(Debug, Clone)]
pub(crate) struct Participant {
    steps: Steps,
}

impl Participant {
    pub(crate) fn new(steps: Steps) -> Self {
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
            tracing::debug!(paid_for = %step.booking_id, kind = step.kind.key(), "already asked for");
        }
        Ok(asked)
    }

    /// Asks for the authorization of `new` on `payment_method`, unless what it pays for
    /// ended or has a payment already.
    async fn authorize(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        new: &NewPayment,
        payment_method: &str,
    ) -> Result<(), EventError> {
        if steps::has_ended(tx, &new.booking_id).await? {
            // A request replayed after what it pays for ended (from a dead letter, say).
            tracing::warn!(paid_for = %new.booking_id, "not authorizing for what ended");
            return Ok(());
        }
        if store::lock_payment_of_booking(tx, &new.booking_id)
            .await?
            .is_some()
        {
            tracing::debug!(paid_for = %new.booking_id, "already authorized");
            return Ok(());
        }
        let key = steps::saga_key(&new.booking_id, StepKind::Authorize);
        let step = Step::authorize(&new.booking_id, new.request(payment_method), key);
        self.ask(tx, event, step).await?;
        Ok(())
    }

    /// Asks for the capture of the payment if it is only authorized, the host's payout after
    /// it if `then_pay_out`.
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

    /// Remembers that what `facts` pays for ended, so no authorization outlives it; its
    /// payment, if any.
    async fn end(
        &self,
        tx: &mut AnyConnection,
        facts: &NewPayment,
    ) -> Result<Option<PaymentRecord>, EventError> {
        steps::booking_ended(tx, &facts.booking_id).await?;
        self.payment_of(tx, facts).await
    }

    /// Voids `payment` if it is only authorized.
    async fn void(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        payment: &PaymentRecord,
    ) -> Result<(), EventError> {
        if payment.state == PaymentState::Authorized {
            self.ask(tx, event, steps::void_of(payment)).await?;
        }
        Ok(())
    }

    /// Gives `refund_amount` of an ended booking's (or reservation's) `payment` back and
    /// keeps the rest: releases an authorization when nothing is kept, captures it all
    /// otherwise; refunds from what was captured (at most what is left).
    async fn settle(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        payment: &PaymentRecord,
        refund_amount: i64,
    ) -> Result<(), EventError> {
        let capture_key = steps::saga_key(&payment.booking_id, StepKind::Capture);
        // A capture asked for earlier (at confirmation) may still wait for the provider: the
        // refund then follows it.
        let capturing = payment.state == PaymentState::Authorized
            && steps::is_pending(tx, &capture_key).await?;
        let captured = payment.state.is_captured() || capturing;
        if payment.state == PaymentState::Authorized
            && !capturing
            && refund_amount >= payment.amount
        {
            // Nothing was charged and everything goes back: release the hold.
            self.ask(tx, event, steps::void_of(payment)).await?;
            return Ok(());
        }
        if payment.state == PaymentState::Authorized && !capturing {
            // Part of the total is kept: charge it all, then refund the payer's share.
            self.capture(tx, event, payment, false).await?;
        } else if !captured {
            return Ok(());
        }
        if refund_amount > 0 {
            let key = steps::saga_key(&payment.booking_id, StepKind::Refund);
            let refund = Step::on(payment, StepKind::Refund, Some(refund_amount), key);
            self.ask(tx, event, refund).await?;
        }
        Ok(())
    }

    /// The payment for what `facts` pays for, locked for the rest of the transaction; while
    /// its authorization waits for the provider, the payment it makes if authorized (the
    /// steps asked for then run after the authorization, and are dropped if it fails).
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
        tracing::warn!(paid_for = %facts.booking_id, "an event for something without a payment");
        Ok(None)
    }
}

/// Reacts to booking events (see the module's docs).
#[derive(Debug, Clone)]
pub struct BookingEventsHandler {
    saga: Participant,
}

impl BookingEventsHandler {
    pub fn new(steps: Steps) -> Self {
        Self {
            saga: Participant::new(steps),
        }
    }

    async fn on_requested(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        requested: &booking::BookingRequested,
    ) -> Result<(), EventError> {
        let facts = checked(requested.booking.as_ref())?;
        self.saga
            .authorize(tx, event, &facts, &requested.payment_method)
            .await
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
        if let Some(payment) = self.saga.payment_of(tx, &facts).await? {
            self.saga.capture(tx, event, &payment, false).await?;
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
        if let Some(payment) = self.saga.payment_of(tx, &facts).await? {
            self.saga.capture(tx, event, &payment, true).await?;
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
        if let Some(payment) = self.saga.end(tx, &facts).await? {
            self.saga.void(tx, event, &payment).await?;
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
        let refund_amount = refund(cancelled.refund_amount)?;
        if let Some(payment) = self.saga.end(tx, &facts).await? {
            self.saga.settle(tx, event, &payment, refund_amount).await?;
        }
        Ok(())
    }
}

/// The checked facts of a booking event.
fn checked(facts: Option<&booking::BookingFacts>) -> Result<NewPayment, EventError> {
    let facts = facts.ok_or_else(|| EventError::Malformed("no booking".to_owned()))?;
    checked_with(
        "booking.",
        PaidFor::Booking(&facts.booking),
        &facts.guest,
        &facts.host,
        facts.total_amount,
        &facts.currency_code,
        facts.platform_fee,
    )
}

/// [`NewPayment::parse`] for an event: violations make it malformed.
fn checked_with(
    prefix: &str,
    paid_for: PaidFor<'_>,
    payer: &str,
    host: &str,
    amount: i64,
    currency_code: &str,
    platform_fee: i64,
) -> Result<NewPayment, EventError> {
    NewPayment::parse(
        prefix,
        paid_for,
        payer,
        host,
        amount,
        currency_code,
        platform_fee,
    )
    .map_err(|violations| {
        let fields: Vec<String> = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        EventError::Malformed(fields.join("; "))
    })
}

/// An event's `refund_amount`, which must not be negative.
fn refund(amount: i64) -> Result<i64, EventError> {
    if amount < 0 {
        return Err(EventError::Malformed("a negative refund_amount".to_owned()));
    }
    Ok(amount)
}

fn payload<P: prost::Name + Default>(event: &Event) -> Result<P, HandlerError> {
    event.payload::<P>().map_err(HandlerError::permanent)
}

/// A reaction's outcome as the consumer takes it: a step that may succeed later is retried,
/// anything else dead-letters the event.
fn outcome(event: &Event, result: Result<(), EventError>) -> Result<(), HandlerError> {
    result.map_err(|err| match err {
        EventError::Step(step) if step.is_transient() => HandlerError::transient(step),
        err => {
            tracing::error!(event = %event.event_id(), event_type = event.event_type(), "an event cannot be handled: {err}");
            HandlerError::permanent(err)
        }
    })
}

impl EventHandler for BookingEventsHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<booking::BookingRequested>()
            || event.is::<booking::BookingConfirmed>()
            || event.is::<booking::BookingCheckedIn>()
            || event.is::<booking::BookingExpired>()
            || event.is::<booking::BookingDeclined>()
            || event.is::<booking::BookingPaymentFailed>()
            || event.is::<booking::BookingCancelled>()
    }

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
        outcome(event, result)
    }
}
