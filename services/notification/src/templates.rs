//! Message templates: minijinja files under `templates/{language}/`, built into the binary.
//!
//! Each message has a text template `{name}.txt` with the blocks `title` (the email subject
//! and the inbox title), `body` (the plain-text email and the inbox text) and optionally `sms`
//! (a text message; the title otherwise), and may have an HTML template `{name}.html` (escaped
//! automatically) with a `content` block placed in `layout.html`. Without one, the HTML email is
//! the text body in paragraphs. A language without the template falls back to its base
//! language (`pt-BR` → `pt`), then to English.

use minijinja::{AutoEscape, Environment, ErrorKind, Value};

/// The template files, by path under `templates/`.
const FILES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    (
        "en/email_verification.txt",
        include_str!("../templates/en/email_verification.txt"),
    ),
    (
        "en/email_verification.html",
        include_str!("../templates/en/email_verification.html"),
    ),
    (
        "en/password_reset.txt",
        include_str!("../templates/en/password_reset.txt"),
    ),
    (
        "en/new_sign_in.txt",
        include_str!("../templates/en/new_sign_in.txt"),
    ),
    (
        "en/mfa_enabled.txt",
        include_str!("../templates/en/mfa_enabled.txt"),
    ),
    (
        "en/mfa_disabled.txt",
        include_str!("../templates/en/mfa_disabled.txt"),
    ),
    (
        "en/booking_requested_guest.txt",
        include_str!("../templates/en/booking_requested_guest.txt"),
    ),
    (
        "en/booking_requested_host.txt",
        include_str!("../templates/en/booking_requested_host.txt"),
    ),
    (
        "en/booking_confirmed_guest.txt",
        include_str!("../templates/en/booking_confirmed_guest.txt"),
    ),
    (
        "en/booking_confirmed_host.txt",
        include_str!("../templates/en/booking_confirmed_host.txt"),
    ),
    (
        "en/booking_declined.txt",
        include_str!("../templates/en/booking_declined.txt"),
    ),
    (
        "en/booking_reminder_guest.txt",
        include_str!("../templates/en/booking_reminder_guest.txt"),
    ),
    (
        "en/booking_reminder_host.txt",
        include_str!("../templates/en/booking_reminder_host.txt"),
    ),
    (
        "en/booking_expired.txt",
        include_str!("../templates/en/booking_expired.txt"),
    ),
    (
        "en/booking_cancelled.txt",
        include_str!("../templates/en/booking_cancelled.txt"),
    ),
    (
        "en/booking_payment_failed.txt",
        include_str!("../templates/en/booking_payment_failed.txt"),
    ),
    (
        "en/payment_refunded.txt",
        include_str!("../templates/en/payment_refunded.txt"),
    ),
    (
        "en/payout_paid.txt",
        include_str!("../templates/en/payout_paid.txt"),
    ),
    (
        "en/alert_matched.txt",
        include_str!("../templates/en/alert_matched.txt"),
    ),
    (
        "en/unread_messages.txt",
        include_str!("../templates/en/unread_messages.txt"),
    ),
    (
        "en/alert_digest.txt",
        include_str!("../templates/en/alert_digest.txt"),
    ),
    (
        "en/review_received.txt",
        include_str!("../templates/en/review_received.txt"),
    ),
    (
        "en/review_responded.txt",
        include_str!("../templates/en/review_responded.txt"),
    ),
    (
        "en/report_decided.txt",
        include_str!("../templates/en/report_decided.txt"),
    ),
    (
        "en/moderation_warning.txt",
        include_str!("../templates/en/moderation_warning.txt"),
    ),
    (
        "en/account_suspended.txt",
        include_str!("../templates/en/account_suspended.txt"),
    ),
    (
        "en/account_banned.txt",
        include_str!("../templates/en/account_banned.txt"),
    ),
    (
        "en/account_reinstated.txt",
        include_str!("../templates/en/account_reinstated.txt"),
    ),
    (
        "en/listing_approved.txt",
        include_str!("../templates/en/listing_approved.txt"),
    ),
    (
        "en/listing_rejected.txt",
        include_str!("../templates/en/listing_rejected.txt"),
    ),
    (
        "en/listing_taken_down.txt",
        include_str!("../templates/en/listing_taken_down.txt"),
    ),
    (
        "en/lead_created.txt",
        include_str!("../templates/en/lead_created.txt"),
    ),
    (
        "en/lead_assigned.txt",
        include_str!("../templates/en/lead_assigned.txt"),
    ),
    (
        "en/viewing_booked_agent.txt",
        include_str!("../templates/en/viewing_booked_agent.txt"),
    ),
    (
        "en/viewing_booked_contact.txt",
        include_str!("../templates/en/viewing_booked_contact.txt"),
    ),
    (
        "en/viewing_cancelled.txt",
        include_str!("../templates/en/viewing_cancelled.txt"),
    ),
    (
        "en/viewing_reminder_agent.txt",
        include_str!("../templates/en/viewing_reminder_agent.txt"),
    ),
    (
        "en/viewing_reminder_contact.txt",
        include_str!("../templates/en/viewing_reminder_contact.txt"),
    ),
    (
        "pt/email_verification.txt",
        include_str!("../templates/pt/email_verification.txt"),
    ),
    (
        "pt/password_reset.txt",
        include_str!("../templates/pt/password_reset.txt"),
    ),
    (
        "pt/booking_confirmed_guest.txt",
        include_str!("../templates/pt/booking_confirmed_guest.txt"),
    ),
];

