//! Provider calls outside database transactions, Stripe's way: record, call, record.
//!
//! A step on a payment (authorize, capture, void, refund) is first written to `payment_steps`
//! with its idempotency key, in the transaction of whatever asked for it: the consumer's, with
//! the inbox record of the booking event, or an RPC's, with its idempotency key. [`Steps::run`]
//! then calls the provider holding no connection and no lock, and records the answer in a
//! transaction of its own that also deletes the step. A crash between the two leaves the step
//! behind; the [`Steps::run_due`] worker runs it again with the same key, so the provider
//! answers with what it did the first time (reconciliation) and money never moves twice.
//!
//! - Steps of one payment run in the order they were asked for (a capture before the refund
//!   of a partly refunded cancellation).
//! - An unreachable provider is retried with backoff ([`backoff`]); steps waiting longer than
//!   [`OVERDUE`] show in the `estospaces_payment_steps_overdue` gauge.
//! - A step the provider refuses for good is an outcome where the saga has one (a declined
//!   authorization, a refused capture: `payment.failed`), an error for an RPC (kept under its
//!   idempotency key), and otherwise kept as `refused` for an operator, with an error logged.
//! - Ended bookings are remembered (`ended_bookings`): an authorization that comes back for
//!   one is voided, and [`Steps::void_orphans`] voids any authorization still held for one.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_events::NewEvent;
use estospaces_host::Stopping;
use estospaces_proto::payment_v1 as pb;
use estospaces_storage::{Database, unix_micros};
use futures::StreamExt;
use prost::Message;
use sqlx::{AnyConnection, AnyPool, Row};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{PaymentId, PaymentState};
use crate::idempotency;
use crate::payments::{Payments, StepError, now};
use crate::provider::ProviderError;
use crate::store::{self, PaymentRecord};

/// Steps taken per pass.
const BATCH: i64 = 32;

/// Provider calls in flight at once.
const CONCURRENCY: usize = 8;

/// How long a pending step may wait before it counts as overdue.
pub const OVERDUE: Duration = Duration::from_secs(300);

/// How many times the saga's refused capture is retried while an RPC's step of its payment is
/// pending, before the refusal stands.
const REFUSALS_DEFERRED: i64 = 3;

/// How long the worker leaves an RPC's step to the RPC that runs it.
pub const RPC_GRACE: Duration = Duration::from_secs(30);

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Authorize,
    Capture,
    Void,
    Refund,
}

impl StepKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Capture => "capture",
            Self::Void => "void",
            Self::Refund => "refund",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "authorize" => Self::Authorize,
            "capture" => Self::Capture,
            "void" => Self::Void,
            "refund" => Self::Refund,
            _ => return None,
        })
    }
}

/// A provider call to make, as stored.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub payment_id: PaymentId,
    pub booking_id: String,
    pub kind: StepKind,
    /// Capture and refund: how much; `None` for all of it.
    pub amount: Option<i64>,
    pub provider_key: String,
    /// An authorization's request.
    pub authorization: Option<pb::AuthorizePaymentRequest>,
    /// A capture at check-in also schedules the host's payout.
    pub schedule_payout: bool,
    /// The event that asked for the step, which the step's own event follows.
    pub correlation_id: String,
    pub causation_id: String,
    /// The caller and idempotency key of the RPC that asked for the step.
    pub rpc: Option<(String, String)>,
    pub attempts: i64,
    /// The W3C trace context of the span that asked for the step (the consumer's, the RPC's),
    /// so running it, and the event it ends in, stay in the saga's trace; empty without one.
    pub traceparent: String,
    pub tracestate: String,
}

impl Step {
    /// An authorization of a new payment for `request.booking`.
    pub fn authorize(
        booking_id: &str,
        request: pb::AuthorizePaymentRequest,
        provider_key: String,
    ) -> Self {
        let mut step = Self::new(
            PaymentId::new(),
            booking_id,
            StepKind::Authorize,
            provider_key,
        );
        step.authorization = Some(request);
        step
    }

