//! Who may review whom, from other services' events: the booking service says which stays
//! were confirmed, completed or cancelled; the messaging service says who asked an agent or
//! landlord about a sale or rental listing.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::messaging_v1 as messaging;
use sqlx::AnyConnection;

use crate::domain;
use crate::store::{ReviewStore, StayRecord, StayState, midnight};

/// The booking service's events, as this service reads them.
pub const BOOKING_TOPIC: &str = "booking";
/// The messaging service's events.
pub const MESSAGING_TOPIC: &str = "messaging";

/// Records stays and contacts from booking and messaging events.
#[derive(Debug, Clone, Copy)]
pub struct ReviewableHandler;

fn payload<P: prost::Name + Default>(event: &Event) -> Result<P, HandlerError> {
    event.payload::<P>().map_err(HandlerError::permanent)
}

fn user_id(name: &str) -> Result<String, HandlerError> {
    name.strip_prefix("users/")
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .map(str::to_owned)
        .ok_or_else(|| HandlerError::permanent(format!("not a user name: {name:?}")))
}

/// The stay a booking event tells of, in the state it leaves it.
fn stay(event: &Event) -> Result<Option<StayRecord>, HandlerError> {
    let (facts, state) = if event.is::<booking::BookingConfirmed>() {
        let e: booking::BookingConfirmed = payload(event)?;
        (e.booking, StayState::Confirmed)
    } else if event.is::<booking::BookingCheckedIn>() {
        let e: booking::BookingCheckedIn = payload(event)?;
        (e.booking, StayState::Confirmed)
    } else if event.is::<booking::BookingCompleted>() {
        let e: booking::BookingCompleted = payload(event)?;
        (e.booking, StayState::Completed)
    } else if event.is::<booking::BookingCancelled>() {
        let e: booking::BookingCancelled = payload(event)?;
        (e.booking, StayState::Cancelled)
    } else {
        return Ok(None);
    };
    let facts = facts.ok_or_else(|| HandlerError::permanent("a booking event without facts"))?;
    let check_out = facts
        .check_out
        .and_then(|d| {
            let month = u32::try_from(d.month).ok()?;
            let day = u32::try_from(d.day).ok()?;
            domain::days_from_civil(d.year, month, day)
        })
        .ok_or_else(|| HandlerError::permanent("a booking without a valid check-out day"))?;
    Ok(Some(StayRecord {
        booking: facts.booking,
        listing: facts.property,
        guest: user_id(&facts.guest)?,
        host: user_id(&facts.host)?,
        check_out: midnight(check_out),
        state,
    }))
}

impl EventHandler for ReviewableHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<booking::BookingConfirmed>()
            || event.is::<booking::BookingCheckedIn>()
            || event.is::<booking::BookingCompleted>()
            || event.is::<booking::BookingCancelled>()
            || event.is::<messaging::InquiryCreated>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if let Some(stay) = stay(event)? {
            ReviewStore::record_stay_in(tx, &stay).await?;
        } else if event.is::<messaging::InquiryCreated>() {
            let inquiry: messaging::InquiryCreated = payload(event)?;
            let Some(conversation) = inquiry.conversation else {
                return Ok(());
            };
            // Stays are reviewed after a stay, not after a question.
            let topic = messaging::conversation::Topic::try_from(conversation.topic);
            if matches!(
                topic,
                Ok(messaging::conversation::Topic::Rental | messaging::conversation::Topic::Sale)
            ) {
                ReviewStore::record_contact_in(
                    tx,
                    &user_id(&conversation.inquirer)?,
                    &conversation.listing,
                    &user_id(&conversation.owner)?,
                )
                .await?;
            }
        }
        Ok(())
    }
}