/// A message rendered for every channel.
#[derive(Clone, PartialEq)]
pub struct Rendered {
    pub title: String,
    pub body: String,
    pub html: String,
    pub sms: String,
}

impl std::fmt::Debug for Rendered {
    // Account messages hold one-time tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

/// Why a message could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("there is no template {0:?}")]
    Unknown(String),
    #[error("rendering {template:?}: {source}")]
    Render {
        template: String,
        #[source]
        source: minijinja::Error,
    },
}

/// The message templates, each compiled on first use.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // A missing variable is a bug in the producer, not an empty string in someone's mail.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_filter("money", money);
        env.add_filter("local_time", local_time);
        // Each template is compiled when first used (the unit tests compile every one): a
        // process that sends no mail does not hold them all.
        env.set_loader(|name| {
            Ok(FILES
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, source)| (*source).to_owned()))
        });
        Self { env }
    }

    /// Renders `template` in `language` (or its fallback) with `context`.
    pub fn render(
        &self,
        template: &str,
        language: &str,
        context: &serde_json::Value,
    ) -> Result<Rendered, TemplateError> {
        let context = Value::from_serialize(context);
        let render_error = |source| TemplateError::Render {
            template: template.to_owned(),
            source,
        };
        let text = self
            .localized(template, "txt", language)
            .ok_or_else(|| TemplateError::Unknown(template.to_owned()))?;
        // `eval_to_state` keeps the state borrowing our environment, which `render_captured`
        // (its replacement) cannot: it wants an environment that lives for `'static`.
        #[allow(deprecated)]
        let mut state = text.eval_to_state(&context).map_err(render_error)?;
        let title = state.render_block("title").map_err(render_error)?;
        let body = state.render_block("body").map_err(render_error)?;
        let sms = optional(state.render_block("sms")).map_err(render_error)?;

        #[allow(deprecated)]
        let content = match self.localized(template, "html", language) {
            Some(html) => html
                .eval_to_state(&context)
                .and_then(|mut state| state.render_block("content"))
                .map_err(render_error)?,
            None => paragraphs(&body),
        };
        let layout = self.env.get_template("layout.html").map_err(render_error)?;
        let html = layout
            .render(minijinja::context! {
                title => &title,
                content => Value::from_safe_string(content),
                ..context
            })
            .map_err(render_error)?;
        Ok(Rendered {
            title: title.trim().to_owned(),
            body: body.trim().to_owned(),
            html,
            sms: sms.map_or_else(|| title.trim().to_owned(), |sms| sms.trim().to_owned()),
        })
    }

    /// The template in `language`, its base language or English.
    fn localized(
        &self,
        template: &str,
        extension: &str,
        language: &str,
    ) -> Option<minijinja::Template<'_, '_>> {
        let base = language.split('-').next().unwrap_or(language);
        [language, base, "en"].into_iter().find_map(|lang| {
            self.env
                .get_template(&format!("{lang}/{template}.{extension}"))
                .ok()
        })
    }
}

