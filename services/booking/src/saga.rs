//! The booking saga: how a booking moves, which event each move emits, and the reactions to the
//! payment service's events.
//!
//! The saga is choreographed. This service owns the booking's state and records every step in
//! `booking_saga_steps`; the payment service reacts to `booking.*` events (authorize on
//! `booking.requested`, capture on `booking.confirmed`/`booking.checked_in`, void on
//! `booking.expired`/`booking.declined`/`booking.payment_failed`, refund on `booking.cancelled`)
//! and answers with `payment.*` events, which [`PaymentEventsHandler`] applies. Redelivered
//! events are no-ops twice over: the consumer's inbox skips an event it processed, and a
//! transition that no longer applies to the booking's state changes nothing.

use std::time::SystemTime;

use estospaces_events::{Event, EventHandler, HandlerError, NewEvent};
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::payment_v1 as payment;
use sqlx::AnyConnection;
use time::Date;

use crate::config::CaptureAt;
use crate::domain::{
    BookingId, Canceller, PaymentStatus, RefundTerms, State, Transition, money, refund,
};
use crate::store::{BookingRecord, Step, StoreError, change_in, find_in};

/// The consumer group the booking service reads the payment service's events as.
pub const PAYMENT_EVENTS_GROUP: &str = "booking.payment-events";

/// The `failure_code` of a `payment.failed` about a capture the provider refused.
const CAPTURE_FAILED: &str = "capture_failed";

/// A move of a booking, worked out but not yet saved.
#[derive(Debug, Clone)]
pub struct Planned {
    pub next: BookingRecord,
    pub steps: Vec<Step>,
    pub event: Option<NewEvent>,
}

/// Works out `transition` of `current` at `now` (`today` in UTC): the booking after it, the
/// saga step and the event it emits; or why it cannot happen from the booking's state.
/// `why` is the reason given (a decline's, an expiry's).
pub fn plan(
    current: &BookingRecord,
    transition: Transition,
    capture_at: CaptureAt,
    why: &str,
    now: SystemTime,
    today: Date,
) -> Result<Planned, String> {
    let to = transition.apply(current.state)?;
    let mut next = current.clone();
    next.state = to;
    next.updated_at = now;
    let facts = Some(current.facts());
    let (step, event) = match to {
        State::Confirmed => {
            let capture_now = capture_at == CaptureAt::Confirmation;
            let detail = if capture_now {
                "booking.confirmed emitted; payment is captured now"
            } else {
                "booking.confirmed emitted; payment is captured at check-in"
            };
            (
                Step::new("confirmed", detail),
                Some(current.event(
                    "booking.confirmed",
                    &pb::BookingConfirmed {
                        booking: facts,
                        capture_now,
                    },
                )),
            )
        }
        State::AwaitingHost => (
            Step::new(
                "awaiting_host",
                "payment authorized; the host accepts or declines while the hold stands",
            ),
            None,
        ),
        State::PaymentFailed => {
            next.payment_status = PaymentStatus::Failed;
            next.end_reason = format!("payment failed: {why}");
            (
                Step::new("nights_released", "booking.payment_failed emitted"),
                Some(current.event(
                    "booking.payment_failed",
                    &pb::BookingPaymentFailed { booking: facts },
                )),
            )
        }
        State::Declined => {
            next.end_reason = if why.is_empty() {
                "the host declined".to_owned()
            } else {
                format!("the host declined: {why}")
            };
            (
                Step::new("declined", "booking.declined emitted; nights released"),
                Some(current.event("booking.declined", &pb::BookingDeclined { booking: facts })),
            )
        }
        State::Expired => {
            next.end_reason = why.to_owned();
            (
                Step::new(
                    "expired",
                    format!("booking.expired emitted; nights released: {why}"),
                ),
                Some(current.event(
                    "booking.expired",
                    &pb::BookingExpired {
                        booking: facts,
                        reason: why.to_owned(),
                    },
                )),
            )
        }
        State::CancelledByGuest | State::CancelledByHost => {
            let by = if to == State::CancelledByHost {
                Canceller::Host
            } else {
                Canceller::Guest
            };
            let terms = RefundTerms {
                state: current.state,
                total: current.total_amount,
                currency: &current.currency_code,
                policy: current.cancellation_policy,
                schedule: &current.refund_schedule,
                check_in: current.check_in,
            };
            let refund = refund(by, terms, today);
            next.end_reason = match (by, why.is_empty()) {
                (Canceller::Guest, true) => "the guest cancelled".to_owned(),
                (Canceller::Host, true) => "the host cancelled".to_owned(),
                (Canceller::Guest, false) => format!("the guest cancelled: {why}"),
                (Canceller::Host, false) => format!("the host cancelled: {why}"),
            };
            let cancelled_by = match by {
                Canceller::Guest => pb::booking_cancelled::CancelledBy::Guest,
                Canceller::Host => pb::booking_cancelled::CancelledBy::Host,
            };
            let event = current.event(
                "booking.cancelled",
                &pb::BookingCancelled {
                    booking: facts,
                    cancelled_by: cancelled_by as i32,
                    refund_amount: refund.amount,
                    refund_explanation: refund.explanation.clone(),
                },
            );
            let step = Step::new(
                "cancelled",
                format!("booking.cancelled emitted; {}", refund.explanation),
            );
            next.refund = Some(refund);
            (step, Some(event))
        }
        State::CheckedIn => (
            Step::new("checked_in", "booking.checked_in emitted"),
            Some(current.event(
                "booking.checked_in",
                &pb::BookingCheckedIn { booking: facts },
            )),
        ),
        State::Completed => (
            Step::new("completed", "booking.completed emitted"),
            Some(current.event(
                "booking.completed",
                &pb::BookingCompleted { booking: facts },
            )),
        ),
        State::PendingPayment => return Err("a booking never returns to pending".to_owned()),
    };
    Ok(Planned {
        next,
        steps: vec![step],
        event,
    })
}

