//! The steps of a payment: authorize, capture, void and refund.
//!
//! Each step runs inside the caller's transaction, on a payment row the caller locked (see
//! [`crate::store::lock_payment`]): it checks the state, calls the provider with the caller's
//! idempotency key, then writes the new state, the ledger transaction and the event. If
//! anything fails after the provider call, the caller's transaction rolls back and a retry with
//! the same key gets the provider's first answer again (see the crate's docs).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_events::{Event, NewEvent, Outbox};
use estospaces_proto::payment_v1 as pb;
use estospaces_storage::{from_unix_micros, is_unique_violation, unix_micros};
use sqlx::AnyConnection;

use crate::SERVICE_NAME;
use crate::domain::{NewPayment, PaymentId, PaymentState, payment_method_hint, proportional};
use crate::ledger::{self, LedgerError, Transaction};
use crate::provider::{AuthorizeRequest, PaymentProvider, ProviderError};
use crate::store::{self, PaymentRecord};

pub(crate) const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// Why a step did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The booking already has a payment.
    #[error("the booking already has a payment")]
    PaymentExists,
    /// The payment is not in a state the step applies to.
    #[error("{message}")]
    WrongState {
        reason: &'static str,
        message: String,
    },
    /// The amount is more than the step allows.
    #[error("{message}")]
    AmountTooLarge {
        reason: &'static str,
        message: String,
    },
    /// The provider refused the request; retrying cannot help.
    #[error("the payment provider refused: {0}")]
    Rejected(String),
    /// The provider is unreachable or a competing write came first: retry.
    #[error("transient: {0}")]
    Transient(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StepError {
    /// Whether retrying the same step later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Transient(_) | Self::Database(_) | Self::Ledger(LedgerError::Database(_))
        )
    }
}

/// What triggered a step: the event it reacts to (whose flow its own event joins), or an RPC.
#[derive(Debug, Clone, Copy)]
pub enum Cause<'a> {
    Event(&'a Event),
    Request,
}

/// The steps, with the provider they call.
#[derive(Debug, Clone)]
pub struct Payments {
    provider: Arc<dyn PaymentProvider>,
    timeout: Duration,
}

/// The current time at the store's precision (microseconds), so a response shows the times a
/// later read returns.
pub fn now() -> SystemTime {
    from_unix_micros(unix_micros(SystemTime::now()))
}

impl Payments {
    pub fn new(provider: Arc<dyn PaymentProvider>, timeout: Duration) -> Self {
        Self { provider, timeout }
    }

    pub fn provider(&self) -> &Arc<dyn PaymentProvider> {
        &self.provider
    }

