//! Payments and payouts, in one SQL dialect that runs on PostgreSQL and SQLite.
//!
//! Writes take the caller's connection (`&mut AnyConnection`, inside a transaction), so a state
//! change commits together with its ledger entries, its events and, for the saga, the inbox
//! record of the event that caused it.

use std::time::{Duration, SystemTime};

use estospaces_proto::payment_v1 as pb;
use estospaces_storage::{Migrations, from_unix_micros, unix_micros};
use sqlx::{AnyConnection, AnyPool, Row};

use crate::domain::{PaymentId, PaymentState, PayoutId, booking_name, user_name};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

/// A stored payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: PaymentId,
    /// The id of what is paid for: the booking's, or the reservation's for a deposit.
    pub booking_id: String,
    /// The reservation's name (`projects/{project}/reservations/{reservation}`) for a
    /// deposit; empty for a booking's payment.
    pub reservation: String,
    pub payer_id: String,
    pub host_id: String,
    pub state: PaymentState,
    pub currency_code: String,
    pub amount: i64,
    pub platform_fee: i64,
    pub captured_amount: i64,
    pub captured_fee: i64,
    pub refunded_amount: i64,
    pub refunded_fee: i64,
    pub payment_method_hint: String,
    pub provider: String,
    pub provider_payment_id: String,
    pub failure_code: String,
    pub failure_message: String,
    pub revision: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl PaymentRecord {
    /// The booking's name; empty for a deposit (which names its reservation instead).
    pub fn booking(&self) -> String {
        if self.reservation.is_empty() {
            booking_name(&self.booking_id)
        } else {
            String::new()
        }
    }

    /// The payment as the API shows it.
    pub fn to_proto(&self) -> pb::Payment {
        pb::Payment {
            name: self.id.name(),
            booking: self.booking(),
            reservation: self.reservation.clone(),
            payer: user_name(&self.payer_id),
            host: user_name(&self.host_id),
            state: self.state.to_proto() as i32,
            currency_code: self.currency_code.clone(),
            amount: self.amount,
            platform_fee: self.platform_fee,
            captured_amount: self.captured_amount,
            refunded_amount: self.refunded_amount,
            payment_method_hint: self.payment_method_hint.clone(),
            provider: self.provider.clone(),
            provider_payment_id: self.provider_payment_id.clone(),
            failure_code: self.failure_code.clone(),
            failure_message: self.failure_message.clone(),
            create_time: Some(self.created_at.into()),
            update_time: Some(self.updated_at.into()),
        }
    }

    /// What every payment event repeats.
    pub fn facts(&self) -> pb::PaymentFacts {
        pb::PaymentFacts {
            payment: self.id.name(),
            booking: self.booking(),
            reservation: self.reservation.clone(),
            payer: user_name(&self.payer_id),
            amount: self.amount,
            currency_code: self.currency_code.clone(),
        }
    }

    /// Whether `user_id` may read the payment (as its payer or its host).
    pub fn concerns(&self, user_id: &str) -> bool {
        self.payer_id == user_id || self.host_id == user_id
    }
}

const PAYMENT_COLUMNS: &str = "id, booking_id, payer_id, host_id, state, currency_code, amount, \
     platform_fee, captured_amount, captured_fee, refunded_amount, refunded_fee, \
     payment_method_hint, provider, provider_payment_id, failure_code, failure_message, \
     revision, created_at, updated_at, reservation";

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt {what}").into())
}

fn decode_payment(row: &sqlx::any::AnyRow) -> Result<PaymentRecord, sqlx::Error> {
    let id: String = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    Ok(PaymentRecord {
        id: PaymentId::parse(&id).map_err(|_| corrupt("payment id"))?,
        booking_id: row.try_get("booking_id")?,
        reservation: row.try_get("reservation")?,
        payer_id: row.try_get("payer_id")?,
        host_id: row.try_get("host_id")?,
        state: PaymentState::from_key(&state).ok_or_else(|| corrupt("payment state"))?,
        currency_code: row.try_get("currency_code")?,
        amount: row.try_get("amount")?,
        platform_fee: row.try_get("platform_fee")?,
        captured_amount: row.try_get("captured_amount")?,
        captured_fee: row.try_get("captured_fee")?,
        refunded_amount: row.try_get("refunded_amount")?,
        refunded_fee: row.try_get("refunded_fee")?,
        payment_method_hint: row.try_get("payment_method_hint")?,
        provider: row.try_get("provider")?,
        provider_payment_id: row.try_get("provider_payment_id")?,
        failure_code: row.try_get("failure_code")?,
        failure_message: row.try_get("failure_message")?,
        revision: row.try_get("revision")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
    })
}