    /// A step on an existing payment.
    pub fn on(
        payment: &PaymentRecord,
        kind: StepKind,
        amount: Option<i64>,
        provider_key: String,
    ) -> Self {
        let mut step = Self::new(payment.id, &payment.booking_id, kind, provider_key);
        step.amount = amount;
        step
    }

    fn new(payment_id: PaymentId, booking_id: &str, kind: StepKind, provider_key: String) -> Self {
        let (traceparent, tracestate) = estospaces_telemetry::current_trace_parent();
        Self {
            id: Uuid::now_v7().to_string(),
            payment_id,
            booking_id: booking_id.to_owned(),
            kind,
            amount: None,
            provider_key,
            authorization: None,
            schedule_payout: false,
            correlation_id: String::new(),
            causation_id: String::new(),
            rpc: None,
            attempts: 0,
            traceparent,
            tracestate,
        }
    }

    /// The step asked for by `event`.
    pub fn following(mut self, event: &estospaces_events::Event) -> Self {
        self.correlation_id = event.correlation_id().to_owned();
        self.causation_id = event.event_id().to_owned();
        self
    }

    /// The step in the flow of `other`.
    fn following_step(mut self, other: &Step) -> Self {
        self.correlation_id = other.correlation_id.clone();
        self.causation_id = other.causation_id.clone();
        self.traceparent = other.traceparent.clone();
        self.tracestate = other.tracestate.clone();
        self
    }

    /// The step asked for by an RPC of `caller_id` with idempotency key `key`.
    pub fn for_rpc(mut self, caller_id: &str, key: &str) -> Self {
        self.rpc = Some((caller_id.to_owned(), key.to_owned()));
        self
    }

    /// `event` in the flow of the event that asked for the step.
    pub fn caused(&self, mut event: NewEvent) -> NewEvent {
        if !self.correlation_id.is_empty() {
            event = event
                .correlated_with(self.correlation_id.clone())
                .caused_by(self.causation_id.clone());
        }
        event
    }

    /// The response an RPC gets for the step's outcome, encoded as it is kept under the RPC's
    /// idempotency key.
    fn encoded_response(&self, payment: &PaymentRecord) -> Vec<u8> {
        let payment = Some(payment.to_proto());
        match self.kind {
            StepKind::Authorize => pb::AuthorizePaymentResponse { payment }.encode_to_vec(),
            StepKind::Capture => pb::CapturePaymentResponse { payment }.encode_to_vec(),
            StepKind::Void => pb::VoidPaymentResponse { payment }.encode_to_vec(),
            StepKind::Refund => pb::RefundPaymentResponse { payment }.encode_to_vec(),
        }
    }
}

const STEP_COLUMNS: &str = "id, payment_id, booking_id, kind, amount, provider_key, request, \
     schedule_payout, correlation_id, causation_id, rpc_caller_id, rpc_key, attempts, traceparent, \
     tracestate";

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt {what}").into())
}

fn decode_step(row: &sqlx::any::AnyRow) -> Result<Step, sqlx::Error> {
    let payment_id: String = row.try_get("payment_id")?;
    let kind: String = row.try_get("kind")?;
    let request: Option<Vec<u8>> = row.try_get("request")?;
    let caller: Option<String> = row.try_get("rpc_caller_id")?;
    let key: Option<String> = row.try_get("rpc_key")?;
    Ok(Step {
        id: row.try_get("id")?,
        payment_id: PaymentId::parse(&payment_id).map_err(|_| corrupt("step payment"))?,
        booking_id: row.try_get("booking_id")?,
        kind: StepKind::from_key(&kind).ok_or_else(|| corrupt("step kind"))?,
        amount: row.try_get("amount")?,
        provider_key: row.try_get("provider_key")?,
        authorization: request
            .map(|bytes| pb::AuthorizePaymentRequest::decode(bytes.as_slice()))
            .transpose()
            .map_err(|_| corrupt("step request"))?,
        schedule_payout: row.try_get::<i64, _>("schedule_payout")? != 0,
        correlation_id: row.try_get("correlation_id")?,
        causation_id: row.try_get("causation_id")?,
        rpc: caller.zip(key),
        attempts: row.try_get("attempts")?,
        traceparent: row.try_get("traceparent")?,
        tracestate: row.try_get("tracestate")?,
    })
}