/// A block that may be absent.
fn optional(result: Result<String, minijinja::Error>) -> Result<Option<String>, minijinja::Error> {
    match result {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == ErrorKind::UnknownBlock => Ok(None),
        Err(err) => Err(err),
    }
}

/// Plain text as HTML paragraphs, escaped.
fn paragraphs(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| {
            let escaped = minijinja::HtmlEscape(paragraph).to_string();
            format!("<p>{}</p>", escaped.replace('\n', "<br>\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `{{ time | local_time(time_zone) }}`: an RFC 3339 instant as the reader's wall clock,
/// `Saturday 12 December 2026 at 10:00 GMT`, or in another `strftime` format. A zone no longer
/// known is UTC; a time that is not one is an error, like a missing variable.
fn local_time(
    time: String,
    zone: String,
    format: Option<String>,
) -> Result<String, minijinja::Error> {
    let time: jiff::Timestamp = time.parse().map_err(|err| {
        minijinja::Error::new(ErrorKind::InvalidOperation, format!("{time:?}: {err}"))
    })?;
    let zone = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let format = format.as_deref().unwrap_or("%A %-d %B %Y at %H:%M %Z");
    Ok(time.to_zoned(zone).strftime(format).to_string())
}

/// `{{ amount | money(currency) }}`: minor units as an amount, `EUR 1,234.50`.
fn money(amount: i64, currency: String) -> String {
    // ISO 4217 currencies without minor units that the platform is likely to see.
    const WHOLE: &[&str] = &["JPY", "KRW", "ISK", "CLP", "VND", "HUF"];
    let (whole, cents) = if WHOLE.contains(&currency.as_str()) {
        (amount, None)
    } else {
        (amount / 100, Some((amount % 100).abs()))
    };
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match cents {
        Some(cents) => format!("{currency} {sign}{grouped}.{cents:02}"),
        None => format!("{currency} {sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn booking_context() -> serde_json::Value {
        json!({
            "base_url": "https://stays.example",
            "link": "https://stays.example/bookings/b-1",
            "unsubscribe_url": "https://stays.example/u",
            "booking": {
                "id": "b-1", "title": "Sea <view> & sun", "check_in": "2027-01-10",
                "check_out": "2027-01-12", "total_amount": 123450, "currency_code": "EUR",
                "refund_amount": 0, "cancelled_by": "guest", "refund_explanation": "",
                "reason": "", "instant_book": false,
            },
            "token": "t0k3n",
            "expire_time": "2027-01-01 10:00 UTC",
            "alert": {"title": "Loft", "price": 9900, "currency_code": "EUR",
                      "reason": "new listing", "link": "https://stays.example/properties/p-1"},
            "alerts": [{"title": "Loft", "price": 9900, "currency_code": "EUR",
                        "reason": "new listing", "link": "https://stays.example/properties/p-1"}],
            "payment": {"refunded_amount": 500, "currency_code": "EUR"},
            "payout": {"amount": 22500, "currency_code": "EUR"},
            "device": "Firefox on Linux", "address": "203.0.113.7", "when": "2027-01-01 10:00 UTC",
            "unread_count": 2, "preview": "Is there a <cot>?", "listing_title": "Sea <view> & sun",
            "review": {"id": "r-1", "kind": "guest", "rating": 4, "listing_title": "Sea <view> & sun",
                       "excerpt": "Lovely <b>view</b>", "response": "Thank you & welcome back"},
            "moderation": {"target_kind": "a listing", "target": "listing", "outcome": "removed it",
                           "reason": "Photos of <another> flat"},
            "until": "2027-01-01 10:00 UTC", "reason": "Spam <links>",
            "listing": {"title": "Sea <view> & sun", "reason": "Add <photos>"},
            "time_zone": "Europe/Lisbon",
            "lead": {"id": "l-1", "listing_title": "Sea <view> & sun", "contact_name": "Ada <B>",
                     "message": "Is the <flat> free?"},
            "viewing": {"id": "l-1", "listing_title": "Sea <view> & sun", "contact_name": "Ada <B>",
                        "start_time": "2027-01-09T10:00:00Z", "end_time": "2027-01-09T10:30:00Z"},
        })
    }

    #[test]
    fn every_template_renders_in_english_with_an_escaped_html_part() {
        let templates = Templates::new();
        for (file, _) in FILES {
            let Some(name) = file
                .strip_prefix("en/")
                .and_then(|f| f.strip_suffix(".txt"))
            else {
                continue;
            };
            let rendered = templates
                .render(name, "en", &booking_context())
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            assert!(!rendered.title.is_empty(), "{name}");
            assert!(!rendered.body.is_empty(), "{name}");
            assert!(!rendered.html.contains("<view>"), "{name} escapes HTML");
        }
    }

    #[test]
    fn a_language_without_the_template_falls_back_to_its_base_then_english() {
        let templates = Templates::new();
        let pt = templates
            .render("email_verification", "pt-BR", &booking_context())
            .expect("pt");
        let en = templates
            .render("email_verification", "en", &booking_context())
            .expect("en");
        assert_ne!(pt.title, en.title);
        let fallback = templates
            .render("booking_declined", "pt", &booking_context())
            .expect("en");
        assert_eq!(
            fallback.title,
            templates
                .render("booking_declined", "en", &booking_context())
                .expect("en")
                .title
        );
        assert!(
            en.body
                .contains("https://stays.example/verify-email?token=t0k3n"),
            "{}",
            en.body
        );
    }

    #[test]
    fn an_unknown_template_or_a_missing_value_is_an_error_not_an_empty_message() {
        let templates = Templates::new();
        assert!(matches!(
            templates.render("no_such_template", "en", &json!({})),
            Err(TemplateError::Unknown(_))
        ));
        assert!(matches!(
            templates.render("booking_confirmed_guest", "en", &json!({"base_url": "x"})),
            Err(TemplateError::Render { .. })
        ));
    }

    #[test]
    fn every_built_in_template_compiles() {
        let templates = Templates::new();
        for (name, _) in FILES {
            if let Err(err) = templates.env.get_template(name) {
                panic!("{name}: {err}");
            }
        }
    }

    #[test]
    fn every_template_file_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for language in std::fs::read_dir(&dir).expect("templates/") {
            let language = language.expect("an entry").path();
            let Some(files) = std::fs::read_dir(&language).ok() else {
                continue; // layout.html
            };
            for file in files {
                let file = file.expect("an entry").path();
                let name = file
                    .strip_prefix(&dir)
                    .expect("under templates/")
                    .to_string_lossy()
                    .into_owned();
                assert!(
                    FILES.iter().any(|(known, _)| *known == name),
                    "{name} is not in FILES"
                );
            }
        }
    }

    #[test]
    fn moderation_notices_leave_out_what_they_were_not_given() {
        let templates = Templates::new();
        let render = |template: &str, context: serde_json::Value| {
            let mut full = json!({
                "base_url": "https://stays.example",
                "link": "https://stays.example/account/security",
                "unsubscribe_url": "",
            });
            full.as_object_mut()
                .expect("an object")
                .extend(context.as_object().expect("an object").clone());
            templates
                .render(template, "en", &full)
                .unwrap_or_else(|err| panic!("{template}: {err}"))
        };
        let suspended = render("account_suspended", json!({"until": "", "reason": ""}));
        assert!(
            suspended
                .body
                .starts_with("Your account is suspended, and every session"),
            "{}",
            suspended.body
        );
        assert!(!suspended.body.contains("\"\""), "{}", suspended.body);
        let suspended = render(
            "account_suspended",
            json!({"until": "2027-01-01 10:00 UTC", "reason": "Spam."}),
        );
        assert!(
            suspended
                .body
                .contains("suspended until 2027-01-01 10:00 UTC")
                && suspended.body.contains("\"Spam.\""),
            "{}",
            suspended.body
        );
        let warned = render(
            "moderation_warning",
            json!({"moderation": {"target_kind": "a review", "target": "review",
                                  "outcome": "warned its author", "reason": ""}}),
        );
        assert!(
            warned
                .body
                .starts_with("A moderator looked into your review and is warning you."),
            "{}",
            warned.body
        );
        for (template, title) in [
            ("listing_approved", "Loft is live"),
            ("listing_rejected", "Loft needs changes before it goes live"),
            ("listing_taken_down", "Loft was taken off the market"),
        ] {
            let rendered = render(
                template,
                json!({"listing": {"title": "Loft", "reason": "Blurry photos."}}),
            );
            assert_eq!(rendered.title, title);
        }
    }

    #[test]
    fn review_notices_say_what_was_reviewed_and_who_replied() {
        let templates = Templates::new();
        let render = |template: &str, kind: &str, title: &str| {
            let context = json!({
                "base_url": "https://stays.example",
                "link": "https://stays.example/reviews/r-1",
                "unsubscribe_url": "",
                "review": {"id": "r-1", "kind": kind, "rating": 5, "listing_title": title,
                           "excerpt": "Great", "response": ""},
            });
            templates
                .render(template, "en", &context)
                .unwrap_or_else(|err| panic!("{template} {kind}: {err}"))
        };
        let received = |kind, title| render("review_received", kind, title).title;
        assert_eq!(received("guest", "Loft"), "New review of Loft: 5 out of 5");
        assert_eq!(
            received("host", "Loft"),
            "Your host reviewed your stay at Loft: 5 out of 5"
        );
        assert_eq!(
            received("host", ""),
            "Your host reviewed your stay: 5 out of 5"
        );
        assert_eq!(
            received("agent", "Loft"),
            "New review about Loft: 5 out of 5"
        );
        let body = render("review_received", "agent", "Loft").body;
        assert!(
            body.starts_with("Someone who asked about Loft rated you 5 out of 5"),
            "{body}"
        );
        assert!(
            body.ends_with("https://stays.example/reviews/r-1"),
            "{body}"
        );

        let replied = |kind, title| render("review_responded", kind, title).title;
        assert_eq!(
            replied("guest", "Loft"),
            "The host of Loft replied to your review"
        );
        assert_eq!(
            replied("host", "Loft"),
            "Your guest at Loft replied to your review"
        );
        assert_eq!(
            replied("agent", ""),
            "The agent or landlord of the listing replied to your review"
        );
        // No reply text (an event without one): no empty quotes.
        let body = render("review_responded", "guest", "Loft").body;
        assert!(body.starts_with("Your review, 5 out of 5"), "{body}");
    }

    #[test]
    fn lead_notices_name_who_asked_or_someone_and_viewings_show_the_readers_time() {
        let templates = Templates::new();
        let render = |template: &str, time_zone: &str, contact_name: &str| {
            let context = json!({
                "base_url": "https://stays.example",
                "link": "https://stays.example/leads/l-1",
                "unsubscribe_url": "",
                "time_zone": time_zone,
                "lead": {"id": "l-1", "listing_title": "Loft", "contact_name": contact_name,
                         "message": ""},
                "viewing": {"id": "l-1", "listing_title": "Loft", "contact_name": contact_name,
                            "start_time": "2027-07-03T09:00:00Z",
                            "end_time": "2027-07-03T09:30:00Z"},
            });
            templates
                .render(template, "en", &context)
                .unwrap_or_else(|err| panic!("{template}: {err}"))
        };
        assert_eq!(
            render("lead_created", "UTC", "Ada Byron").title,
            "New lead: Ada Byron asked about Loft"
        );
        let anonymous = render("lead_created", "UTC", "");
        assert_eq!(anonymous.title, "New lead: someone asked about Loft");
        assert!(
            anonymous.body.starts_with("Someone asked about Loft."),
            "{}",
            anonymous.body
        );
        // 09:00 UTC is 10:00 in Lisbon in July (WEST, UTC+1).
        let booked = render("viewing_booked_agent", "Europe/Lisbon", "Ada Byron");
        assert_eq!(
            booked.title,
            "Viewing booked for Loft at Saturday 3 July 2027 at 10:00 WEST"
        );
        assert!(
            booked.body.starts_with(
                "Ada Byron is coming to see Loft on Saturday 3 July 2027 at 10:00 WEST, until 10:30."
            ),
            "{}",
            booked.body
        );
        let unknown_zone = render("viewing_cancelled", "Nowhere/Atlantis", "");
        assert!(
            unknown_zone.title.ends_with("at 09:00 UTC"),
            "{}",
            unknown_zone.title
        );
    }

    #[test]
    fn money_is_shown_in_major_units() {
        assert_eq!(money(123450, "EUR".to_owned()), "EUR 1,234.50");
        assert_eq!(money(5, "USD".to_owned()), "USD 0.05");
        assert_eq!(money(15000, "JPY".to_owned()), "JPY 15,000");
    }
}
