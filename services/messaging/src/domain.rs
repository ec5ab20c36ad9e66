//! What messages may say and how names look, checked at the edge; the masking of contact
//! details; the words search matches.

use estospaces_status::{FieldViolation, violation};
use uuid::Uuid;

/// What a conversation is about, from the listing's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Stay,
    Rental,
    Sale,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stay => "stay",
            Self::Rental => "rental",
            Self::Sale => "sale",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "stay" => Some(Self::Stay),
            "rental" => Some(Self::Rental),
            "sale" => Some(Self::Sale),
            _ => None,
        }
    }

    /// Whether contact details are hidden until a booking is confirmed: stays only, where
    /// taking the booking off the platform is what masking prevents. Renting and buying start
    /// with meeting people.
    pub fn masks_contact_details(self) -> bool {
        self == Self::Stay
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    System,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::System => "system",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "text" => Some(Self::Text),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

/// The longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;
/// The longest client request id.
pub const MAX_REQUEST_ID_CHARS: usize = 100;
/// The longest report details, in characters.
pub const MAX_REPORT_DETAILS_CHARS: usize = 2000;
/// What replaces a hidden contact detail.
pub const HIDDEN: &str = "[hidden]";

/// A checked message body: text, the attachments' media ids and the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub text: String,
    pub attachments: Vec<String>,
    pub request_id: String,
}

/// Checks what a participant sends; `field` is where the message is in the request.
pub fn check_draft(
    field: &str,
    text: &str,
    attachments: &[String],
    request_id: &str,
) -> Result<Draft, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let text = text.trim();
    if let Some(why) = text_problem(text) {
        violations.push(violation(format!("{field}.text"), why));
    }
    if text.is_empty() && attachments.is_empty() {
        violations.push(violation(
            format!("{field}.text"),
            "a message needs text or an attachment",
        ));
    }
    if attachments.len() > MAX_ATTACHMENTS {
        violations.push(violation(
            format!("{field}.attachments"),
            format!("at most {MAX_ATTACHMENTS}"),
        ));
    }
    let mut ids = Vec::new();
    for (index, name) in attachments.iter().enumerate() {
        match name.strip_prefix("media/").and_then(canonical_uuid) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => violations.push(violation(
                format!("{field}.attachments[{index}]"),
                "is attached twice",
            )),
            None => violations.push(violation(
                format!("{field}.attachments[{index}]"),
                "must be a media name like media/{media}",
            )),
        }
    }
    if request_id.chars().count() > MAX_REQUEST_ID_CHARS || request_id.chars().any(char::is_control)
    {
        violations.push(violation(
            format!("{field}.request_id"),
            format!("at most {MAX_REQUEST_ID_CHARS} printable characters"),
        ));
    }
    if violations.is_empty() {
        Ok(Draft {
            text: text.to_owned(),
            attachments: ids,
            request_id: request_id.to_owned(),
        })
    } else {
        Err(violations)
    }
}

/// Why `text` cannot be a message's text, if it cannot.
pub fn text_problem(text: &str) -> Option<String> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Some(format!("at most {MAX_TEXT_CHARS} characters"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Some("must not contain control characters".to_owned());
    }
    None
}

/// The UUID in `text`, if `text` is one written the way this service writes them.
pub fn canonical_uuid(text: &str) -> Option<String> {
    Uuid::parse_str(text)
        .ok()
        .map(|id| id.to_string())
        .filter(|id| id == text)
}

/// `text` with phone numbers, email addresses and links replaced by [`HIDDEN`]; whether any
/// was.
pub fn mask_contact_details(text: &str) -> (String, bool) {
    let mut masked = false;
    let mut out = String::with_capacity(text.len());
    // Words first: emails and links are whole words.
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        if is_email(word) || is_link(word) {
            out.push_str(HIDDEN);
            masked = true;
        } else {
            out.push_str(word);
        }
    }
    let (out, phones) = mask_phone_numbers(&out);
    (out, masked || phones)
}

fn trim_punctuation(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '+')
}

fn is_email(word: &str) -> bool {
    let word = trim_punctuation(word);
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain
            .rsplit_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && tld.len() >= 2)
}