/// Records `step`, to run from `run_after`, in `tx`. False when an equal step is recorded
/// already: one with the same idempotency key, or another authorization of the booking.
pub async fn enqueue(
    tx: &mut AnyConnection,
    step: &Step,
    run_after: SystemTime,
) -> Result<bool, sqlx::Error> {
    let (caller, key) = step.rpc.clone().unzip();
    let inserted = sqlx::query(&format!(
        "INSERT INTO payment_steps ({STEP_COLUMNS}, state, last_error, run_after, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, 'pending', '', \
         $15, $16) \
         ON CONFLICT DO NOTHING"
    ))
    .bind(&step.id)
    .bind(step.payment_id.to_string())
    .bind(&step.booking_id)
    .bind(step.kind.key())
    .bind(step.amount)
    .bind(&step.provider_key)
    .bind(step.authorization.as_ref().map(Message::encode_to_vec))
    .bind(i64::from(step.schedule_payout))
    .bind(&step.correlation_id)
    .bind(&step.causation_id)
    .bind(caller)
    .bind(key)
    .bind(&step.traceparent)
    .bind(&step.tracestate)
    .bind(unix_micros(run_after))
    .bind(unix_micros(SystemTime::now()))
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Asks a pending capture of the payment (the saga's, keyed `provider_key`) to schedule the
/// host's payout too; false when there is no such step.
pub async fn schedule_payout_after(
    tx: &mut AnyConnection,
    provider_key: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE payment_steps SET schedule_payout = 1 \
         WHERE provider_key = $1 AND kind = 'capture' AND state = 'pending'",
    )
    .bind(provider_key)
    .execute(&mut *tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Whether the step keyed `provider_key` waits to be run.
pub async fn is_pending(tx: &mut AnyConnection, provider_key: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS pending FROM payment_steps \
         WHERE provider_key = $1 AND state = 'pending'",
    )
    .bind(provider_key)
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.try_get::<i64, _>("pending")? > 0)
}

/// Whether an RPC's step of `payment_id` other than `id` is pending. An RPC runs its step at
/// once, beside the worker's, so the provider may have done it and its record be on the way.
async fn has_rpc_step_pending(
    tx: &mut AnyConnection,
    payment_id: PaymentId,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS pending FROM payment_steps \
         WHERE payment_id = $1 AND id <> $2 AND state = 'pending' \
         AND rpc_caller_id IS NOT NULL",
    )
    .bind(payment_id.to_string())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.try_get::<i64, _>("pending")? > 0)
}

/// The authorization of `booking_id` waiting for its answer, if any.
pub async fn pending_authorization(
    tx: &mut AnyConnection,
    booking_id: &str,
) -> Result<Option<Step>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM payment_steps \
         WHERE booking_id = $1 AND kind = 'authorize' AND state = 'pending'"
    ))
    .bind(booking_id)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(decode_step).transpose()
}

