//! The saga's clock: holds that lapse, sagas that wait too long for payment, and stays that
//! start and end.
//!
//! Every replica may run it: each move is a compare-and-swap on the booking's revision, so a
//! booking another replica (or a payment event) moved first is simply skipped.

use std::time::{Duration, SystemTime};

use crate::config::{BookingSettings, CaptureAt};
use crate::domain::{State, Transition, today};
use crate::saga::plan;
use crate::store::{BookingRecord, BookingStore, StoreError};

/// Bookings moved per scan and kind; the rest wait for the next tick.
const BATCH: i64 = 200;

/// What the timer does, from the service's settings.
#[derive(Debug, Clone)]
pub struct Timer {
    store: BookingStore,
    saga_timeout: Duration,
    capture_at: CaptureAt,
    stays: bool,
}

/// How many bookings one tick moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    pub expired: usize,
    pub checked_in: usize,
    pub completed: usize,
    /// Confirmed bookings whose capture is overdue (the `estospaces_booking_sagas_stuck` gauge).
    pub stuck: i64,
}

impl Timer {
    pub fn new(store: BookingStore, settings: &BookingSettings) -> Self {
        Self {
            store,
            saga_timeout: settings.saga_timeout,
            capture_at: settings.capture_at,
            stays: settings.auto_stay_transitions,
        }
    }

    /// Ticks every `interval`, forever (the caller aborts the task).
    pub async fn run(self, interval: Duration) {
        metrics::describe_gauge!(
            "estospaces_booking_sagas_stuck",
            "Confirmed bookings still uncaptured past the saga timeout (0 unless capture_at = \
             confirmation)."
        );
        metrics::gauge!("estospaces_booking_sagas_stuck").set(0.0);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = self.tick().await {
                tracing::warn!("booking timer: {err}");
            }
        }
    }

    /// One scan: expires lapsed holds and timed-out sagas, then (when enabled) checks guests
    /// in and completes stays.
    pub async fn tick(&self) -> Result<Tick, StoreError> {
        let now = SystemTime::now();
        let mut tick = Tick::default();
        let deadline = now.checked_sub(self.saga_timeout).unwrap_or(now);
        for booking in self.store.due_to_expire(now, deadline, BATCH).await? {
            let why = if booking.hold_expires_at <= now {
                if booking.state == State::AwaitingHost {
                    "the host did not answer before the hold lapsed"
                } else {
                    "payment was not authorized before the hold lapsed"
                }
            } else {
                "the payment saga timed out"
            };
            if self.apply(&booking, Transition::Expire, why).await? {
                tick.expired += 1;
            }
        }
        if self.capture_at == CaptureAt::Confirmation {
            // Confirmed but not captured for longer than a saga may take: an operator looks at
            // these (`GetBookingSaga` shows where each stopped).
            let stuck = self.store.uncaptured_since(deadline).await?;
            metrics::gauge!("estospaces_booking_sagas_stuck").set(stuck as f64);
            if stuck > 0 {
                tracing::warn!(
                    stuck,
                    "confirmed bookings wait for their capture past the saga timeout"
                );
            }
            tick.stuck = stuck;
        }
        if self.stays {
            let today = today();
            for booking in self
                .store
                .due_on(State::Confirmed, "check_in_day", today, BATCH)
                .await?
            {
                if self.apply(&booking, Transition::CheckIn, "").await? {
                    tick.checked_in += 1;
                }
            }
            for booking in self
                .store
                .due_on(State::CheckedIn, "check_out_day", today, BATCH)
                .await?
            {
                if self.apply(&booking, Transition::Complete, "").await? {
                    tick.completed += 1;
                }
            }
        }
        Ok(tick)
    }

    /// Moves `booking`; false when something else moved it first.
    async fn apply(
        &self,
        booking: &BookingRecord,
        transition: Transition,
        why: &str,
    ) -> Result<bool, StoreError> {
        let Ok(planned) = plan(
            booking,
            transition,
            self.capture_at,
            why,
            SystemTime::now(),
            today(),
        ) else {
            return Ok(false);
        };
        match self
            .store
            .change(booking, &planned.next, planned.steps, planned.event)
            .await
        {
            Ok(()) => {
                tracing::info!(booking = %booking.id, ?transition, "timer moved a booking");
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(err) => Err(err),
        }
    }
}
