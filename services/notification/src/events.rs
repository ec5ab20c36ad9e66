//! Reactions to the other services' events: each event that someone should hear about becomes
//! notices (see [`crate::notify`]); a few only keep what later notices need (email addresses,
//! listing titles, pending alerts) or schedule reminders (check-ins, viewings).
//!
//! [`PlatformEventsHandler`] runs them in one consumer group, inside the transaction that
//! records the event as processed, so an event makes its messages exactly once.

use std::time::{Duration, SystemTime};

use estospaces_events::{Event, EventHandler, HandlerError, Outbox};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::leads_v1 as leads;
use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::moderation_v1 as moderation;
use estospaces_proto::payment_v1 as payment;
use estospaces_proto::property_v1 as property;
use estospaces_proto::review_v1 as review;
use estospaces_proto::search_v1 as search;
use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::domain::{Category, Channel, Digest, UserId};
use crate::keys::OpenError;
use crate::notify::{Notice, Notifier, NotifyError};
use crate::store::{self, AlertMatch, Reminder, ReminderKind};

/// This service's outbox: its events go to `estospaces.notification.v1`.
pub const OUTBOX: Outbox = Outbox::new("notification");

/// The topics the service reads.
pub const TOPICS: [&str; 9] = [
    "identity",
    "property",
    "booking",
    "payment",
    "search",
    "messaging",
    "review",
    "moderation",
    "leads",
];

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
enum EventError {
    #[error("the event is malformed: {0}")]
    Malformed(String),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

impl From<EventError> for HandlerError {
    fn from(err: EventError) -> Self {
        match err {
            EventError::Store(_)
            | EventError::Notify(NotifyError::Store(_))
            | EventError::Open(OpenError::Reload(_)) => HandlerError::transient(err),
            EventError::Malformed(_)
            | EventError::Notify(NotifyError::Template(_))
            | EventError::Open(_) => HandlerError::permanent(err),
        }
    }
}

/// Dispatches the platform's events; types nobody is told about are skipped.
#[derive(Debug, Clone)]
pub struct PlatformEventsHandler {
    notifier: Notifier,
}

impl PlatformEventsHandler {
    pub fn new(notifier: Notifier) -> Self {
        Self { notifier }
    }
}

fn user(name: &str) -> Result<UserId, EventError> {
    UserId::from_name(name, "").ok_or_else(|| EventError::Malformed(format!("user {name:?}")))
}

fn when(time: Option<prost_types::Timestamp>) -> String {
    time.and_then(|time| jiff::Timestamp::new(time.seconds, 0).ok())
        .map(|time| time.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// The day before `check_in` at 09:00 in `zone`.
fn reminder_due(check_in: &property::Date, zone: &jiff::tz::TimeZone) -> Option<SystemTime> {
    let day = jiff::civil::Date::new(
        i16::try_from(check_in.year).ok()?,
        i8::try_from(check_in.month).ok()?,
        i8::try_from(check_in.day).ok()?,
    )
    .ok()?;
    let due = day
        .checked_sub(jiff::Span::new().days(1))
        .ok()?
        .at(9, 0, 0, 0)
        .to_zoned(zone.clone())
        .ok()?;
    Some(SystemTime::from(due.timestamp()))
}

/// How long before a viewing its reminder goes.
const VIEWING_REMINDER: Duration = Duration::from_secs(24 * 60 * 60);

fn instant(time: Option<prost_types::Timestamp>) -> Option<jiff::Timestamp> {
    let time = time?;
    jiff::Timestamp::new(time.seconds, time.nanos).ok()
}

fn date(date: Option<&property::Date>) -> String {
    date.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

macro_rules! on {
    ($event:expr, $type:ty, |$payload:ident| $body:expr) => {
        if $event.is::<$type>() {
            let $payload = $event
                .payload::<$type>()
                .map_err(|err| HandlerError::permanent(err))?;
            return $body.await.map_err(HandlerError::from);
        }
    };
}

impl EventHandler for PlatformEventsHandler {
    /// The types `handle` below acts on, one `on!` each.
    fn wants(&self, event: &Event) -> bool {
        event.is::<identity::UserRegistered>()
            || event.is::<identity::EmailVerificationRequested>()
            || event.is::<identity::PasswordResetRequested>()
            || event.is::<identity::UserDeleted>()
            || event.is::<identity::UserStateChanged>()
            || event.is::<identity::SignedIn>()
            || event.is::<identity::MfaChanged>()
            || event.is::<messaging::UnreadReminder>()
            || event.is::<property::PropertyListed>()
            || event.is::<property::PropertyUpdated>()
            || event.is::<property::PropertyModerated>()
            || event.is::<moderation::CaseDecided>()
            || event.is::<booking::BookingRequested>()
            || event.is::<booking::BookingConfirmed>()
            || event.is::<booking::BookingDeclined>()
            || event.is::<booking::BookingExpired>()
            || event.is::<booking::BookingPaymentFailed>()
            || event.is::<booking::BookingCancelled>()
            || event.is::<payment::PaymentRefunded>()
            || event.is::<payment::PayoutPaid>()
            || event.is::<search::AlertMatched>()
            || event.is::<review::ReviewPublished>()
            || event.is::<review::ReviewResponded>()
            || event.is::<leads::LeadCreated>()
            || event.is::<leads::LeadAssigned>()
            || event.is::<leads::ViewingChanged>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let id = event.event_id();
        on!(event, identity::UserRegistered, |p| self.registered(tx, p));
        on!(event, identity::EmailVerificationRequested, |p| {
            self.token_mail(
                tx,
                id,
                &p.user,
                p.sealed_token,
                p.expire_time,
                "email_verification",
            )
        });
        on!(event, identity::PasswordResetRequested, |p| {
            self.token_mail(
                tx,
                id,
                &p.user,
                p.sealed_token,
                p.expire_time,
                "password_reset",
            )
        });
        on!(event, identity::UserDeleted, |p| self.deleted(tx, p));
        on!(event, identity::UserStateChanged, |p| self
            .account_state(tx, id, p));
        on!(event, identity::SignedIn, |p| self.signed_in(tx, id, p));
        on!(event, identity::MfaChanged, |p| {
            let template = if p.enabled {
                "mfa_enabled"
            } else {
                "mfa_disabled"
            };
            self.security(
                tx,
                id,
                &p.user,
                template,
                json!({"when": when(p.change_time)}),
            )
        });
        on!(event, messaging::UnreadReminder, |p| self
            .unread_messages(tx, id, p));
        on!(event, property::PropertyListed, |p| self
            .listing(tx, p.property));
        on!(event, property::PropertyUpdated, |p| self
            .listing(tx, p.property));
        on!(event, property::PropertyModerated, |p| self
            .listing_moderated(tx, id, p));
        on!(event, moderation::CaseDecided, |p| self
            .case_decided(tx, id, p));
        on!(event, booking::BookingRequested, |p| self
            .requested(tx, id, p));
        on!(event, booking::BookingConfirmed, |p| self
            .confirmed(tx, id, p));
        on!(event, booking::BookingDeclined, |p| {
            self.booking(
                tx,
                id,
                p.booking,
                Value::Null,
                &[(Party::Guest, "booking_declined")],
            )
        });
        on!(event, booking::BookingExpired, |p| {
            self.ended(
                tx,
                id,
                p.booking,
                json!({"reason": p.reason}),
                &[(Party::Guest, "booking_expired")],
            )
        });
        on!(event, booking::BookingPaymentFailed, |p| {
            self.ended(
                tx,
                id,
                p.booking,
                Value::Null,
                &[
                    (Party::Guest, "booking_payment_failed"),
                    (Party::Host, "booking_payment_failed"),
                ],
            )
        });
        on!(event, booking::BookingCancelled, |p| {
            let by = match p.cancelled_by() {
                booking::booking_cancelled::CancelledBy::Host => "host",
                _ => "guest",
            };
            let extra = json!({
                "cancelled_by": by,
                "refund_amount": p.refund_amount,
                "refund_explanation": p.refund_explanation,
            });
            self.ended(
                tx,
                id,
                p.booking,
                extra,
                &[
                    (Party::Guest, "booking_cancelled"),
                    (Party::Host, "booking_cancelled"),
                ],
            )
        });
        on!(event, payment::PaymentRefunded, |p| self
            .refunded(tx, id, p));
        on!(event, payment::PayoutPaid, |p| self.payout(tx, id, p));
        on!(event, search::AlertMatched, |p| self.alert(tx, id, p));
        on!(event, review::ReviewPublished, |p| {
            self.review(tx, id, p.review, Reader::Reviewee, "review_received")
        });
        on!(event, review::ReviewResponded, |p| {
            self.review(tx, id, p.review, Reader::Author, "review_responded")
        });
        on!(event, leads::LeadCreated, |p| {
            self.lead(tx, id, p.lead, "lead_created")
        });
        on!(event, leads::LeadAssigned, |p| self.assigned(tx, id, p));
        // Booked and cancelled share a payload: the event's type tells them apart.
        on!(event, leads::ViewingChanged, |p| {
            self.viewing(tx, id, event.event_type(), p)
        });
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Party {
    Guest,
    Host,
}

/// Who hears about a review.
#[derive(Debug, Clone, Copy)]
enum Reader {
    /// Whom it is about.
    Reviewee,
    /// Who wrote it.
    Author,
}

/// How much of a review's text a notice quotes, in characters.
const REVIEW_EXCERPT: usize = 200;

/// The start of `text`, cut at a word where it is longer than [`REVIEW_EXCERPT`].
fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= REVIEW_EXCERPT {
        return text.to_owned();
    }
    let cut: String = text.chars().take(REVIEW_EXCERPT).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

impl PlatformEventsHandler {
    async fn registered(
        &self,
        tx: &mut AnyConnection,
        event: identity::UserRegistered,
    ) -> Result<(), EventError> {
        store::upsert_recipient_in(tx, user(&event.user)?, &event.email, SystemTime::now()).await?;
        Ok(())
    }

    async fn deleted(
        &self,
        tx: &mut AnyConnection,
        event: identity::UserDeleted,
    ) -> Result<(), EventError> {
        store::erase_user_in(tx, user(&event.user)?).await?;
        Ok(())
    }

    /// A verification or reset email: the token, opened here, goes by email only.
    async fn token_mail(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        user_name: &str,
        sealed: Option<identity::SealedSecret>,
        expire_time: Option<prost_types::Timestamp>,
        template: &'static str,
    ) -> Result<(), EventError> {
        let user = user(user_name)?;
        let Some(sealed) = sealed else {
            tracing::warn!(%user, template, "no sealed token in the event: nothing to mail");
            return Ok(());
        };
        let token = self
            .notifier
            .keys()
            .open(&sealed.key_id, &sealed.ciphertext)
            .await?;
        let notice = Notice {
            user,
            category: Category::Account,
            template,
            context: json!({"token": token, "expire_time": when(expire_time)}),
            link: String::new(),
            subject: user.name(),
            only: Some(&[Channel::Email]),
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// A sign-in from a device the account has not used before.
    async fn signed_in(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: identity::SignedIn,
    ) -> Result<(), EventError> {
        let device = if event.user_agent.is_empty() {
            "an unknown device"
        } else {
            &event.user_agent
        };
        if !store::note_device_in(tx, user(&event.user)?, device, SystemTime::now()).await? {
            return Ok(());
        }
        let context = json!({
            "device": device,
            "address": event.client_address,
            "when": when(event.sign_in_time),
        });
        self.security(tx, event_id, &event.user, "new_sign_in", context)
            .await
    }

    /// A security message: by email and in the inbox, whatever the preferences.
    async fn security(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        user_name: &str,
        template: &'static str,
        context: Value,
    ) -> Result<(), EventError> {
        let user = user(user_name)?;
        let notice = Notice {
            user,
            category: Category::Account,
            template,
            context,
            link: "/account/security".to_owned(),
            subject: user.name(),
            only: Some(&[Channel::Email, Channel::InApp]),
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// Someone not connected has unread messages (the messaging service decides when, at
    /// most once per conversation every few minutes).
    async fn unread_messages(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        reminder: messaging::UnreadReminder,
    ) -> Result<(), EventError> {
        let recipient = user(&reminder.recipient)?;
        let notice = Notice {
            user: recipient,
            category: Category::Messages,
            template: "unread_messages",
            context: json!({
                "unread_count": reminder.unread_count,
                "preview": reminder.preview,
                "listing_title": reminder.listing_title,
            }),
            link: format!("/{}", reminder.conversation),
            subject: reminder.conversation,
            only: None,
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    async fn listing(
        &self,
        tx: &mut AnyConnection,
        property: Option<property::Property>,
    ) -> Result<(), EventError> {
        let property = property.ok_or_else(|| EventError::Malformed("no property".to_owned()))?;
        store::upsert_listing_in(tx, &property.name, &property.title, SystemTime::now()).await?;
        Ok(())
    }

    async fn requested(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: booking::BookingRequested,
    ) -> Result<(), EventError> {
        // An instant booking is confirmed a moment later: that is the news worth sending.
        if event.instant_book {
            return Ok(());
        }
        self.booking(
            tx,
            event_id,
            event.booking,
            Value::Null,
            &[
                (Party::Guest, "booking_requested_guest"),
                (Party::Host, "booking_requested_host"),
            ],
        )
        .await
    }

    /// The booking's details for the templates.
    async fn booking_details(
        &self,
        tx: &mut AnyConnection,
        facts: &booking::BookingFacts,
        extra: Value,
    ) -> Result<Value, EventError> {
        let title = store::listing_title_in(tx, &facts.property)
            .await?
            .unwrap_or_else(|| "your listing".to_owned());
        let mut details = json!({
            "id": facts.booking.rsplit('/').next().unwrap_or_default(),
            "title": title,
            "check_in": date(facts.check_in.as_ref()),
            "check_out": date(facts.check_out.as_ref()),
            "total_amount": facts.total_amount,
            "currency_code": facts.currency_code,
            "refund_amount": 0,
            "cancelled_by": "",
            "refund_explanation": "",
            "reason": "",
        });
        if let (Value::Object(details), Value::Object(extra)) = (&mut details, extra) {
            details.extend(extra);
        }
        Ok(details)
    }

    /// One notice per party about a booking.
    async fn booking(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        facts: Option<booking::BookingFacts>,
        extra: Value,
        parties: &[(Party, &'static str)],
    ) -> Result<(), EventError> {
        let facts = facts.ok_or_else(|| EventError::Malformed("no booking".to_owned()))?;
        let details = self.booking_details(tx, &facts, extra).await?;
        self.tell_parties(
            tx,
            event_id,
            &facts.booking,
            &facts.guest,
            &facts.host,
            &details,
            parties,
        )
        .await
    }

    /// Tells each party of `booking` with its template.
    #[allow(clippy::too_many_arguments)]
    async fn tell_parties(
        &self,
        tx: &mut AnyConnection,
        cause: &str,
        booking: &str,
        guest: &str,
        host: &str,
        details: &Value,
        parties: &[(Party, &'static str)],
    ) -> Result<(), EventError> {
        for (party, template) in parties {
            let recipient = match party {
                Party::Guest => guest,
                Party::Host => host,
            };
            let notice = Notice {
                user: user(recipient)?,
                category: Category::Bookings,
                template,
                context: json!({"booking": details}),
                link: format!("/{booking}"),
                subject: booking.to_owned(),
                only: None,
                cause: cause.to_owned(),
            };
            self.notifier.notify(tx, notice).await?;
        }
        Ok(())
    }

    /// A confirmed booking: both parties are told, and the check-in reminder is scheduled for
    /// the day before at 09:00 in the guest's time zone.
    async fn confirmed(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: booking::BookingConfirmed,
    ) -> Result<(), EventError> {
        let facts = event
            .booking
            .ok_or_else(|| EventError::Malformed("no booking".to_owned()))?;
        let details = self.booking_details(tx, &facts, Value::Null).await?;
        self.tell_parties(
            tx,
            event_id,
            &facts.booking,
            &facts.guest,
            &facts.host,
            &details,
            &[
                (Party::Guest, "booking_confirmed_guest"),
                (Party::Host, "booking_confirmed_host"),
            ],
        )
        .await?;
        let guest = user(&facts.guest)?;
        let (preferences, _) = store::preferences_in(tx, guest).await?;
        let Some(due) = facts
            .check_in
            .as_ref()
            .and_then(|day| reminder_due(day, &preferences.zone()))
        else {
            return Err(EventError::Malformed("no valid check-in date".to_owned()));
        };
        let reminder = Reminder {
            kind: ReminderKind::CheckIn,
            subject: facts.booking.clone(),
            guest: Some(guest),
            host: user(&facts.host)?,
            details,
        };
        store::schedule_reminder_in(tx, &reminder, due).await?;
        Ok(())
    }

    /// A booking that ended early: both parties are told and its reminder is dropped.
    async fn ended(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        facts: Option<booking::BookingFacts>,
        extra: Value,
        parties: &[(Party, &'static str)],
    ) -> Result<(), EventError> {
        if let Some(facts) = &facts {
            store::cancel_reminder_in(tx, &facts.booking).await?;
        }
        self.booking(tx, event_id, facts, extra, parties).await
    }

    async fn refunded(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: payment::PaymentRefunded,
    ) -> Result<(), EventError> {
        let facts = event
            .payment
            .ok_or_else(|| EventError::Malformed("no payment".to_owned()))?;
        let notice = Notice {
            user: user(&facts.payer)?,
            category: Category::Bookings,
            template: "payment_refunded",
            context: json!({"payment": {
                "refunded_amount": event.refunded_amount,
                "currency_code": facts.currency_code,
            }}),
            // A deposit's refund names its reservation instead of a booking.
            link: if facts.booking.is_empty() {
                format!("/{}", facts.reservation)
            } else {
                format!("/{}", facts.booking)
            },
            subject: facts.payment.clone(),
            only: None,
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    async fn payout(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: payment::PayoutPaid,
    ) -> Result<(), EventError> {
        let notice = Notice {
            user: user(&event.host)?,
            category: Category::Bookings,
            template: "payout_paid",
            context: json!({"payout": {
                "amount": event.amount,
                "currency_code": event.currency_code,
            }}),
            link: format!("/{}", event.booking),
            subject: event.payout.clone(),
            only: None,
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// A saved-search match: in the inbox now; by email now or in the next digest, as the
    /// user chose.
    async fn alert(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: search::AlertMatched,
    ) -> Result<(), EventError> {
        let user = user(&event.user)?;
        let reason = match event.reason() {
            search::AlertReason::PriceDrop => "price drop",
            search::AlertReason::DatesOpened => "dates opened",
            _ => "new listing",
        };
        let link = format!("/{}", event.property);
        let alert = json!({
            "title": event.title,
            "price": event.price,
            "currency_code": event.currency_code,
            "reason": reason,
            "link": self.notifier.url(&link),
        });
        let (preferences, _) = store::preferences_in(tx, user).await?;
        let immediate = preferences.alert_digest == Digest::Immediate;
        if !immediate {
            let pending = AlertMatch {
                id: uuid::Uuid::now_v7(),
                saved_search: event.saved_search.clone(),
                property: event.property.clone(),
                title: event.title.clone(),
                price: event.price,
                currency_code: event.currency_code.clone(),
                reason: reason.to_owned(),
            };
            store::insert_alert_match_in(tx, user, event_id, &pending, SystemTime::now()).await?;
        }
        let notice = Notice {
            user,
            category: Category::Alerts,
            template: "alert_matched",
            context: json!({"alert": alert}),
            link,
            subject: event.saved_search.clone(),
            only: Some(if immediate {
                &[Channel::InApp, Channel::Email, Channel::Sms, Channel::Push]
            } else {
                &[Channel::InApp]
            }),
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// A review published (to its reviewee) or answered (to its author).
    async fn review(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        review: Option<review::Review>,
        reader: Reader,
        template: &'static str,
    ) -> Result<(), EventError> {
        let review = review.ok_or_else(|| EventError::Malformed("no review".to_owned()))?;
        let recipient = match reader {
            Reader::Reviewee => &review.reviewee,
            Reader::Author => &review.author,
        };
        if recipient.is_empty() {
            tracing::debug!(
                review = review.name,
                ?reader,
                "nobody to tell about the review"
            );
            return Ok(());
        }
        let recipient = user(recipient)?;
        let kind = match review.kind() {
            review::review::Kind::Host => "host",
            review::review::Kind::Agent => "agent",
            _ => "guest",
        };
        let listing_title = if review.listing.is_empty() {
            None
        } else {
            store::listing_title_in(tx, &review.listing).await?
        };
        let notice = Notice {
            user: recipient,
            category: Category::Bookings,
            template,
            context: json!({"review": {
                "id": review.name.rsplit('/').next().unwrap_or_default(),
                "kind": kind,
                "rating": review.rating,
                "listing_title": listing_title.unwrap_or_default(),
                "excerpt": excerpt(&review.text),
                "response": review.response.map(|r| excerpt(&r.text)).unwrap_or_default(),
            }}),
            link: format!("/{}", review.name),
            subject: review.name,
            only: None,
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// An operator suspended (until when, why), banned or reinstated an account: a security
    /// message to its owner, whatever the preferences. Suspending a suspended account moves the
    /// end, which the owner hears; banning a banned account or reinstating an active one changes
    /// nothing they need to know.
    async fn account_state(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: identity::UserStateChanged,
    ) -> Result<(), EventError> {
        use identity::user::State;
        let state = State::try_from(event.state).unwrap_or(State::Unspecified);
        if event.previous_state == event.state && state != State::Suspended {
            return Ok(());
        }
        let template = match state {
            State::Suspended => "account_suspended",
            State::Banned => "account_banned",
            State::Active => "account_reinstated",
            State::Unspecified => return Ok(()),
        };
        let context = json!({"until": when(event.suspend_end_time), "reason": event.reason});
        self.security(tx, event_id, &event.user, template, context)
            .await
    }

    /// A moderator's decision about a listing, told to its owner: approved, rejected (why) or
    /// taken down (why). A hold by the automatic checks (no actor, pending review) is not told:
    /// the owner hears the moderator's decision instead.
    async fn listing_moderated(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: property::PropertyModerated,
    ) -> Result<(), EventError> {
        use property::property::State;
        let listing = event
            .property
            .ok_or_else(|| EventError::Malformed("no listing".to_owned()))?;
        let template = match State::try_from(listing.state) {
            Ok(State::Published) => "listing_approved",
            Ok(State::Rejected) => "listing_rejected",
            Ok(State::TakenDown) => "listing_taken_down",
            // Held for review by the automatic checks, or nothing an owner is told about.
            _ => return Ok(()),
        };
        let notice = Notice {
            user: user(&listing.owner)?,
            category: Category::Account,
            template,
            context: json!({"listing": {"title": listing.title, "reason": event.reason}}),
            link: format!("/{}", listing.name),
            subject: listing.name,
            only: Some(&[Channel::Email, Channel::InApp]),
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// A decided moderation case: each reporter hears the outcome, and a warned account the
    /// warning.
    async fn case_decided(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: moderation::CaseDecided,
    ) -> Result<(), EventError> {
        let case = event
            .case
            .ok_or_else(|| EventError::Malformed("no case".to_owned()))?;
        // What it is, with and without an article.
        let (target_kind, target) = match case.target.split('/').next().unwrap_or_default() {
            "properties" => ("a listing", "listing"),
            "users" => ("an account", "account"),
            "conversations" => ("a conversation", "conversation"),
            "reviews" => ("a review", "review"),
            _ => ("a file", "file"),
        };
        let account = target == "account";
        let decision = moderation::Decision::try_from(case.decision)
            .unwrap_or(moderation::Decision::Unspecified);
        let outcome = match decision {
            moderation::Decision::Dismiss => "found nothing against the rules",
            moderation::Decision::Warn if account => "warned its owner",
            moderation::Decision::Warn => "warned its author",
            moderation::Decision::RemoveContent => "removed it",
            moderation::Decision::SuspendUser if account => "suspended it",
            moderation::Decision::SuspendUser => "suspended the account behind it",
            moderation::Decision::BanUser if account => "closed it",
            moderation::Decision::BanUser => "closed the account behind it",
            moderation::Decision::Unspecified => return Ok(()),
        };
        let context = json!({"moderation": {
            "target_kind": target_kind,
            "target": target,
            "outcome": outcome,
            "reason": case.decision_reason,
        }});
        // The warned account is shown what it was warned about; reporters their reports.
        let mut told = Vec::new();
        if decision == moderation::Decision::Warn && !case.subject.is_empty() {
            told.push((
                case.subject.clone(),
                "moderation_warning",
                format!("/{}", case.target),
            ));
        }
        told.extend(event.reporters.iter().map(|reporter| {
            (
                reporter.clone(),
                "report_decided",
                "/account/reports".to_owned(),
            )
        }));
        for (recipient, template, link) in told {
            let notice = Notice {
                user: user(&recipient)?,
                category: Category::Account,
                template,
                context: context.clone(),
                link,
                subject: case.name.clone(),
                only: Some(&[Channel::Email, Channel::InApp]),
                cause: event_id.to_owned(),
            };
            self.notifier.notify(tx, notice).await?;
        }
        Ok(())
    }

    /// A lead made (`lead_created`) or given to an agent (`lead_assigned`): the lead's agent
    /// hears who asked about which listing, and what they wrote.
    async fn lead(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        lead: Option<leads::Lead>,
        template: &'static str,
    ) -> Result<(), EventError> {
        let lead = lead.ok_or_else(|| EventError::Malformed("no lead".to_owned()))?;
        let contact = lead.contact.unwrap_or_default();
        // An inquiry is a message from someone: the agent's `messages` choices apply (there is
        // no category of leads' own: one would be a change to the contract's `Category`).
        let notice = Notice {
            user: user(&lead.agent)?,
            category: Category::Messages,
            template,
            context: json!({"lead": {
                "id": lead.name.rsplit('/').next().unwrap_or_default(),
                "listing_title": lead.listing_title,
                "contact_name": contact.display_name,
                "message": excerpt(&lead.last_message),
            }}),
            link: format!("/{}", lead.name),
            subject: lead.name,
            only: None,
            cause: event_id.to_owned(),
        };
        Ok(self.notifier.notify(tx, notice).await?)
    }

    /// A lead given to another agent: the new agent hears of it (the one who held it knows).
    async fn assigned(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event: leads::LeadAssigned,
    ) -> Result<(), EventError> {
        if event
            .lead
            .as_ref()
            .is_some_and(|lead| lead.agent == event.previous_agent)
        {
            return Ok(()); // still theirs: nothing new
        }
        self.lead(tx, event_id, event.lead, "lead_assigned").await
    }

    /// A viewing booked (`lead.viewing_booked`) or cancelled (`lead.viewing_cancelled`): the
    /// agent and the person who asked hear it, and the reminder is scheduled for 24 hours
    /// before (at once when it is sooner) or dropped. Booking another slot for the lead comes
    /// as the old one cancelled, then the new one booked (one lead's events stay in order),
    /// and replaces the reminder.
    async fn viewing(
        &self,
        tx: &mut AnyConnection,
        event_id: &str,
        event_type: &str,
        event: leads::ViewingChanged,
    ) -> Result<(), EventError> {
        let booked = match event_type {
            "lead.viewing_booked" => true,
            "lead.viewing_cancelled" => false,
            _ => return Ok(()),
        };
        let slot = event
            .viewing_slot
            .ok_or_else(|| EventError::Malformed("no viewing slot".to_owned()))?;
        // `users/{agent}/viewingSlots/{slot}`: the agent shows the listing.
        let agent = slot
            .name
            .split_once("/viewingSlots/")
            .map(|(agent, _)| agent)
            .ok_or_else(|| EventError::Malformed(format!("viewing slot {:?}", slot.name)))?;
        let agent = user(agent)?;
        let (Some(start), Some(end)) = (instant(slot.start_time), instant(slot.end_time)) else {
            return Err(EventError::Malformed(
                "a viewing without its times".to_owned(),
            ));
        };
        let contact = event.contact.unwrap_or_default();
        // Someone who asked without an account has no inbox and no preferences to honour: the
        // platform does not write to them. The agent has their address and phone in the lead.
        let visitor = if contact.user.is_empty() {
            None
        } else {
            Some(user(&contact.user)?)
        };
        let details = json!({
            "id": event.lead.rsplit('/').next().unwrap_or_default(),
            "listing_title": event.listing_title,
            "contact_name": contact.display_name,
            // RFC 3339: the templates' `local_time` shows them in each reader's time zone.
            "start_time": start.to_string(),
            "end_time": end.to_string(),
        });
        let (agent_template, visitor_template) = if booked {
            ("viewing_booked_agent", "viewing_booked_contact")
        } else {
            store::cancel_reminder_in(tx, &event.lead).await?;
            ("viewing_cancelled", "viewing_cancelled")
        };
        let told = [(Some(agent), agent_template), (visitor, visitor_template)];
        for (recipient, template) in told {
            let Some(recipient) = recipient else {
                continue;
            };
            let notice = Notice {
                user: recipient,
                category: Category::Bookings,
                template,
                context: json!({"viewing": details}),
                link: format!("/{}", event.lead),
                subject: event.lead.clone(),
                only: None,
                cause: event_id.to_owned(),
            };
            self.notifier.notify(tx, notice).await?;
        }
        let start = SystemTime::from(start);
        let now = SystemTime::now();
        // A viewing already begun (an old event replayed) needs no reminder.
        if booked && start > now {
            let due = start
                .checked_sub(VIEWING_REMINDER)
                .map_or(now, |due| due.max(now));
            let reminder = Reminder {
                kind: ReminderKind::Viewing,
                subject: event.lead.clone(),
                guest: visitor,
                host: agent,
                details,
            };
            store::replace_reminder_in(tx, &reminder, due).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_review_is_quoted_up_to_a_word_and_a_short_one_whole() {
        assert_eq!(excerpt("  Lovely place.  "), "Lovely place.");
        let long = "word ".repeat(100);
        let quoted = excerpt(&long);
        assert!(quoted.ends_with("word…"), "{quoted}");
        assert!(quoted.chars().count() <= REVIEW_EXCERPT + 1, "{quoted}");
        let unbroken = "é".repeat(300);
        assert_eq!(excerpt(&unbroken).chars().count(), REVIEW_EXCERPT + 1);
    }
}
