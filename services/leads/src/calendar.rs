//! An agent's booked viewings as an iCalendar (RFC 5545) feed. Who is coming is not in it:
//! the feed is public, for calendar apps that cannot send a token.

use std::time::SystemTime;

use time::OffsetDateTime;

use crate::store::SlotRecord;

/// The feed's media type.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// The feed of `agent`'s `viewings` (each slot with its listing's title), stamped `now`.
pub fn feed(agent: &str, viewings: &[(SlotRecord, String)], now: SystemTime) -> String {
    let stamp = timestamp(now);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//EstoSpaces//Leads//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:EstoSpaces viewings {agent}"),
    ];
    for (slot, title) in viewings {
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@leads.estospaces.dev", slot.id),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART:{}", timestamp(slot.start_at)),
            format!("DTEND:{}", timestamp(slot.end_at)),
            format!("SUMMARY:{}", text(&format!("Viewing: {title}"))),
            format!("DESCRIPTION:{}", text(&slot.listing)),
            "TRANSP:OPAQUE".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    // RFC 5545 ends every line with CRLF and folds lines longer than 75 octets.
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// A TEXT value: backslashes, semicolons, commas and line breaks escaped; a listing's title
/// cannot add properties to the feed.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (continuations start with a space), never inside a
/// character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn timestamp(at: SystemTime) -> String {
    let at = OffsetDateTime::from(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_hostile_title_stays_inside_its_summary_and_long_lines_are_folded() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let slot = SlotRecord {
            id: Uuid::nil(),
            agent_id: "a".to_owned(),
            listing: "properties/p".to_owned(),
            start_at: start,
            end_at: start + Duration::from_secs(1800),
            lead_id: None,
            created_at: start,
        };
        let title = format!("Flat\r\nATTENDEE:mallory; {}", "é".repeat(60));
        let feed = feed("users/a", &[(slot, title)], start);
        assert!(!feed.contains("\r\nATTENDEE"), "{feed}");
        assert!(feed.contains("SUMMARY:Viewing: Flat\\nATTENDEE:mallory\\; "));
        assert!(
            feed.lines()
                .all(|line| line.trim_end_matches('\r').len() <= 75)
        );
        assert!(feed.contains("DTSTART:20270115T080000Z"));
    }
}
