//! The double-entry ledger.
//!
//! Accounts, with positive amounts debits and negative amounts credits:
//! - `provider_clearing`: money held for the platform at the payment provider (an asset);
//! - `platform_revenue`: the platform's fees (income);
//! - `host_payable:{user}`: what the platform owes a host (a liability).
//!
//! The transactions:
//! - capture of `A` with fee `F`: debit `provider_clearing` A, credit `platform_revenue` F and
//!   `host_payable:{host}` A − F (the guest's charge splits into fee and host payable);
//! - refund of `R`: the reverse, with the fee's share of the refund in proportion to what was
//!   captured (cumulative shares rounded down, so a full refund returns exactly the fee);
//! - payout of `P`: debit `host_payable:{host}` P, credit `provider_clearing` P.
//!
//! [`Transaction::new`] refuses a transaction whose entries do not sum to zero in each
//! currency, and [`book`] writes it in the caller's database transaction, with the state change
//! it accounts for.

use std::collections::BTreeMap;
use std::time::SystemTime;

use estospaces_storage::{from_unix_micros, unix_micros};
use sqlx::{AnyConnection, Row};

use crate::domain::PaymentId;

pub const PROVIDER_CLEARING: &str = "provider_clearing";
pub const PLATFORM_REVENUE: &str = "platform_revenue";

/// The account of what is owed to `host_id`.
pub fn host_payable(host_id: &str) -> String {
    format!("host_payable:{host_id}")
}

/// Whether `account` names an account of the ledger.
pub fn is_account(account: &str) -> bool {
    account == PROVIDER_CLEARING
        || account == PLATFORM_REVENUE
        || account
            .strip_prefix("host_payable:")
            .is_some_and(|host| !host.is_empty() && !host.contains('/'))
}

/// Why a transaction cannot be booked.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the entries of a {kind} transaction do not balance in {currency}")]
    Unbalanced {
        kind: &'static str,
        currency: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One line: `amount` to `account`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    pub currency_code: String,
    pub amount: i64,
}

/// A balanced set of postings about one payment.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: uuid::Uuid,
    pub kind: &'static str,
    pub payment_id: PaymentId,
    pub postings: Vec<Posting>,
}

impl Transaction {
    /// A transaction of `postings` (zero amounts dropped); refused unless they sum to zero in
    /// each currency.
    pub fn new(
        kind: &'static str,
        payment_id: PaymentId,
        postings: Vec<Posting>,
    ) -> Result<Self, LedgerError> {
        let postings: Vec<Posting> = postings.into_iter().filter(|p| p.amount != 0).collect();
        let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
        for posting in &postings {
            *sums.entry(&posting.currency_code).or_default() += i128::from(posting.amount);
        }
        if let Some((currency, _)) = sums.iter().find(|(_, sum)| **sum != 0) {
            return Err(LedgerError::Unbalanced {
                kind,
                currency: (*currency).to_owned(),
            });
        }
        Ok(Self {
            id: uuid::Uuid::now_v7(),
            kind,
            payment_id,
            postings,
        })
    }

    /// A capture of `amount`, of which `fee` is the platform's.
    pub fn capture(
        payment_id: PaymentId,
        currency: &str,
        host_id: &str,
        amount: i64,
        fee: i64,
    ) -> Result<Self, LedgerError> {
        Self::new(
            "capture",
            payment_id,
            vec![
                posting(PROVIDER_CLEARING, currency, amount),
                posting(PLATFORM_REVENUE, currency, -fee),
                posting(&host_payable(host_id), currency, fee - amount),
            ],
        )
    }

    /// A refund of `amount`, of which `fee` comes back from the platform's revenue.
    pub fn refund(
        payment_id: PaymentId,
        currency: &str,
        host_id: &str,
        amount: i64,
        fee: i64,
    ) -> Result<Self, LedgerError> {
        Self::new(
            "refund",
            payment_id,
            vec![
                posting(PROVIDER_CLEARING, currency, -amount),
                posting(PLATFORM_REVENUE, currency, fee),
                posting(&host_payable(host_id), currency, amount - fee),
            ],
        )
    }

    /// A payout of `amount` to `host_id`.
    pub fn payout(
        payment_id: PaymentId,
        currency: &str,
        host_id: &str,
        amount: i64,
    ) -> Result<Self, LedgerError> {
        Self::new(
            "payout",
            payment_id,
            vec![
                posting(&host_payable(host_id), currency, amount),
                posting(PROVIDER_CLEARING, currency, -amount),
            ],
        )
    }
}

fn posting(account: &str, currency: &str, amount: i64) -> Posting {
    Posting {
        account: account.to_owned(),
        currency_code: currency.to_owned(),
        amount,
    }
}

