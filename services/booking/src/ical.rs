//! A listing's iCalendar (RFC 5545) feed: one all-day event per booking holding nights.

use std::time::SystemTime;

use time::{Date, OffsetDateTime};

use crate::domain::State;
use crate::store::BookingRecord;

/// The feed's media type.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// The feed of `property_name`'s `bookings`, stamped `now`. Guests are not named: the feed is
/// public.
pub fn feed(property_name: &str, bookings: &[BookingRecord], now: SystemTime) -> String {
    let stamp = timestamp(now);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//EstoSpaces//Booking//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:EstoSpaces {property_name}"),
    ];
    for booking in bookings.iter().filter(|booking| booking.state.is_active()) {
        let summary = match booking.state {
            State::PendingPayment | State::AwaitingHost => "Held",
            _ => "Reserved",
        };
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@booking.estospaces.dev", booking.id),
            format!("DTSTAMP:{stamp}"),
            // All-day events: DTEND is exclusive, so the departure day is free, as it is.
            format!("DTSTART;VALUE=DATE:{}", day(booking.check_in)),
            format!("DTEND;VALUE=DATE:{}", day(booking.check_out)),
            format!("SUMMARY:{summary}"),
            "TRANSP:OPAQUE".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    // RFC 5545 ends every line with CRLF.
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

fn day(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn timestamp(now: SystemTime) -> String {
    let now = OffsetDateTime::from(now);
    format!(
        "{}T{:02}{:02}{:02}Z",
        day(now.date()),
        now.hour(),
        now.minute(),
        now.second()
    )
}