/// Applies the payment service's events to bookings, in the consumer's transaction.
#[derive(Debug, Clone, Copy)]
pub struct PaymentEventsHandler {
    pub capture_at: CaptureAt,
}

impl EventHandler for PaymentEventsHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<payment::PaymentAuthorized>()
            || event.is::<payment::PaymentFailed>()
            || event.is::<payment::PaymentCaptured>()
            || event.is::<payment::PaymentVoided>()
            || event.is::<payment::PaymentRefunded>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let result = if event.is::<payment::PaymentAuthorized>() {
            let paid = event
                .payload::<payment::PaymentAuthorized>()
                .map_err(HandlerError::permanent)?;
            self.on_authorized(tx, event, &paid.payment.unwrap_or_default())
                .await
        } else if event.is::<payment::PaymentFailed>() {
            let failed = event
                .payload::<payment::PaymentFailed>()
                .map_err(HandlerError::permanent)?;
            self.on_failed(tx, event, &failed).await
        } else if event.is::<payment::PaymentCaptured>() {
            let captured = event
                .payload::<payment::PaymentCaptured>()
                .map_err(HandlerError::permanent)?;
            let facts = captured.payment.unwrap_or_default();
            let detail = format!(
                "captured {}",
                money(captured.captured_amount, &facts.currency_code)
            );
            on_status(
                tx,
                event,
                &facts,
                PaymentStatus::Captured,
                "payment_captured",
                detail,
            )
            .await
        } else if event.is::<payment::PaymentVoided>() {
            let voided = event
                .payload::<payment::PaymentVoided>()
                .map_err(HandlerError::permanent)?;
            let facts = voided.payment.unwrap_or_default();
            on_status(
                tx,
                event,
                &facts,
                PaymentStatus::Voided,
                "payment_voided",
                "the authorization was released".to_owned(),
            )
            .await
        } else if event.is::<payment::PaymentRefunded>() {
            let refunded = event
                .payload::<payment::PaymentRefunded>()
                .map_err(HandlerError::permanent)?;
            let facts = refunded.payment.unwrap_or_default();
            let detail = format!(
                "refunded {} ({} in all)",
                money(refunded.refunded_amount, &facts.currency_code),
                money(refunded.total_refunded_amount, &facts.currency_code)
            );
            on_status(
                tx,
                event,
                &facts,
                PaymentStatus::Refunded,
                "payment_refunded",
                detail,
            )
            .await
        } else {
            return Ok(());
        };
        result.map_err(|err| match err {
            SagaError::Malformed(_) => HandlerError::permanent(err),
            SagaError::Store(_) => HandlerError::transient(err),
        })
    }
}

/// Why a payment event could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    /// The event names no valid booking: retrying cannot help.
    #[error("the event names no valid booking: {0:?}")]
    Malformed(String),
    /// The database failed or the booking changed meanwhile: retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The booking a payment event is about, or `None` when this service does not know it (an
