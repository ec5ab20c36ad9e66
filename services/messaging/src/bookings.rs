//! The booking saga's progress, written into the guest and host's conversation as system
//! messages (started if they never wrote), and a confirmed booking lets contact details show.

use std::time::SystemTime;

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::domain::{Kind, Topic};
use crate::hub::Hub;
use crate::store::{ConversationRecord, MessagingStore, NewMessage};

/// The booking service's events, as this service reads them.
pub const BOOKING_TOPIC: &str = "booking";

/// Writes system messages from the booking service's events.
#[derive(Debug, Clone)]
pub struct BookingMessagesHandler {
    hub: Hub,
}

impl BookingMessagesHandler {
    pub fn new(hub: Hub) -> Self {
        Self { hub }
    }
}

/// The facts of a booking event this service writes about, with what to say.
fn system_message(
    event: &Event,
) -> Result<Option<(booking::BookingFacts, &'static str, &'static str)>, HandlerError> {
    fn facts<P: prost::Name + Default>(
        event: &Event,
        get: impl FnOnce(P) -> Option<booking::BookingFacts>,
    ) -> Result<Option<booking::BookingFacts>, HandlerError> {
        Ok(get(event
            .payload::<P>()
            .map_err(HandlerError::permanent)?))
    }
    let found = if event.is::<booking::BookingRequested>() {
        facts(event, |e: booking::BookingRequested| e.booking)?
            .map(|f| (f, "booking.requested", "Booking requested."))
    } else if event.is::<booking::BookingConfirmed>() {
        facts(event, |e: booking::BookingConfirmed| e.booking)?
            .map(|f| (f, "booking.confirmed", "Booking confirmed."))
    } else if event.is::<booking::BookingDeclined>() {
        facts(event, |e: booking::BookingDeclined| e.booking)?
            .map(|f| (f, "booking.declined", "Booking declined by the host."))
    } else if event.is::<booking::BookingExpired>() {
        facts(event, |e: booking::BookingExpired| e.booking)?
            .map(|f| (f, "booking.expired", "Booking request expired."))
    } else if event.is::<booking::BookingCancelled>() {
        facts(event, |e: booking::BookingCancelled| e.booking)?
            .map(|f| (f, "booking.cancelled", "Booking cancelled."))
    } else {
        None
    };
    Ok(found)
}

fn user_id(name: &str) -> Result<Uuid, HandlerError> {
    name.strip_prefix("users/")
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| HandlerError::permanent(format!("not a user name: {name:?}")))
}

impl EventHandler for BookingMessagesHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<booking::BookingRequested>()
            || event.is::<booking::BookingConfirmed>()
            || event.is::<booking::BookingDeclined>()
            || event.is::<booking::BookingExpired>()
            || event.is::<booking::BookingCancelled>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let Some((facts, system_event, text)) = system_message(event)? else {
            return Ok(());
        };
        let (guest, host) = (user_id(&facts.guest)?, user_id(&facts.host)?);
        let dates = match (&facts.check_in, &facts.check_out) {
            (Some(a), Some(b)) => format!(
                " {:04}-{:02}-{:02} to {:04}-{:02}-{:02}.",
                a.year, a.month, a.day, b.year, b.month, b.day
            ),
            _ => String::new(),
        };
        let new = ConversationRecord::new(&facts.property, "", Topic::Stay, host, guest);
        let confirmed = system_event == "booking.confirmed";
        let (conversation, _) =
            MessagingStore::find_or_start_for_booking_in(tx, &new, &facts.booking, confirmed)
                .await?;
        let message = NewMessage {
            sender: None,
            kind: Kind::System,
            body: format!("{text}{dates}"),
            attachments: Vec::new(),
            system_event: system_event.to_owned(),
            booking: facts.booking.clone(),
            masked: false,
            // Redelivered events are skipped by the consumer; the id also keeps a replay from
            // writing the message twice.
            request_id: format!("{system_event}:{}", facts.booking),
        };
        let sent =
            MessagingStore::send_in(tx, conversation.id, &message, SystemTime::now(), |_, _| {
                Vec::new()
            })
            .await?;
        if let Some(sent) = sent {
            // Before the consumer commits: woken streams look again until it has.
            self.hub.wake(&sent.wakeups);
        }
        Ok(())
    }
}
