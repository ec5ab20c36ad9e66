//! The steps of a payment: authorize, capture, void and refund, each in three parts so that
//! no provider call runs inside a database transaction (see [`crate::steps`], which runs
//! them): [`Payments::check`] decides whether a step applies to the payment as it is,
//! [`Payments::call`] asks the provider with the step's idempotency key, and
//! [`Payments::record`] writes the answer (the payment's new state, its ledger transaction and
//! its event) in the caller's transaction, on the payment row the caller locked.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::payment_v1 as pb;
use estospaces_storage::{from_unix_micros, is_unique_violation, unix_micros};
use sqlx::AnyConnection;

use crate::SERVICE_NAME;
use crate::domain::{PaymentState, payment_method_hint, proportional};
use crate::ledger::{self, LedgerError, Transaction};
use crate::provider::{AuthorizeRequest, PaymentProvider, ProviderError};
use crate::steps::{Step, StepKind};
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
    /// Another runner recorded the step's outcome first; its result stands.
    #[error("the step was completed by another runner")]
    Superseded,
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

    /// Whether `step` applies to `payment` (the booking's payment for an authorization) as it
    /// is now; the amount it moves (0 for an authorization or a void).
    ///
    /// A step asked for by an event is lenient where the saga's events may overlap: a refund
    /// is cut to what is left to refund.
    pub fn check(step: &Step, payment: Option<&PaymentRecord>) -> Result<i64, StepError> {
        let Some(payment) = payment else {
            return match step.kind {
                StepKind::Authorize => Ok(0),
                _ => Err(StepError::WrongState {
                    reason: "PAYMENT_NOT_FOUND",
                    message: "the payment does not exist".to_owned(),
                }),
            };
        };
        match step.kind {
            StepKind::Authorize => Err(StepError::PaymentExists),
            StepKind::Capture => {
                if payment.state != PaymentState::Authorized {
                    return Err(not_authorized(payment, "captured"));
                }
                let amount = step.amount.unwrap_or(payment.amount);
                if amount > payment.amount {
                    return Err(StepError::AmountTooLarge {
                        reason: "AMOUNT_EXCEEDS_AUTHORIZED",
                        message: format!("{amount} is more than the {} authorized", payment.amount),
                    });
                }
                Ok(amount)
            }
            StepKind::Void => {
                if payment.state != PaymentState::Authorized {
                    return Err(not_authorized(payment, "voided"));
                }
                Ok(0)
            }
            StepKind::Refund => {
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
                if refundable == 0 {
                    return Err(StepError::WrongState {
                        reason: "PAYMENT_FULLY_REFUNDED",
                        message: "everything captured was refunded already".to_owned(),
                    });
                }
                let amount = step.amount.unwrap_or(refundable);
                if amount <= refundable {
                    Ok(amount)
                } else if step.rpc.is_none() {
                    tracing::warn!(
                        payment = %payment.id,
                        asked = amount,
                        refundable,
                        "a cancellation asks to refund more than is left; refunding what is left"
                    );
                    Ok(refundable)
                } else {
                    Err(StepError::AmountTooLarge {
                        reason: "AMOUNT_EXCEEDS_REFUNDABLE",
                        message: format!("{amount} is more than the {refundable} left to refund"),
                    })
                }
            }
        }
    }

    /// Asks the provider to do `step` (moving `amount`, as [`Self::check`] found) with the
    /// step's idempotency key, bounded by the timeout (which counts as the provider being
    /// down); the provider's payment or refund id.
    pub async fn call(
        &self,
        step: &Step,
        payment: Option<&PaymentRecord>,
        amount: i64,
    ) -> Result<String, ProviderError> {
        let key = step.provider_key.as_str();
        let provider_payment_id = payment.map_or("", |p| p.provider_payment_id.as_str());
        let call = async {
            match step.kind {
                StepKind::Authorize => {
                    let Some(request) = &step.authorization else {
                        return Err(ProviderError::Rejected(
                            "an authorization step without its request".to_owned(),
                        ));
                    };
                    self.provider
                        .authorize(AuthorizeRequest {
                            idempotency_key: key,
                            amount: request.amount,
                            currency_code: &request.currency_code,
                            payment_method: &request.payment_method,
                            booking_id: &step.booking_id,
                        })
                        .await
                }
                StepKind::Capture => self
                    .provider
                    .capture(key, provider_payment_id, amount)
                    .await
                    .map(|()| String::new()),
                StepKind::Void => self
                    .provider
                    .void(key, provider_payment_id)
                    .await
                    .map(|()| String::new()),
                StepKind::Refund => self.provider.refund(key, provider_payment_id, amount).await,
            }
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| Err(ProviderError::Unavailable("timed out".to_owned())))
    }

    /// Records the provider's final `answer` to `step` in `tx`: `payment` is the payment as
    /// locked there (none yet for an authorization). A decline of an authorization, and a
    /// refused capture the saga asked for, are outcomes, not errors: the payment fails and
    /// `payment.failed` tells the saga. Any other refusal is an error and records nothing.
    pub async fn record(
        &self,
        tx: &mut AnyConnection,
        step: &Step,
        payment: Option<PaymentRecord>,
        answer: Result<String, ProviderError>,
    ) -> Result<PaymentRecord, StepError> {
        // The payment may have moved since the call was decided (a competing step whose
        // answer came first): the provider then refused this one, or the step applies still.
        let amount = Self::check(step, payment.as_ref());
        if let Some(payment) = payment {
            let amount = amount?;
            return match (step.kind, answer) {
                (StepKind::Capture, Ok(_)) => self.captured(tx, step, payment, amount).await,
                (StepKind::Void, Ok(_)) => self.voided(tx, step, payment).await,
                (StepKind::Refund, Ok(_)) => self.refunded(tx, step, payment, amount).await,
                (StepKind::Capture, Err(refusal)) if step.rpc.is_none() => {
                    self.capture_failed(tx, step, payment, refusal.to_string())
                        .await
                }
                (_, Err(refusal)) => Err(provider_error(refusal)),
                (StepKind::Authorize, Ok(_)) => Err(StepError::PaymentExists),
            };
        }
        amount?;
        self.authorized(tx, step, answer).await
    }

    /// The payment an authorization step makes if the provider authorizes it.
    pub fn expected(&self, step: &Step) -> PaymentRecord {
        let request = step.authorization.clone().unwrap_or_default();
        let now = now();
        PaymentRecord {
            id: step.payment_id,
            booking_id: step.booking_id.clone(),
            reservation: request.reservation.clone(),
            payer_id: foreign(&request.payer, "users/"),
            host_id: foreign(&request.host, "users/"),
            state: PaymentState::Authorized,
            currency_code: request.currency_code.clone(),
            amount: request.amount,
            platform_fee: request.platform_fee,
            captured_amount: 0,
            captured_fee: 0,
            refunded_amount: 0,
            refunded_fee: 0,
            payment_method_hint: payment_method_hint(&request.payment_method),
            provider: self.provider.name().to_owned(),
            provider_payment_id: String::new(),
            failure_code: String::new(),
            failure_message: String::new(),
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    }

    async fn authorized(
        &self,
        tx: &mut AnyConnection,
        step: &Step,
        answer: Result<String, ProviderError>,
    ) -> Result<PaymentRecord, StepError> {
        let mut payment = self.expected(step);
        let event = match answer {
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
            Err(ProviderError::Declined { code, message }) => failed(&mut payment, code, message),
            Err(ProviderError::Rejected(why)) => {
                failed(&mut payment, "provider_error".to_owned(), why)
            }
            Err(ProviderError::Unavailable(why)) => return Err(StepError::Transient(why)),
        };
        match store::insert_payment(tx, &payment).await {
            Ok(()) => {}
            // Another runner recorded the same answer first.
            Err(err) if is_unique_violation(&err) => return Err(StepError::Superseded),
            Err(err) => return Err(err.into()),
        }
        OUTBOX.append(tx, step.caused(event)).await?;
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

    /// Books the guest's charge: the platform's fee and the host's payable.
    async fn captured(
        &self,
        tx: &mut AnyConnection,
        step: &Step,
        mut payment: PaymentRecord,
        amount: i64,
    ) -> Result<PaymentRecord, StepError> {
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
        OUTBOX.append(tx, step.caused(event)).await?;
        tracing::info!(payment = %payment.id, amount, "captured");
        counted("capture", payment.state.key());
        Ok(payment)
    }

    /// The provider refused to capture (an expired authorization, say): the payment fails and
    /// `payment.failed` with code `capture_failed` tells the saga.
    async fn capture_failed(
        &self,
        tx: &mut AnyConnection,
        step: &Step,
        mut payment: PaymentRecord,
        why: String,
    ) -> Result<PaymentRecord, StepError> {
        payment.updated_at = now();
        let event = failed(&mut payment, "capture_failed".to_owned(), why);
        store::update_payment(tx, &mut payment).await?;
        OUTBOX.append(tx, step.caused(event)).await?;
        tracing::warn!(payment = %payment.id, "capture refused by the provider");
        counted("capture", payment.state.key());
        Ok(payment)
    }

    async fn voided(
        &self,
        tx: &mut AnyConnection,
        step: &Step,
        mut payment: PaymentRecord,
    ) -> Result<PaymentRecord, StepError> {
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
        OUTBOX.append(tx, step.caused(event)).await?;
        tracing::info!(payment = %payment.id, "voided");
        counted("void", payment.state.key());
        Ok(payment)
    }

    /// Takes the fee's share of the refund back from the platform's revenue.
    async fn refunded(
        &self,
        tx: &mut AnyConnection,
        step: &Step,
        mut payment: PaymentRecord,
        amount: i64,
    ) -> Result<PaymentRecord, StepError> {
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
        OUTBOX.append(tx, step.caused(event)).await?;
        tracing::info!(payment = %payment.id, amount, refunded, "refunded");
        counted("refund", payment.state.key());
        Ok(payment)
    }
}

fn failed(payment: &mut PaymentRecord, code: String, message: String) -> NewEvent {
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

/// The id of a resource name the step's request was checked to have.
fn foreign(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

/// Counts a step that is about to commit, by the state it leaves the payment in. (A step rolled
/// back after this, rarely, is counted again when retried.)
fn counted(step: &'static str, state: &'static str) {
    metrics::counter!("estospaces_payment_steps_total", "step" => step, "state" => state)
        .increment(1);
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