/// Remembers that `booking_id` ended (a booking, or a released reservation by its id), so no
/// authorization outlives it.
pub async fn booking_ended(tx: &mut AnyConnection, booking_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ended_bookings (booking_id, ended_at) VALUES ($1, $2) \
         ON CONFLICT (booking_id) DO NOTHING",
    )
    .bind(booking_id)
    .bind(unix_micros(SystemTime::now()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether `booking_id` ended.
pub async fn has_ended(tx: &mut AnyConnection, booking_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS ended FROM ended_bookings WHERE booking_id = $1")
        .bind(booking_id)
        .fetch_one(&mut *tx)
        .await?;
    Ok(row.try_get::<i64, _>("ended")? > 0)
}

/// The pending step an RPC of `caller_id` with `key` asked for, if it still waits.
pub async fn find_for_rpc(
    db: &AnyPool,
    caller_id: &str,
    key: &str,
) -> Result<Option<Step>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM payment_steps \
         WHERE rpc_caller_id = $1 AND rpc_key = $2 AND state = 'pending'"
    ))
    .bind(caller_id)
    .bind(key)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(decode_step).transpose()
}

/// Up to `limit` pending steps due at `now`, each the oldest of its payment, oldest first.
///
/// Numbered per payment in one pass over the pending steps, rather than with an anti join
/// on "no earlier pending step": a connection keeps the generic plan PostgreSQL made for its
/// prepared statement while the table was new and had no statistics, and for the anti join
/// that was a nested loop scanning every pending step for each one, 1–4 s a batch with 2,000
/// pending (docs/benchmarks.md). No plan of this query is worse than a sort of the pending
/// steps.
async fn due(db: &AnyPool, now: SystemTime, limit: i64) -> Result<Vec<Step>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM \
         (SELECT {STEP_COLUMNS}, run_after, \
          ROW_NUMBER() OVER (PARTITION BY payment_id ORDER BY id) AS place \
          FROM payment_steps WHERE state = 'pending') pending \
         WHERE place = 1 AND run_after <= $1 ORDER BY id LIMIT $2"
    ))
    .bind(unix_micros(now))
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(decode_step).collect()
}

/// Reads `id` again inside `tx` (after the payment's lock): `None` once another runner
/// finished it.
async fn reread(tx: &mut AnyConnection, id: &str) -> Result<Option<Step>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM payment_steps WHERE id = $1 AND state = 'pending'"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(decode_step).transpose()
}

/// Deletes step `id`; false when another runner did first.
async fn delete(tx: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM payment_steps WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// How long to wait before the attempt after `attempts` failed ones: 1 s, doubling, at most
/// 5 minutes.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 9) - 1).unwrap_or(0);
    Duration::from_secs(1 << exponent).min(Duration::from_secs(300))
}

/// Runs steps: inline for an RPC, and as a worker for everything else and anything a crash
/// left behind.
#[derive(Debug, Clone)]
pub struct Steps {
    db: Database,
    payments: Payments,
    payout_delay: Duration,
    wake: Arc<Notify>,
    poll: Duration,
}

impl Steps {
    pub fn new(db: Database, payments: Payments, payout_delay: Duration) -> Self {
        Self {
            db,
            payments,
            payout_delay,
            wake: Arc::default(),
            poll: Duration::from_secs(1),
        }
    }

    pub fn payments(&self) -> &Payments {
        &self.payments
    }

    /// How long after check-in a host's payout falls due.
    pub fn payout_delay(&self) -> Duration {
        self.payout_delay
    }

    /// Wakes the worker: a step was enqueued (by a transaction that may not have committed
    /// yet, which the worker allows for).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Calls the provider for `step` and records its answer; the payment after it.
    ///
    /// In a `payment.step` span continuing the trace of whatever asked for the step, so the
    /// provider call and the event recorded with its answer are in the saga's trace.
    pub async fn run(&self, step: &Step) -> Result<PaymentRecord, StepError> {
        use tracing::Instrument as _;
        let span = tracing::info_span!(
            "payment.step",
            otel.kind = "internal",
            payment.step = step.kind.key(),
            payment.id = %step.payment_id,
            booking.id = %step.booking_id,
            attempt = step.attempts + 1,
        );
        estospaces_telemetry::set_remote_parent(&span, &step.traceparent, &step.tracestate);
        self.run_in_span(step).instrument(span).await
    }