fn is_link(word: &str) -> bool {
    let lower = trim_punctuation(word).to_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return true;
    }
    // A bare domain such as `example.com/x` or `wa.me`.
    const TLDS: &[&str] = &[
        "com", "net", "org", "io", "me", "co", "info", "biz", "ly", "app", "dev", "uk", "de", "fr",
        "es", "pt", "it", "nl",
    ];
    let host = lower.split('/').next().unwrap_or_default();
    host.rsplit_once('.').is_some_and(|(name, tld)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && TLDS.contains(&tld)
    })
}

/// Replaces runs of 7 or more digits, allowing the separators people write numbers with.
fn mask_phone_numbers(text: &str) -> (String, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut masked = false;
    let mut index = 0;
    while index < chars.len() {
        let starts_number = chars[index].is_ascii_digit()
            || (chars[index] == '+' && chars.get(index + 1).is_some_and(char::is_ascii_digit))
            || (chars[index] == '(' && chars.get(index + 1).is_some_and(char::is_ascii_digit));
        if !starts_number {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        let mut end = index;
        let mut digits = 0;
        let mut last_digit = index;
        while end < chars.len() {
            let c = chars[end];
            if c.is_ascii_digit() {
                digits += 1;
                last_digit = end;
            } else if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/') {
                break;
            }
            end += 1;
        }
        if digits >= 7 {
            out.push_str(HIDDEN);
            masked = true;
            index = last_digit + 1;
        } else {
            out.extend(&chars[index..=last_digit]);
            index = last_digit + 1;
        }
    }
    (out, masked)
}

/// The lower-cased words of `text`, what search matches against.
pub fn search_text(text: &str) -> String {
    words(text).join(" ")
}

/// The lower-cased words of `text`: letters and digits.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A short preview of a message for a notification.
pub fn preview(text: &str) -> String {
    const LIMIT: usize = 140;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= LIMIT {
        text
    } else {
        let cut: String = text.chars().take(LIMIT - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_contact_details(text).0
    }

    #[test]
    fn phone_numbers_in_the_ways_people_write_them_are_hidden() {
        for text in [
            "call me on +44 7700 900123",
            "call me on 07700-900-123",
            "call me on (555) 123-4567",
            "call me on 555.123.4567",
        ] {
            assert_eq!(masked(text), "call me on [hidden]", "{text}");
        }
    }

    #[test]
    fn short_numbers_dates_and_prices_stay() {
        for text in [
            "2 guests, arriving 12/06 at 15:00",
            "is 120 per night right?",
            "room 1204",
        ] {
            assert_eq!(
                mask_contact_details(text),
                (text.to_owned(), false),
                "{text}"
            );
        }
    }

    #[test]
    fn email_addresses_and_links_are_hidden_with_their_punctuation_kept_out() {
        assert_eq!(
            masked("write to ann@example.com, or see https://example.com/x."),
            "write to [hidden] or see [hidden]"
        );
        assert_eq!(
            masked("whatsapp me at wa.me/4477"),
            "whatsapp me at [hidden]"
        );
        assert_eq!(masked("www.example.org"), "[hidden]");
        assert_eq!(masked("see you at 3.30 ok."), "see you at 3.30 ok.");
    }

    #[test]
    fn a_draft_needs_text_or_an_attachment_and_names_its_problems() {
        let err = check_draft("message", "  ", &[], "").expect_err("empty");
        assert_eq!(err[0].field, "message.text");
        let err = check_draft("message", "hi", &["media/nope".to_owned()], "").expect_err("bad");
        assert_eq!(err[0].field, "message.attachments[0]");
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert!(check_draft("message", &long, &[], "").is_err());
        let ok = check_draft("message", " hello ", &[], "r1").expect("fine");
        assert_eq!(ok.text, "hello");
    }

    #[test]
    fn search_words_are_lower_cased_letters_and_digits() {
        assert_eq!(search_text("Is the Wi-Fi fast?"), "is the wi fi fast");
        assert_eq!(preview("a\n b"), "a b");
    }
}
