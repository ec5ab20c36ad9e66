//! `estospaces.payment.v1.PaymentService`.

use std::time::{Duration, SystemTime};

use estospaces_auth::{Caller, Role, policy};
use estospaces_proto::payment_v1 as pb;
use estospaces_proto::payment_v1::payment_service_server::PaymentService;
use estospaces_status::{ApiError, violation};
use estospaces_storage::Database;
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::domain::{NewPayment, PaidFor, PaymentId, foreign_id, reservation_id};
use crate::idempotency::{self, Claim};
use crate::ledger::{self, EntryFilter};
use crate::payments::StepError;
use crate::steps::{self, Step, StepKind, Steps};
use crate::store::{self, PaymentFilter, PaymentRecord};

/// The gRPC handlers, holding what they share.
#[derive(Debug, Clone)]
pub struct PaymentHandlers {
    db: Database,
    steps: Steps,
    key_ttl: Duration,
}

/// How a mutating call's idempotency key was found.
enum Begun<R> {
    /// New: the call's transaction, holding the claim.
    New(Tx),
    /// Used before for the same request: its reply.
    Replay(Response<R>),
    /// Used by a call that recorded its step but not its result (cut off, or still running).
    Pending,
}

/// What a mutating call asks the provider for.
enum Asked<'a> {
    Authorize(&'a NewPayment, pb::AuthorizePaymentRequest),
    On {
        id: PaymentId,
        name: &'a str,
        kind: StepKind,
        amount: Option<i64>,
    },
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl PaymentHandlers {
    pub fn new(db: Database, steps: Steps, key_ttl: Duration) -> Self {
        Self { db, steps, key_ttl }
    }

    /// Opens the transaction of a mutating call and claims its idempotency key in it.
    async fn begin<R: Message + Default>(
        &self,
        caller: &Caller,
        key: &str,
        fingerprint: &str,
    ) -> Result<Begun<R>, Status> {
        let mut tx = self.db.begin().await.map_err(database)?;
        match idempotency::claim(&mut tx, &caller.user_id, key, fingerprint, self.key_ttl)
            .await
            .map_err(database)?
        {
            Claim::New => Ok(Begun::New(tx)),
            Claim::Replay(stored) => {
                let _ = tx.rollback().await;
                stored.replay().map(Begun::Replay)
            }
            Claim::Pending => Ok(Begun::Pending),
            Claim::Mismatch => Err(ApiError::failed_precondition(
                DOMAIN,
                "IDEMPOTENCY_KEY_REUSED",
                "this idempotency key was used with other parameters; use a new key",
            )
            .with_field_violations(vec![violation(
                "idempotency_key",
                "already used for another request",
            )])
            .into()),
        }
    }

    /// The kept reply of a call whose step another runner finished.
    async fn replay<R: Message + Default>(
        &self,
        caller: &Caller,
        key: &str,
        fingerprint: &str,
    ) -> Result<Response<R>, Status> {
        match self.begin::<R>(caller, key, fingerprint).await? {
            Begun::Replay(reply) => Ok(reply),
            _ => Err(ApiError::aborted(
                DOMAIN,
                "IDEMPOTENCY_KEY_IN_USE",
                "a call with this idempotency key is in progress; retry it",
            )
            .into()),
        }
    }

    /// A mutating call: claims its key and records its step in one transaction (or finds the
    /// step of a call with the same key that was cut off), then runs the step outside any
    /// transaction (see [`crate::steps`]). The step's outcome is kept under the key.
    async fn step_call<R: Message + Default>(
        &self,
        caller: &Caller,
        key: &str,
        fingerprint: &str,
        asked: Asked<'_>,
        respond: impl FnOnce(pb::Payment) -> R,
    ) -> Result<Response<R>, Status> {
        let step = match self.begin::<R>(caller, key, fingerprint).await? {
            Begun::Replay(reply) => return Ok(reply),
            Begun::Pending => {
                match steps::find_for_rpc(self.db.pool(), &caller.user_id, key)
                    .await
                    .map_err(database)?
                {
                    Some(step) => step,
                    None => return self.replay(caller, key, fingerprint).await,
                }
            }
            Begun::New(mut tx) => {
                let provider_key = provider_key(caller, key);
                let step = match asked {
                    Asked::Authorize(new, request) => {
                        Step::authorize(&new.booking_id, request, provider_key)
                    }
                    Asked::On {
                        id,
                        name,
                        kind,
                        amount,
                    } => {
                        let found = store::lock_payment(&mut tx, id).await.map_err(database)?;
                        let Some(payment) = found else {
                            let missing = Err::<R, _>(ApiError::not_found(DOMAIN, name));
                            return Self::finish(tx, caller, key, missing).await;
                        };
                        Step::on(&payment, kind, amount, provider_key)
                    }
                }
                .for_rpc(&caller.user_id, key);
                let run_after = SystemTime::now() + steps::RPC_GRACE;
                if !steps::enqueue(&mut tx, &step, run_after)
                    .await
                    .map_err(database)?
                {
                    // Only an authorization collides: with another one of the booking.
                    let exists = Err::<R, _>(step_error(StepError::PaymentExists));
                    return Self::finish(tx, caller, key, exists).await;
                }
                tx.commit().await.map_err(database)?;
                step
            }
        };
        match self.steps.run(&step).await {
            Ok(payment) => Ok(Response::new(respond(payment.to_proto()))),
            Err(StepError::Superseded) => self.replay(caller, key, fingerprint).await,
            Err(err) => Err(step_error(err).into()),
        }
    }

    /// Ends a mutating call: keeps a final result under its key and commits, or rolls back
    /// after a transient failure so the call may be retried with the same key.
    async fn finish<R: Message>(
        mut tx: Tx,
        caller: &Caller,
        key: &str,
        result: Result<R, ApiError>,
    ) -> Result<Response<R>, Status> {
        let result = result.map_err(Status::from);
        if let Err(status) = &result
            && !idempotency::is_final(status)
        {
            let _ = tx.rollback().await;
            return Err(status.clone());
        }
        let stored = result
            .as_ref()
            .map(Message::encode_to_vec)
            .map_err(Clone::clone);
        idempotency::save(&mut tx, &caller.user_id, key, &stored)
            .await
            .map_err(database)?;
        tx.commit().await.map_err(database)?;
        result.map(Response::new)
    }
}

/// The idempotency key of the provider call of an RPC: one per caller and key, hashed to stay
/// within the provider's length limit.
fn provider_key(caller: &Caller, key: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{key}", caller.user_id));
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("rpc:{hex}")
}

fn admin<T>(request: &Request<T>) -> Result<Caller, ApiError> {
    policy::role(request, Role::Admin).cloned()
}

fn invalid(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn database(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        Err(invalid("idempotency_key", "required"))
    } else if key.len() > idempotency::MAX_KEY_LENGTH {
        Err(invalid("idempotency_key", "at most 255 characters"))
    } else {
        Ok(())
    }
}

fn parse_payment(field: &str, name: &str) -> Result<PaymentId, ApiError> {
    PaymentId::from_name(name).map_err(|why| invalid(field, why))
}

/// An optional amount: 0 means "all", negative is invalid.
fn optional_amount(amount: i64) -> Result<Option<i64>, ApiError> {
    match amount {
        0 => Ok(None),
        amount if amount > 0 => Ok(Some(amount)),
        _ => Err(invalid("amount", "must not be negative")),
    }
}

/// The page size asked for: 50 by default, at most 100.
fn page_size(size: i32) -> Result<i64, ApiError> {
    match size {
        0 => Ok(50),
        size if size < 0 => Err(invalid("page_size", "must not be negative")),
        size => Ok(i64::from(size.min(100))),
    }
}

pub(crate) fn step_error(err: StepError) -> ApiError {
    match err {
        StepError::PaymentExists => ApiError::already_exists(
            DOMAIN,
            "PAYMENT_EXISTS",
            "the booking (or reservation) already has a payment",
        ),
        StepError::WrongState { reason, message }
        | StepError::AmountTooLarge { reason, message } => {
            ApiError::failed_precondition(DOMAIN, reason, message)
        }
        StepError::Rejected(why) => ApiError::failed_precondition(
            DOMAIN,
            "PROVIDER_REJECTED",
            format!("the payment provider refused: {why}"),
        ),
        StepError::Ledger(ledger::LedgerError::Unbalanced { .. }) => {
            ApiError::internal(DOMAIN, err)
        }
        StepError::Database(err) | StepError::Ledger(ledger::LedgerError::Database(err)) => {
            database(err)
        }
        // The provider is down or a competing write came first: the caller may retry.
        StepError::Transient(_) | StepError::Superseded => ApiError::unavailable(DOMAIN, err),
    }
}

#[tonic::async_trait]
impl PaymentService for PaymentHandlers {
    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::GetPaymentResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let name = &request.get_ref().name;
        let id = parse_payment("name", name)?;
        let payment = store::find_payment(self.db.pool(), id)
            .await
            .map_err(database)?;
        // Strangers learn nothing, not even whether the payment exists.
        let payment = match payment {
            Some(payment) if payment.concerns(&caller.user_id) || caller.is_admin() => payment,
            None if caller.is_admin() => return Err(ApiError::not_found(DOMAIN, name).into()),
            _ => return Err(ApiError::permission_denied(DOMAIN, "payer_or_host").into()),
        };
        Ok(Response::new(pb::GetPaymentResponse {
            payment: Some(payment.to_proto()),
        }))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let booking_id = if message.booking.is_empty() {
            None
        } else {
            Some(foreign_id("bookings", &message.booking).map_err(|why| invalid("booking", why))?)
        };
        let reserved_id = if message.reservation.is_empty() {
            None
        } else {
            Some(reservation_id(&message.reservation).map_err(|why| invalid("reservation", why))?)
        };
        if booking_id.is_some() && reserved_id.is_some() {
            return Err(invalid("reservation", "at most one of booking and reservation").into());
        }
        let before_id = if message.page_token.is_empty() {
            None
        } else {
            let id = PaymentId::parse(&message.page_token)
                .map_err(|_| invalid("page_token", "not a token this method returned"))?;
            Some(id.to_string())
        };
        let filter = PaymentFilter {
            reservation: reserved_id.is_some().then(|| message.reservation.clone()),
            booking_id: booking_id.or(reserved_id),
            party_id: (!caller.is_admin()).then(|| caller.user_id.clone()),
            before_id,
            limit: limit + 1,
        };
        let mut payments = store::list_payments(self.db.pool(), &filter)
            .await
            .map_err(database)?;
        let next_page_token = next_token(&mut payments, limit, |payment| payment.id.to_string());
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: payments.iter().map(PaymentRecord::to_proto).collect(),
            next_page_token,
        }))
    }

    async fn authorize_payment(
        &self,
        request: Request<pb::AuthorizePaymentRequest>,
    ) -> Result<Response<pb::AuthorizePaymentResponse>, Status> {
        let caller = admin(&request)?;
        let message = request.into_inner();
        // Exactly one of booking and reservation names what is paid for.
        let (paid_for, both) = match (message.booking.is_empty(), message.reservation.is_empty()) {
            (true, false) => (PaidFor::Reservation(&message.reservation), false),
            (false, false) => (PaidFor::Booking(&message.booking), true),
            _ => (PaidFor::Booking(&message.booking), false),
        };
        let parsed = NewPayment::parse(
            "",
            paid_for,
            &message.payer,
            &message.host,
            message.amount,
            &message.currency_code,
            message.platform_fee,
        );
        let mut violations = parsed.as_ref().err().cloned().unwrap_or_default();
        if both {
            violations.push(violation(
                "reservation",
                "exactly one of booking and reservation, not both",
            ));
        }
        if message.payment_method.is_empty() || message.payment_method.len() > 255 {
            violations.push(violation(
                "payment_method",
                "required, at most 255 characters",
            ));
        }
        if let Err(err) = check_key(&message.idempotency_key) {
            violations.push(violation("idempotency_key", err.to_string()));
        }
        let new = match parsed {
            Ok(new) if violations.is_empty() => new,
            _ => return Err(ApiError::invalid_argument(DOMAIN, violations).into()),
        };
        let key = &message.idempotency_key;
        let fingerprint = idempotency::fingerprint("AuthorizePayment", &message);
        let asked = Asked::Authorize(&new, message.clone());
        self.step_call(&caller, key, &fingerprint, asked, |payment| {
            pb::AuthorizePaymentResponse {
                payment: Some(payment),
            }
        })
        .await
    }

    async fn capture_payment(
        &self,
        request: Request<pb::CapturePaymentRequest>,
    ) -> Result<Response<pb::CapturePaymentResponse>, Status> {
        let caller = admin(&request)?;
        let message = request.into_inner();
        let id = parse_payment("name", &message.name)?;
        let amount = optional_amount(message.amount)?;
        check_key(&message.idempotency_key)?;
        let key = &message.idempotency_key;
        let fingerprint = idempotency::fingerprint("CapturePayment", &message);
        let asked = Asked::On {
            id,
            name: &message.name,
            kind: StepKind::Capture,
            amount,
        };
        self.step_call(&caller, key, &fingerprint, asked, |payment| {
            pb::CapturePaymentResponse {
                payment: Some(payment),
            }
        })
        .await
    }

    async fn void_payment(
        &self,
        request: Request<pb::VoidPaymentRequest>,
    ) -> Result<Response<pb::VoidPaymentResponse>, Status> {
        let caller = admin(&request)?;
        let message = request.into_inner();
        let id = parse_payment("name", &message.name)?;
        check_key(&message.idempotency_key)?;
        let key = &message.idempotency_key;
        let fingerprint = idempotency::fingerprint("VoidPayment", &message);
        let asked = Asked::On {
            id,
            name: &message.name,
            kind: StepKind::Void,
            amount: None,
        };
        self.step_call(&caller, key, &fingerprint, asked, |payment| {
            pb::VoidPaymentResponse {
                payment: Some(payment),
            }
        })
        .await
    }

    async fn refund_payment(
        &self,
        request: Request<pb::RefundPaymentRequest>,
    ) -> Result<Response<pb::RefundPaymentResponse>, Status> {
        let caller = admin(&request)?;
        let message = request.into_inner();
        let id = parse_payment("name", &message.name)?;
        let amount = optional_amount(message.amount)?;
        if message.reason.chars().count() > 500 {
            return Err(invalid("reason", "at most 500 characters").into());
        }
        check_key(&message.idempotency_key)?;
        let key = &message.idempotency_key;
        let fingerprint = idempotency::fingerprint("RefundPayment", &message);
        let asked = Asked::On {
            id,
            name: &message.name,
            kind: StepKind::Refund,
            amount,
        };
        let result = self
            .step_call(&caller, key, &fingerprint, asked, |payment| {
                pb::RefundPaymentResponse {
                    payment: Some(payment),
                }
            })
            .await;
        if result.is_ok() {
            tracing::info!(payment = %id, admin = %caller.user_id, reason = %message.reason, "refund by an admin");
        }
        result
    }

    async fn list_ledger_entries(
        &self,
        request: Request<pb::ListLedgerEntriesRequest>,
    ) -> Result<Response<pb::ListLedgerEntriesResponse>, Status> {
        admin(&request)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let account = if message.account.is_empty() {
            None
        } else if ledger::is_account(&message.account) {
            Some(message.account.clone())
        } else {
            return Err(invalid("account", "not an account of the ledger").into());
        };
        let payment_id = if message.payment.is_empty() {
            None
        } else {
            Some(parse_payment("payment", &message.payment)?.to_string())
        };
        let after = if message.page_token.is_empty() {
            None
        } else {
            Some(parse_entry_token(&message.page_token)?)
        };
        let filter = EntryFilter {
            account,
            payment_id,
            after,
            limit: limit + 1,
        };
        let mut entries = ledger::entries(self.db.pool(), &filter)
            .await
            .map_err(database)?;
        let next_page_token = next_token(&mut entries, limit, |entry| {
            format!("{}/{}", entry.transaction_id, entry.entry_index)
        });
        Ok(Response::new(pb::ListLedgerEntriesResponse {
            entries: entries
                .into_iter()
                .map(|entry| {
                    let payment = PaymentId::parse(&entry.payment_id)
                        .map(|id| id.name())
                        .unwrap_or_default();
                    pb::LedgerEntry {
                        transaction_id: entry.transaction_id,
                        kind: entry.kind,
                        account: entry.account,
                        currency_code: entry.currency_code,
                        amount: entry.amount,
                        payment,
                        create_time: Some(entry.created_at.into()),
                    }
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn get_ledger_balance(
        &self,
        request: Request<pb::GetLedgerBalanceRequest>,
    ) -> Result<Response<pb::GetLedgerBalanceResponse>, Status> {
        admin(&request)?;
        let account = &request.get_ref().account;
        if !ledger::is_account(account) {
            return Err(invalid("account", "not an account of the ledger").into());
        }
        let balances = ledger::balances(self.db.pool(), account)
            .await
            .map_err(database)?;
        Ok(Response::new(pb::GetLedgerBalanceResponse {
            balances: balances
                .into_iter()
                .map(|(currency_code, balance)| pb::LedgerBalance {
                    account: account.clone(),
                    currency_code,
                    balance,
                })
                .collect(),
        }))
    }

    async fn list_payouts(
        &self,
        request: Request<pb::ListPayoutsRequest>,
    ) -> Result<Response<pb::ListPayoutsResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let host = if message.host.is_empty() {
            None
        } else {
            Some(foreign_id("users", &message.host).map_err(|why| invalid("host", why))?)
        };
        let host = match host {
            Some(host) if host == caller.user_id || caller.is_admin() => Some(host),
            Some(_) => return Err(ApiError::permission_denied(DOMAIN, "host").into()),
            None if caller.is_admin() => None,
            None => Some(caller.user_id.clone()),
        };
        let before = if message.page_token.is_empty() {
            None
        } else {
            let id = crate::domain::PayoutId::parse(&message.page_token)
                .map_err(|_| invalid("page_token", "not a token this method returned"))?;
            Some(id.to_string())
        };
        let mut payouts = store::list_payouts(
            self.db.pool(),
            host.as_deref(),
            before.as_deref(),
            limit + 1,
        )
        .await
        .map_err(database)?;
        let next_page_token = next_token(&mut payouts, limit, |payout| payout.id.to_string());
        Ok(Response::new(pb::ListPayoutsResponse {
            payouts: payouts.iter().map(store::PayoutRecord::to_proto).collect(),
            next_page_token,
        }))
    }
}

/// Cuts a page fetched with one extra row to `limit` rows; the token of the next page, or
/// empty on the last.
fn next_token<T>(rows: &mut Vec<T>, limit: i64, token: impl Fn(&T) -> String) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(token).unwrap_or_default()
    } else {
        String::new()
    }
}

fn parse_entry_token(token: &str) -> Result<(String, i32), ApiError> {
    token
        .split_once('/')
        .and_then(|(transaction, index)| {
            let transaction = uuid::Uuid::parse_str(transaction).ok()?;
            Some((transaction.to_string(), index.parse().ok()?))
        })
        .ok_or_else(|| invalid("page_token", "not a token this method returned"))
}