/// Inserts a new payment.
pub async fn insert_payment(
    tx: &mut AnyConnection,
    payment: &PaymentRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    ))
    .bind(payment.id.to_string())
    .bind(&payment.booking_id)
    .bind(&payment.payer_id)
    .bind(&payment.host_id)
    .bind(payment.state.key())
    .bind(&payment.currency_code)
    .bind(payment.amount)
    .bind(payment.platform_fee)
    .bind(payment.captured_amount)
    .bind(payment.captured_fee)
    .bind(payment.refunded_amount)
    .bind(payment.refunded_fee)
    .bind(&payment.payment_method_hint)
    .bind(&payment.provider)
    .bind(&payment.provider_payment_id)
    .bind(&payment.failure_code)
    .bind(&payment.failure_message)
    .bind(payment.revision)
    .bind(unix_micros(payment.created_at))
    .bind(unix_micros(payment.updated_at))
    .bind(&payment.reservation)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes the changing columns of `payment` (whose row the caller locked) and bumps its
/// revision.
pub async fn update_payment(
    tx: &mut AnyConnection,
    payment: &mut PaymentRecord,
) -> Result<(), sqlx::Error> {
    payment.revision += 1;
    sqlx::query(
        "UPDATE payments SET state = $1, captured_amount = $2, captured_fee = $3, \
         refunded_amount = $4, refunded_fee = $5, provider_payment_id = $6, failure_code = $7, \
         failure_message = $8, revision = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(payment.state.key())
    .bind(payment.captured_amount)
    .bind(payment.captured_fee)
    .bind(payment.refunded_amount)
    .bind(payment.refunded_fee)
    .bind(&payment.provider_payment_id)
    .bind(&payment.failure_code)
    .bind(&payment.failure_message)
    .bind(payment.revision)
    .bind(unix_micros(payment.updated_at))
    .bind(payment.id.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Locks the payment whose `column` is `value` for the rest of `tx` and reads it, in one
/// statement.
///
/// The lock is a write that changes nothing: on PostgreSQL it takes the row lock (like
/// `SELECT ... FOR UPDATE`, which SQLite lacks), on SQLite the database's write lock. Either
/// way a competing step on the payment waits until this transaction ends, then reads what it
/// committed.
async fn lock_by(
    tx: &mut AnyConnection,
    column: &str,
    value: &str,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "UPDATE payments SET revision = revision WHERE {column} = $1 RETURNING {PAYMENT_COLUMNS}"
    ))
    .bind(value)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(decode_payment).transpose()
}

/// Locks and reads the payment `id`.
pub async fn lock_payment(
    tx: &mut AnyConnection,
    id: PaymentId,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    lock_by(tx, "id", &id.to_string()).await
}

/// Locks and reads the payment of `booking_id`.
pub async fn lock_payment_of_booking(
    tx: &mut AnyConnection,
    booking_id: &str,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    lock_by(tx, "booking_id", booking_id).await
}

/// The payment of `booking_id`, if any.
pub async fn find_payment_of_booking(
    db: &AnyPool,
    booking_id: &str,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE booking_id = $1"
    ))
    .bind(booking_id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(decode_payment).transpose()
}

/// The payment `id`, if any.
pub async fn find_payment(
    db: &AnyPool,
    id: PaymentId,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(decode_payment).transpose()
}

/// What payments to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    /// Only the payment for this id: a booking's, or a reservation's with `reservation`.
    pub booking_id: Option<String>,
    /// Only the deposit of this reservation (its name; `booking_id` its id).
    pub reservation: Option<String>,
    /// Only payments this user pays or is paid by.
    pub party_id: Option<String>,
    /// Only payments older (smaller id) than this one: the page token.
    pub before_id: Option<String>,
    pub limit: i64,
}