    async fn run_in_span(&self, step: &Step) -> Result<PaymentRecord, StepError> {
        let pool = self.db.pool();
        let payment = match step.kind {
            StepKind::Authorize => store::find_payment_of_booking(pool, &step.booking_id).await?,
            _ => store::find_payment(pool, step.payment_id).await?,
        };
        let amount = match Payments::check(step, payment.as_ref()) {
            Ok(amount) => amount,
            Err(err) => return self.end(step, err).await,
        };
        let answer = self.payments.call(step, payment.as_ref(), amount).await;
        if let Err(ProviderError::Unavailable(why)) = &answer {
            self.retry_later(step, why).await;
            return Err(StepError::Transient(why.clone()));
        }
        let provider_did_it = answer.is_ok();
        match self.record(step, answer).await {
            Ok(payment) => Ok(payment),
            Err(StepError::Superseded) => Err(StepError::Superseded),
            Err(err) if err.is_transient() => {
                self.retry_later(step, &err.to_string()).await;
                Err(err)
            }
            // The payment moved between the call and its record, yet the provider did it:
            // nothing may be lost, so the step stays for an operator.
            Err(err) if provider_did_it && step.rpc.is_none() => {
                let why = format!("done at the provider, but the payment moved meanwhile: {err}");
                self.end(step, StepError::Rejected(why)).await
            }
            Err(err) => self.end(step, err).await,
        }
    }

    /// Records the provider's final answer and deletes the step, in one transaction.
    async fn record(
        &self,
        step: &Step,
        answer: Result<String, ProviderError>,
    ) -> Result<PaymentRecord, StepError> {
        let mut tx = self.db.begin().await?;
        let payment = match step.kind {
            StepKind::Authorize => {
                store::lock_payment_of_booking(&mut tx, &step.booking_id).await?
            }
            _ => store::lock_payment(&mut tx, step.payment_id).await?,
        };
        // Behind the payment's lock, so a saga event that changed the step meanwhile (a payout
        // to schedule) is seen, and another runner's outcome too.
        let Some(step) = reread(&mut tx, &step.id).await? else {
            return Err(StepError::Superseded);
        };
        // The saga's capture refused would fail the payment, losing an operator's void that won
        // at the provider and is not recorded yet; retried, the capture finds the void recorded
        // and no longer applies. A few tries only: a void whose RPC gave up waits behind it.
        if step.kind == StepKind::Capture
            && step.rpc.is_none()
            && answer.is_err()
            && step.attempts < REFUSALS_DEFERRED
            && has_rpc_step_pending(&mut tx, step.payment_id, &step.id).await?
        {
            return Err(StepError::Transient(
                "refused while an RPC's step of the payment is in flight".to_owned(),
            ));
        }
        let payment = self
            .payments
            .record(&mut tx, &step, payment, answer)
            .await?;
        delete(&mut tx, &step.id).await?;
        let mut woken = false;
        if step.schedule_payout
            && payment.state.is_captured()
            && store::schedule_payout(&mut tx, &payment, now(), self.payout_delay).await?
        {
            tracing::info!(payment = %payment.id, "host payout scheduled");
        }
        if step.kind == StepKind::Authorize
            && payment.state == PaymentState::Authorized
            && has_ended(&mut tx, &payment.booking_id).await?
        {
            tracing::info!(payment = %payment.id, "authorized for a booking that ended: voiding");
            let void = void_of(&payment).following_step(&step);
            woken = enqueue(&mut tx, &void, SystemTime::now()).await?;
        }
        if let Some((caller, key)) = &step.rpc {
            idempotency::save(&mut tx, caller, key, &Ok(step.encoded_response(&payment))).await?;
        }
        tx.commit().await?;
        if woken {
            self.wake();
        }
        Ok(payment)
    }