    /// A provider call, bounded by the timeout (which counts as the provider being down).
    async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| Err(ProviderError::Unavailable("timed out".to_owned())))
    }

    /// Authorizes a new payment for `new.booking_id`. A decline is not an error: the payment is
    /// stored failed and `payment.failed` recorded.
    pub async fn authorize(
        &self,
        tx: &mut AnyConnection,
        new: &NewPayment,
        payment_method: &str,
        idempotency_key: &str,
        cause: Cause<'_>,
    ) -> Result<PaymentRecord, StepError> {
        let now = now();
        let mut payment = PaymentRecord {
            id: PaymentId::new(),
            booking_id: new.booking_id.clone(),
            payer_id: new.payer_id.clone(),
            host_id: new.host_id.clone(),
            state: PaymentState::Authorized,
            currency_code: new.currency_code.clone(),
            amount: new.amount,
            platform_fee: new.platform_fee,
            captured_amount: 0,
            captured_fee: 0,
            refunded_amount: 0,
            refunded_fee: 0,
            payment_method_hint: payment_method_hint(payment_method),
            provider: self.provider.name().to_owned(),
            provider_payment_id: String::new(),
            failure_code: String::new(),
            failure_message: String::new(),
            revision: 1,
            created_at: now,
            updated_at: now,
        };
        if store::lock_payment_of_booking(tx, &new.booking_id)
            .await?
            .is_some()
        {
            return Err(StepError::PaymentExists);
        }
        // The row before the provider call: its unique booking makes a concurrent
        // authorization of the same booking wait here (and then fail) before either calls
        // the provider.
        match store::insert_payment(tx, &payment).await {
            Ok(()) => {}
            Err(err) if is_unique_violation(&err) => {
                return Err(StepError::Transient(
                    "a concurrent authorization of the booking".to_owned(),
                ));
            }
            Err(err) => return Err(err.into()),
        }
        let request = AuthorizeRequest {
            idempotency_key,
            amount: new.amount,
            currency_code: &new.currency_code,
            payment_method,
            booking_id: &new.booking_id,
        };
        let event = match self.call(self.provider.authorize(request)).await {
            Ok(provider_payment_id) => {
                payment.provider_payment_id = provider_payment_id;
                NewEvent::new(
                    "payment.authorized",
                    "payment",
                    payment.id.to_string(),
                    &pb::PaymentAuthorized {
                        payment: Some(payment.facts()),
                    },
                )
            }
            Err(ProviderError::Unavailable(why)) => return Err(StepError::Transient(why)),
            Err(ProviderError::Declined { code, message }) => {
                self.failed(&mut payment, code, message)
            }
            Err(ProviderError::Rejected(why)) => {
                self.failed(&mut payment, "provider_error".to_owned(), why)
            }
        };
        store::update_payment(tx, &mut payment).await?;
        OUTBOX.append(tx, caused(event, cause)).await?;
        tracing::info!(
            payment = %payment.id,
            booking = %payment.booking_id,
            state = payment.state.key(),
            code = %payment.failure_code,
            "authorization"
        );
        counted("authorize", payment.state.key());
        Ok(payment)
    }

    fn failed(&self, payment: &mut PaymentRecord, code: String, message: String) -> NewEvent {
        payment.state = PaymentState::Failed;
        payment.failure_code = code;
        payment.failure_message = message;
        NewEvent::new(
            "payment.failed",
            "payment",
            payment.id.to_string(),
            &pb::PaymentFailed {
                payment: Some(payment.facts()),
                failure_code: payment.failure_code.clone(),
                failure_message: payment.failure_message.clone(),
            },
        )
    }

    /// Captures `amount` (all of it when `None`) of the authorized `payment`, locked by the
    /// caller, and books the guest's charge: the platform's fee and the host's payable.
    pub async fn capture(
        &self,
        tx: &mut AnyConnection,
        mut payment: PaymentRecord,
        amount: Option<i64>,
        idempotency_key: &str,
        cause: Cause<'_>,
    ) -> Result<PaymentRecord, StepError> {
        if payment.state != PaymentState::Authorized {
            return Err(not_authorized(&payment, "captured"));
        }
        let amount = amount.unwrap_or(payment.amount);
        if amount > payment.amount {
            return Err(StepError::AmountTooLarge {
                reason: "AMOUNT_EXCEEDS_AUTHORIZED",
                message: format!("{amount} is more than the {} authorized", payment.amount),
            });
        }
        self.call(
            self.provider
                .capture(idempotency_key, &payment.provider_payment_id, amount),
        )
        .await
        .map_err(provider_error)?;

        let fee = proportional(payment.platform_fee, amount, payment.amount);
        payment.state = PaymentState::Captured;
        payment.captured_amount = amount;
        payment.captured_fee = fee;
        payment.updated_at = now();
        let transaction = Transaction::capture(
            payment.id,
            &payment.currency_code,
            &payment.host_id,
            amount,
            fee,
        )?;
        store::update_payment(tx, &mut payment).await?;
        ledger::book(tx, &transaction, payment.updated_at).await?;
        let event = NewEvent::new(
            "payment.captured",
            "payment",
            payment.id.to_string(),
            &pb::PaymentCaptured {
                payment: Some(payment.facts()),
                captured_amount: amount,
            },
        );
        OUTBOX.append(tx, caused(event, cause)).await?;
        tracing::info!(payment = %payment.id, amount, "captured");
        counted("capture", payment.state.key());
        Ok(payment)
    }

    /// Records that the provider refused to capture the authorized `payment` (an expired
    /// authorization, say): the payment fails and `payment.failed` tells the saga.
    pub async fn capture_failed(
        &self,
        tx: &mut AnyConnection,
        mut payment: PaymentRecord,
        why: String,
        cause: Cause<'_>,
    ) -> Result<PaymentRecord, StepError> {
        payment.updated_at = now();
        let event = self.failed(&mut payment, "capture_failed".to_owned(), why);
        store::update_payment(tx, &mut payment).await?;
        OUTBOX.append(tx, caused(event, cause)).await?;
        tracing::warn!(payment = %payment.id, "capture refused by the provider");
        counted("capture", payment.state.key());
        Ok(payment)
    }

    /// Releases the authorized `payment`, locked by the caller.
    pub async fn void(
        &self,
        tx: &mut AnyConnection,
        mut payment: PaymentRecord,
        idempotency_key: &str,
        cause: Cause<'_>,
    ) -> Result<PaymentRecord, StepError> {
        if payment.state != PaymentState::Authorized {
            return Err(not_authorized(&payment, "voided"));
        }
        self.call(
            self.provider
                .void(idempotency_key, &payment.provider_payment_id),
        )
        .await
        .map_err(provider_error)?;
        payment.state = PaymentState::Voided;
        payment.updated_at = now();
        store::update_payment(tx, &mut payment).await?;
        let event = NewEvent::new(
            "payment.voided",
            "payment",
            payment.id.to_string(),
            &pb::PaymentVoided {
                payment: Some(payment.facts()),
            },
        );
        OUTBOX.append(tx, caused(event, cause)).await?;
        tracing::info!(payment = %payment.id, "voided");
        counted("void", payment.state.key());
        Ok(payment)
    }

    /// Refunds `amount` (all that is left when `None`) of the captured `payment`, locked by the
    /// caller, taking the fee's share back from the platform's revenue.
    pub async fn refund(
        &self,
        tx: &mut AnyConnection,
        mut payment: PaymentRecord,
        amount: Option<i64>,
        idempotency_key: &str,
        cause: Cause<'_>,
    ) -> Result<PaymentRecord, StepError> {
        if !payment.state.is_captured() {
            return Err(StepError::WrongState {
                reason: "PAYMENT_NOT_CAPTURED",
                message: format!(
                    "only a captured payment can be refunded; this one is {}",
                    payment.state.key()
                ),
            });
        }
        let refundable = payment.captured_amount - payment.refunded_amount;
        let amount = amount.unwrap_or(refundable);
        if refundable == 0 {
            return Err(StepError::WrongState {
                reason: "PAYMENT_FULLY_REFUNDED",
                message: "everything captured was refunded already".to_owned(),
            });
        }
        if amount > refundable {
            return Err(StepError::AmountTooLarge {
                reason: "AMOUNT_EXCEEDS_REFUNDABLE",
                message: format!("{amount} is more than the {refundable} left to refund"),
            });
        }
        self.call(
            self.provider
                .refund(idempotency_key, &payment.provider_payment_id, amount),
        )
        .await
        .map_err(provider_error)?;

        let refunded = payment.refunded_amount + amount;
        // Cumulative shares: the fee returned so far is the fee's share of everything
        // refunded so far, so partial refunds add up to exactly the fee.
        let refunded_fee = proportional(payment.captured_fee, refunded, payment.captured_amount);
        let fee = refunded_fee - payment.refunded_fee;
        payment.refunded_amount = refunded;
        payment.refunded_fee = refunded_fee;
        payment.state = if refunded == payment.captured_amount {
            PaymentState::Refunded
        } else {
            PaymentState::PartiallyRefunded
        };
        payment.updated_at = now();
        let transaction = Transaction::refund(
            payment.id,
            &payment.currency_code,
            &payment.host_id,
            amount,
            fee,
        )?;
        store::update_payment(tx, &mut payment).await?;
        ledger::book(tx, &transaction, payment.updated_at).await?;
        let event = NewEvent::new(
            "payment.refunded",
            "payment",
            payment.id.to_string(),
            &pb::PaymentRefunded {
                payment: Some(payment.facts()),
                refunded_amount: amount,
                total_refunded_amount: refunded,
            },
        );
        OUTBOX.append(tx, caused(event, cause)).await?;
        tracing::info!(payment = %payment.id, amount, refunded, "refunded");
        counted("refund", payment.state.key());
        Ok(payment)
    }
}

/// Counts a step that is about to commit, by the state it leaves the payment in. (A step rolled
/// back after this, rarely, is counted again when retried.)
fn counted(step: &'static str, state: &'static str) {
    metrics::counter!("payment_steps_total", "step" => step, "state" => state).increment(1);
}

fn caused(event: NewEvent, cause: Cause<'_>) -> NewEvent {
    match cause {
        Cause::Event(by) => event.following(by),
        Cause::Request => event,
    }
}

fn not_authorized(payment: &PaymentRecord, verb: &str) -> StepError {
    StepError::WrongState {
        reason: "PAYMENT_NOT_AUTHORIZED",
        message: format!(
            "only an authorized payment can be {verb}; this one is {}",
            payment.state.key()
        ),
    }
}

fn provider_error(err: ProviderError) -> StepError {
    match err {
        ProviderError::Unavailable(why) => StepError::Transient(why),
        ProviderError::Declined { code, message } => {
            StepError::Rejected(format!("{code}: {message}"))
        }
        ProviderError::Rejected(why) => StepError::Rejected(why),
    }
}