/// A page of payments.
pub async fn list_payments(
    db: &AnyPool,
    filter: &PaymentFilter,
) -> Result<Vec<PaymentRecord>, sqlx::Error> {
    let mut sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(booking) = &filter.booking_id {
        binds.push(booking.clone());
        sql.push_str(&format!(" AND booking_id = ${}", binds.len()));
    }
    match &filter.reservation {
        Some(reservation) => {
            binds.push(reservation.clone());
            sql.push_str(&format!(" AND reservation = ${}", binds.len()));
        }
        // A booking's payment, never a deposit.
        None if filter.booking_id.is_some() => sql.push_str(" AND reservation = ''"),
        None => {}
    }
    if let Some(party) = &filter.party_id {
        binds.push(party.clone());
        let n = binds.len();
        sql.push_str(&format!(" AND (payer_id = ${n} OR host_id = ${n})"));
    }
    if let Some(before) = &filter.before_id {
        binds.push(before.clone());
        sql.push_str(&format!(" AND id < ${}", binds.len()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", filter.limit));
    let mut query = sqlx::query(&sql);
    for value in &binds {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter().map(decode_payment).collect()
}

// === Payouts ===

/// Where a payout is in its life, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutState {
    Scheduled,
    Paid,
    Cancelled,
}

impl PayoutState {
    pub fn key(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "scheduled" => Self::Scheduled,
            "paid" => Self::Paid,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    fn to_proto(self) -> pb::payout::State {
        match self {
            Self::Scheduled => pb::payout::State::Scheduled,
            Self::Paid => pb::payout::State::Paid,
            Self::Cancelled => pb::payout::State::Cancelled,
        }
    }
}

/// A stored payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRecord {
    pub id: PayoutId,
    pub payment_id: PaymentId,
    pub booking_id: String,
    pub host_id: String,
    pub currency_code: String,
    pub state: PayoutState,
    pub amount: i64,
    pub scheduled_at: SystemTime,
    pub completed_at: Option<SystemTime>,
}

impl PayoutRecord {
    pub fn to_proto(&self) -> pb::Payout {
        pb::Payout {
            name: self.id.name(),
            host: user_name(&self.host_id),
            payment: self.payment_id.name(),
            booking: booking_name(&self.booking_id),
            state: self.state.to_proto() as i32,
            currency_code: self.currency_code.clone(),
            amount: self.amount,
            scheduled_time: Some(self.scheduled_at.into()),
            complete_time: self.completed_at.map(Into::into),
        }
    }
}

const PAYOUT_COLUMNS: &str = "id, payment_id, booking_id, host_id, currency_code, state, amount, \
     scheduled_at, completed_at";

fn decode_payout(row: &sqlx::any::AnyRow) -> Result<PayoutRecord, sqlx::Error> {
    let id: String = row.try_get("id")?;
    let payment_id: String = row.try_get("payment_id")?;
    let state: String = row.try_get("state")?;
    let completed_at: Option<i64> = row.try_get("completed_at")?;
    Ok(PayoutRecord {
        id: PayoutId::parse(&id).map_err(|_| corrupt("payout id"))?,
        payment_id: PaymentId::parse(&payment_id).map_err(|_| corrupt("payment id"))?,
        booking_id: row.try_get("booking_id")?,
        host_id: row.try_get("host_id")?,
        currency_code: row.try_get("currency_code")?,
        state: PayoutState::from_key(&state).ok_or_else(|| corrupt("payout state"))?,
        amount: row.try_get("amount")?,
        scheduled_at: from_unix_micros(row.try_get("scheduled_at")?),
        completed_at: completed_at.map(from_unix_micros),
    })
}

/// Schedules the payout of `payment` `delay` from `now`, unless it has one already.
pub async fn schedule_payout(
    tx: &mut AnyConnection,
    payment: &PaymentRecord,
    now: SystemTime,
    delay: Duration,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO payouts ({PAYOUT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, NULL) \
         ON CONFLICT (payment_id) DO NOTHING"
    ))
    .bind(PayoutId::new().to_string())
    .bind(payment.id.to_string())
    .bind(&payment.booking_id)
    .bind(&payment.host_id)
    .bind(&payment.currency_code)
    .bind(PayoutState::Scheduled.key())
    .bind(unix_micros(now + delay))
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The ids of up to `limit` scheduled payouts due at `now`, oldest due first.
pub async fn due_payouts(
    db: &AnyPool,
    now: SystemTime,
    limit: i64,
) -> Result<Vec<PayoutId>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT id FROM payouts WHERE state = 'scheduled' AND scheduled_at <= $1 \
         ORDER BY scheduled_at LIMIT {limit}"
    ))
    .bind(unix_micros(now))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            PayoutId::parse(&id).map_err(|_| corrupt("payout id"))
        })
        .collect()
}

/// Marks the scheduled payout `id` completed (paid or cancelled) with `amount`; false when it
/// was not scheduled any more (another worker got it first).
pub async fn complete_payout(
    tx: &mut AnyConnection,
    id: PayoutId,
    state: PayoutState,
    amount: i64,
    now: SystemTime,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE payouts SET state = $1, amount = $2, completed_at = $3 \
         WHERE id = $4 AND state = 'scheduled'",
    )
    .bind(state.key())
    .bind(amount)
    .bind(unix_micros(now))
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The payout `id`, read in `tx`.
pub async fn payout_in(
    tx: &mut AnyConnection,
    id: PayoutId,
) -> Result<Option<PayoutRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(decode_payout).transpose()
}

/// A page of payouts, newest first, of `host_id` or of everyone.
pub async fn list_payouts(
    db: &AnyPool,
    host_id: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<PayoutRecord>, sqlx::Error> {
    let mut sql = format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE 1 = 1");
    let mut binds: Vec<&str> = Vec::new();
    if let Some(host) = host_id {
        binds.push(host);
        sql.push_str(&format!(" AND host_id = ${}", binds.len()));
    }
    if let Some(before) = before_id {
        binds.push(before);
        sql.push_str(&format!(" AND id < ${}", binds.len()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let mut query = sqlx::query(&sql);
    for value in binds {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter().map(decode_payout).collect()
}
