//! Paying hosts when their payouts fall due.
//!
//! A payout is scheduled when the guest checks in ([`crate::events`]). When it is due, the
//! host is paid what they are owed for the booking then: their share of the capture less their
//! share of any refund. Paying marks the payout paid, books it in the ledger and emits
//! `payment.payout_paid` in one transaction; nothing left to pay cancels it. Moving the money to the host's bank (Stripe
//! Connect transfers) is the provider's business and not modelled here.

use std::time::Duration;

use estospaces_events::NewEvent;
use estospaces_proto::payment_v1::PayoutPaid;
use estospaces_storage::Database;

use crate::domain::{booking_name, user_name};
use crate::ledger::{self, LedgerError, Transaction};
use crate::payments;
use crate::store::{self, PayoutState};

/// Pays every payout due now, each in its own transaction; how many were completed.
pub async fn pay_due(db: &Database) -> Result<usize, LedgerError> {
    let now = payments::now();
    let mut completed = 0;
    for id in store::due_payouts(db.pool(), now, 100).await? {
        let mut tx = db.begin().await?;
        let Some(payout) = store::payout_in(&mut tx, id).await? else {
            continue;
        };
        // The payment's lock: a refund of the booking waits for the payout or comes first.
        let Some(payment) = store::lock_payment(&mut tx, payout.payment_id).await? else {
            continue;
        };
        let owed = (payment.captured_amount - payment.captured_fee)
            - (payment.refunded_amount - payment.refunded_fee);
        let (state, amount) = if owed > 0 {
            (PayoutState::Paid, owed)
        } else {
            (PayoutState::Cancelled, 0)
        };
        if !store::complete_payout(&mut tx, id, state, amount, now).await? {
            continue;
        }
        if amount > 0 {
            let transaction =
                Transaction::payout(payment.id, &payment.currency_code, &payment.host_id, amount)?;
            ledger::book(&mut tx, &transaction, now).await?;
            let paid = PayoutPaid {
                payout: format!("payouts/{id}"),
                booking: booking_name(&payout.booking_id),
                host: user_name(&payout.host_id),
                amount,
                currency_code: payment.currency_code.clone(),
            };
            let event = NewEvent::new("payment.payout_paid", "payout", paid.payout.clone(), &paid);
            payments::OUTBOX.append(&mut tx, event).await?;
        }
        tx.commit().await?;
        tracing::info!(payout = %id, host = %payout.host_id, amount, state = state.key(), "payout completed");
        completed += 1;
    }
    Ok(completed)
}

/// Pays due payouts every `interval`, for ever.
pub async fn pay_periodically(db: Database, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(err) = pay_due(&db).await {
            tracing::warn!("paying due payouts: {err}");
        }
    }
}