    /// Ends `step` without an outcome: an RPC keeps the error under its key; a step the saga
    /// asked for that no longer applies is dropped; one the provider refused is kept as
    /// `refused` for an operator.
    async fn end<T>(&self, step: &Step, err: StepError) -> Result<T, StepError> {
        let write = async {
            let mut tx = self.db.begin().await?;
            if let Some((caller, key)) = &step.rpc {
                let status = tonic::Status::from(crate::service::step_error(clone_final(&err)));
                if idempotency::is_final(&status) {
                    if !delete(&mut tx, &step.id).await? {
                        // Another runner finished the step: its result stands.
                        return Ok(false);
                    }
                    idempotency::save(&mut tx, caller, key, &Err(status)).await?;
                }
            } else if matches!(err, StepError::Rejected(_)) {
                tracing::error!(
                    step = %step.id,
                    payment = %step.payment_id,
                    kind = step.kind.key(),
                    "the provider refused a step for good; left for an operator: {err}"
                );
                metrics::counter!("estospaces_payment_steps_refused_total", "step" => step.kind.key())
                    .increment(1);
                sqlx::query(
                    "UPDATE payment_steps SET state = 'refused', last_error = $1 WHERE id = $2",
                )
                .bind(err.to_string())
                .bind(&step.id)
                .execute(&mut *tx)
                .await?;
            } else {
                tracing::debug!(step = %step.id, kind = step.kind.key(), "no longer applies: {err}");
                delete(&mut tx, &step.id).await?;
            }
            tx.commit().await.map(|()| true)
        };
        match write.await {
            Ok(true) => {}
            Ok(false) => return Err(StepError::Superseded),
            Err(db) => tracing::warn!(step = %step.id, "ending a step: {db}"),
        }
        Err(err)
    }

    async fn retry_later(&self, step: &Step, why: &str) {
        let attempts = step.attempts + 1;
        let run_after = SystemTime::now() + backoff(attempts);
        tracing::warn!(step = %step.id, kind = step.kind.key(), attempts, "retrying later: {why}");
        let updated = sqlx::query(
            "UPDATE payment_steps SET attempts = attempts + 1, last_error = $1, run_after = $2 \
             WHERE id = $3",
        )
        .bind(why)
        .bind(unix_micros(run_after))
        .bind(&step.id)
        .execute(self.db.pool())
        .await;
        if let Err(err) = updated {
            tracing::warn!(step = %step.id, "rescheduling a step: {err}");
        }
    }

    /// One pass over the due steps; how many were run.
    pub async fn run_due_once(&self) -> Result<usize, sqlx::Error> {
        let steps = due(self.db.pool(), SystemTime::now(), BATCH).await?;
        // One step per payment at most, so they may run side by side: a slow provider call
        // holds up no other payment.
        futures::stream::iter(&steps)
            .for_each_concurrent(CONCURRENCY, |step| async move {
                if let Err(err) = self.run(step).await {
                    tracing::debug!(step = %step.id, "step not done: {err}");
                }
            })
            .await;
        Ok(steps.len())
    }