/// Writes `transaction` in `tx`.
pub async fn book(
    tx: &mut AnyConnection,
    transaction: &Transaction,
    now: SystemTime,
) -> Result<(), LedgerError> {
    for (index, posting) in transaction.postings.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ledger_entries (transaction_id, entry_index, kind, account, \
             currency_code, amount, payment_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(transaction.id.to_string())
        .bind(i32::try_from(index).unwrap_or(i32::MAX))
        .bind(transaction.kind)
        .bind(&posting.account)
        .bind(&posting.currency_code)
        .bind(posting.amount)
        .bind(transaction.payment_id.to_string())
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A stored entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub transaction_id: String,
    pub entry_index: i32,
    pub kind: String,
    pub account: String,
    pub currency_code: String,
    pub amount: i64,
    pub payment_id: String,
    pub created_at: SystemTime,
}

/// What entries to list: newest transaction first, after the `(transaction, index)` cursor.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub account: Option<String>,
    pub payment_id: Option<String>,
    pub after: Option<(String, i32)>,
    pub limit: i64,
}

/// A page of entries.
pub async fn entries(db: &sqlx::AnyPool, filter: &EntryFilter) -> Result<Vec<Entry>, sqlx::Error> {
    let mut sql = "SELECT transaction_id, entry_index, kind, account, currency_code, amount, \
                   payment_id, created_at FROM ledger_entries WHERE 1 = 1"
        .to_owned();
    let mut binds: Vec<String> = Vec::new();
    if let Some(account) = &filter.account {
        binds.push(account.clone());
        sql.push_str(&format!(" AND account = ${}", binds.len()));
    }
    if let Some(payment) = &filter.payment_id {
        binds.push(payment.clone());
        sql.push_str(&format!(" AND payment_id = ${}", binds.len()));
    }
    let mut after_index = None;
    if let Some((transaction, index)) = &filter.after {
        binds.push(transaction.clone());
        let t = binds.len();
        sql.push_str(&format!(
            " AND (transaction_id < ${t} OR (transaction_id = ${t} AND entry_index > ${}))",
            t + 1
        ));
        after_index = Some(*index);
    }
    sql.push_str(&format!(
        " ORDER BY transaction_id DESC, entry_index ASC LIMIT {}",
        filter.limit
    ));
    let mut query = sqlx::query(&sql);
    for value in &binds {
        query = query.bind(value);
    }
    if let Some(index) = after_index {
        query = query.bind(index);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(Entry {
                transaction_id: row.try_get("transaction_id")?,
                entry_index: row.try_get("entry_index")?,
                kind: row.try_get("kind")?,
                account: row.try_get("account")?,
                currency_code: row.try_get("currency_code")?,
                amount: row.try_get("amount")?,
                payment_id: row.try_get("payment_id")?,
                created_at: from_unix_micros(row.try_get("created_at")?),
            })
        })
        .collect()
}

/// `account`'s balance per currency, by currency code.
pub async fn balances(
    db: &sqlx::AnyPool,
    account: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    // The cast: PostgreSQL sums BIGINTs into NUMERIC, which the Any driver does not decode.
    let rows = sqlx::query(
        "SELECT currency_code, CAST(SUM(amount) AS BIGINT) AS balance FROM ledger_entries \
         WHERE account = $1 GROUP BY currency_code ORDER BY currency_code",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("currency_code")?, row.try_get("balance")?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(transaction: &Transaction) -> i64 {
        transaction.postings.iter().map(|p| p.amount).sum()
    }

    #[test]
    fn every_standard_transaction_balances() {
        let payment = PaymentId::new();
        let capture = Transaction::capture(payment, "EUR", "h", 10_000, 1_500).expect("balanced");
        let refund = Transaction::refund(payment, "EUR", "h", 4_000, 600).expect("balanced");
        let payout = Transaction::payout(payment, "EUR", "h", 5_100).expect("balanced");
        for transaction in [&capture, &refund, &payout] {
            assert_eq!(sum(transaction), 0, "{}", transaction.kind);
        }
        assert_eq!(capture.postings.len(), 3);
    }

    #[test]
    fn an_unbalanced_transaction_is_refused_and_zero_lines_are_dropped() {
        let payment = PaymentId::new();
        let unbalanced = Transaction::new(
            "capture",
            payment,
            vec![
                posting(PROVIDER_CLEARING, "EUR", 10),
                posting(PLATFORM_REVENUE, "EUR", -9),
            ],
        );
        assert!(matches!(unbalanced, Err(LedgerError::Unbalanced { .. })));
        let mixed = Transaction::new(
            "capture",
            payment,
            vec![
                posting(PROVIDER_CLEARING, "EUR", 10),
                posting(PLATFORM_REVENUE, "USD", -10),
            ],
        );
        assert!(mixed.is_err(), "balances per currency, not overall");
        let no_fee = Transaction::capture(payment, "EUR", "h", 100, 0).expect("balanced");
        assert_eq!(no_fee.postings.len(), 2);
    }

    #[test]
    fn accounts_are_recognized() {
        assert!(is_account("provider_clearing"));
        assert!(is_account("host_payable:abc"));
        assert!(!is_account("host_payable:"));
        assert!(!is_account("guest_wallet"));
    }
}