/// event for another deployment's booking, say) or it pays for no booking (a project unit
/// reservation's deposit, which the project service follows).
async fn booking_of(
    tx: &mut AnyConnection,
    facts: &payment::PaymentFacts,
) -> Result<Option<BookingRecord>, SagaError> {
    if facts.booking.is_empty() {
        tracing::debug!(reservation = %facts.reservation, "a payment event for a reservation's deposit");
        return Ok(None);
    }
    let id = BookingId::from_name(&facts.booking)
        .map_err(|_| SagaError::Malformed(facts.booking.clone()))?;
    let booking = find_in(tx, id).await?;
    if booking.is_none() {
        tracing::debug!(booking = %facts.booking, "a payment event for an unknown booking");
    }
    Ok(booking)
}

impl PaymentEventsHandler {
    async fn on_authorized(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        facts: &payment::PaymentFacts,
    ) -> Result<(), SagaError> {
        let Some(current) = booking_of(tx, facts).await? else {
            return Ok(());
        };
        let received = Step::received(
            "payment_authorized",
            event.event_id(),
            format!("{} authorized", money(facts.amount, &facts.currency_code)),
        );
        let transition = Transition::Authorize {
            instant: current.instant,
        };
        let now = SystemTime::now();
        match plan(
            &current,
            transition,
            self.capture_at,
            "",
            now,
            crate::domain::today(),
        ) {
            Ok(mut planned) => {
                planned.next.payment_status = PaymentStatus::Authorized;
                planned.next.payment_name = facts.payment.clone();
                let mut steps = vec![received];
                steps.append(&mut planned.steps);
                let event = planned.event.map(|new| new.following(event));
                change_in(tx, &current, &planned.next, steps, event).await?;
                tracing::info!(booking = %current.id, to = ?planned.next.state, "payment authorized");
            }
            Err(why) => {
                // Too late (the hold lapsed, the guest cancelled): the payment service voids on
                // the event that ended the booking. Recorded so the saga shows it.
                let mut next = current.clone();
                next.payment_name = facts.payment.clone();
                next.updated_at = now;
                let step = Step::received(
                    "payment_authorized_late",
                    event.event_id(),
                    format!("ignored: {why}"),
                );
                change_in(tx, &current, &next, vec![step], None).await?;
            }
        }
        Ok(())
    }

    async fn on_failed(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
        failed: &payment::PaymentFailed,
    ) -> Result<(), SagaError> {
        let facts = failed.payment.clone().unwrap_or_default();
        let Some(current) = booking_of(tx, &facts).await? else {
            return Ok(());
        };
        let why = format!("{} ({})", failed.failure_message, failed.failure_code);
        let received = Step::received("payment_failed", event.event_id(), why.clone());
        let now = SystemTime::now();
        // A capture refused for good after confirmation: the stay cannot be paid for, so the
        // booking ends and its nights go back on sale (transient capture failures never get
        // here: the payment service retries them).
        let transition = if failed.failure_code == CAPTURE_FAILED {
            Transition::FailCapture
        } else {
            Transition::FailPayment
        };
        match plan(
            &current,
            transition,
            self.capture_at,
            &why,
            now,
            crate::domain::today(),
        ) {
            Ok(mut planned) => {
                planned.next.payment_name = facts.payment.clone();
                let mut steps = vec![received];
                steps.append(&mut planned.steps);
                let event = planned.event.map(|new| new.following(event));
                change_in(tx, &current, &planned.next, steps, event).await?;
                tracing::info!(booking = %current.id, "payment failed; nights released");
            }
            Err(_) => {
                // A failure the booking's state no longer fits (a capture refused at check-in,
                // a late answer) is recorded; the stay goes on, its payment shown failed for
                // an operator to settle.
                let mut next = current.clone();
                next.updated_at = now;
                if failed.failure_code == CAPTURE_FAILED {
                    next.payment_status = PaymentStatus::Failed;
                }
                change_in(tx, &current, &next, vec![received], None).await?;
            }
        }
        Ok(())
    }
}

/// A payment event that only changes what the booking says about its payment.
async fn on_status(
    tx: &mut AnyConnection,
    event: &Event,
    facts: &payment::PaymentFacts,
    status: PaymentStatus,
    step: &'static str,
    detail: String,
) -> Result<(), SagaError> {
    let Some(current) = booking_of(tx, facts).await? else {
        return Ok(());
    };
    let mut next = current.clone();
    next.payment_status = status;
    if next.payment_name.is_empty() {
        next.payment_name = facts.payment.clone();
    }
    next.updated_at = SystemTime::now();
    let step = Step::received(step, event.event_id(), detail);
    change_in(tx, &current, &next, vec![step], None).await?;
    Ok(())
}