    /// The worker: runs due steps when woken, at least every second, until stopped.
    pub async fn run_due(self, stopping: Stopping) {
        let mut stopping = stopping.into_receiver();
        loop {
            if *stopping.borrow() {
                return;
            }
            match self.run_due_once().await {
                Ok(taken) if taken as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!("running payment steps: {err}"),
            }
            tokio::select! {
                _ = stopping.changed() => {}
                () = self.wake.notified() => {
                    // Woken from inside the enqueuing transaction: let it commit (and let the
                    // steps of a burst gather into one pass).
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Voids authorizations still held for bookings that ended (whose void was never asked
    /// for: an authorization answered after the booking's end was handled, say); how many.
    pub async fn void_orphans(&self) -> Result<usize, sqlx::Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT p.id FROM payments p JOIN ended_bookings e ON e.booking_id = p.booking_id \
             WHERE p.state = 'authorized' AND NOT EXISTS \
             (SELECT 1 FROM payment_steps s WHERE s.payment_id = p.id) LIMIT 100",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut voided = 0;
        for id in ids {
            let Ok(id) = PaymentId::parse(&id) else {
                continue;
            };
            let mut tx = self.db.begin().await?;
            if let Some(payment) = store::lock_payment(&mut tx, id).await?
                && enqueue(&mut tx, &void_of(&payment), SystemTime::now()).await?
            {
                tracing::warn!(payment = %payment.id, booking = %payment.booking_id, "voiding an orphaned authorization");
                voided += 1;
            }
            tx.commit().await?;
        }
        if voided > 0 {
            self.wake();
        }
        Ok(voided)
    }

    /// Sweeps orphaned authorizations and counts overdue steps every `interval`, for ever.
    pub async fn sweep_periodically(self, interval: Duration) {
        register_metrics();
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = self.void_orphans().await {
                tracing::warn!("voiding orphaned authorizations: {err}");
            }
            match overdue(self.db.pool()).await {
                Ok(overdue) => {
                    metrics::gauge!("estospaces_payment_steps_overdue").set(overdue as f64);
                    if overdue > 0 {
                        tracing::warn!(overdue, "payment steps wait longer than {OVERDUE:?}");
                    }
                }
                Err(err) => tracing::warn!("counting overdue payment steps: {err}"),
            }
        }
    }
}

/// Describes the payment saga's metrics and registers them at zero, so dashboards and alerts
/// find them before the first payment.
fn register_metrics() {
    metrics::describe_counter!(
        "estospaces_payment_steps_total",
        "Payment steps committed, by step and the state they leave the payment in."
    );
    metrics::describe_counter!(
        "estospaces_payment_steps_refused_total",
        "Voids and refunds the provider refused for good: money a person must return."
    );
    metrics::describe_gauge!(
        "estospaces_payment_steps_overdue",
        "Payment steps waiting longer than 5 minutes (provider down or unreachable)."
    );
    for (step, state) in [
        ("authorize", "authorized"),
        ("capture", "captured"),
        ("void", "voided"),
        ("refund", "refunded"),
    ] {
        metrics::counter!("estospaces_payment_steps_total", "step" => step, "state" => state)
            .increment(0);
    }
    for step in [StepKind::Void, StepKind::Refund] {
        metrics::counter!("estospaces_payment_steps_refused_total", "step" => step.key())
            .increment(0);
    }
    metrics::gauge!("estospaces_payment_steps_overdue").set(0.0);
}

/// The idempotency key of the saga's `kind` step on the payment of `booking_id`
/// (`<booking>:capture`): one such step per booking, whichever event asks for it.
pub fn saga_key(booking_id: &str, kind: StepKind) -> String {
    format!("{booking_id}:{}", kind.key())
}

/// The saga's void of `payment`.
pub fn void_of(payment: &PaymentRecord) -> Step {
    Step::on(
        payment,
        StepKind::Void,
        None,
        saga_key(&payment.booking_id, StepKind::Void),
    )
}

/// Steps pending longer than [`OVERDUE`], or refused and waiting for an operator.
pub async fn overdue(db: &AnyPool) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS overdue FROM payment_steps WHERE state = 'refused' OR created_at < $1",
    )
    .bind(unix_micros(SystemTime::now() - OVERDUE))
    .fetch_one(db)
    .await?;
    row.try_get("overdue")
}

/// A final error again (errors hold no clone: the database's cannot be cloned, and are never
/// final).
fn clone_final(err: &StepError) -> StepError {
    match err {
        StepError::PaymentExists => StepError::PaymentExists,
        StepError::WrongState { reason, message } => StepError::WrongState {
            reason,
            message: message.clone(),
        },
        StepError::AmountTooLarge { reason, message } => StepError::AmountTooLarge {
            reason,
            message: message.clone(),
        },
        StepError::Rejected(why) => StepError::Rejected(why.clone()),
        other => StepError::Transient(other.to_string()),
    }
}
