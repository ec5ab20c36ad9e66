//! What other services' events tell the moderation service, in one handler per producer topic:
//!
//! - content to check: listings as they are published, changed or sent for review
//!   (property), reviews as they are published (review);
//! - reports made elsewhere: a review reported in the review service, a conversation in
//!   messaging; they join the same queue as reports made here;
//! - administrative actions for the audit trail: suspensions, bans, role changes (identity),
//!   listing decisions (property), hidden and restored reviews (review);
//! - the platform's figures: accounts (identity), listings by state (property), confirmed
//!   bookings and their value (booking).

use std::time::{Duration, SystemTime};

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::messaging_v1 as messaging;
use estospaces_proto::property_v1 as property;
use estospaces_proto::review_v1 as review;
use serde_json::json;
use sqlx::AnyConnection;

use crate::domain::{self, Origin, Target};
use crate::rules::{self, ContentKind, RuleKind, Signals};
use crate::store::{AuditRecord, ModerationStore, NewCheck, NewReport};

/// The producers this service reads, by topic source name.
pub const SOURCES: [&str; 5] = ["identity", "property", "review", "messaging", "booking"];

/// A piece of content to check.
struct Content<'a> {
    target: &'a str,
    kind: ContentKind,
    /// The author's user id.
    author: String,
    text: &'a str,
    /// Whether it waits for a moderator anyway (a listing sent for review).
    for_review: bool,
}

/// Every producer's events, handled in the consumer's transaction.
#[derive(Debug, Clone, Copy)]
pub struct ModerationEvents {
    /// Content scoring this much or more is held.
    pub hold_threshold: i64,
}

fn payload<P: prost::Name + Default>(event: &Event) -> Result<P, HandlerError> {
    event.payload::<P>().map_err(HandlerError::permanent)
}

fn occurred(event: &Event) -> SystemTime {
    event
        .envelope
        .occurred_at
        .and_then(|t| SystemTime::try_from(t).ok())
        .unwrap_or_else(SystemTime::now)
}

fn user_id(name: &str) -> String {
    name.strip_prefix("users/").unwrap_or_default().to_owned()
}

fn listing_state_name(state: i32) -> &'static str {
    property::property::State::try_from(state).map_or("STATE_UNSPECIFIED", |s| s.as_str_name())
}

fn account_state_name(state: i32) -> &'static str {
    identity::user::State::try_from(state).map_or("STATE_UNSPECIFIED", |s| s.as_str_name())
}

/// An audit entry keyed by the event, so a replay appends nothing twice.
fn audit(event: &Event, actor: &str, action: &str, target: &str, reason: &str) -> AuditRecord {
    let mut entry =
        AuditRecord::new(actor, action, target, reason).with_id(event.event_id().to_owned());
    entry.created_at = occurred(event);
    entry
}

impl ModerationEvents {
    /// Scores the content and records the verdict; content for review goes to the queue
    /// whatever its score.
    async fn check(
        &self,
        tx: &mut AnyConnection,
        content: Content<'_>,
        now: SystemTime,
    ) -> Result<(), HandlerError> {
        let Content {
            target,
            kind,
            author,
            text,
            for_review: review,
        } = content;
        let author = author.as_str();
        let Some(target) = Target::parse(target) else {
            return Err(HandlerError::permanent(format!("not a target: {target:?}")));
        };
        let hash = rules::text_hash(text);
        // Unchanged text (an approved listing published again) is not checked twice.
        if !review
            && ModerationStore::last_text_hash_in(tx, &target.name).await? == Some(hash.clone())
        {
            return Ok(());
        }
        let rules = ModerationStore::enabled_rules_in(tx).await?;
        let mut signals = Signals::default();
        for rule in &rules {
            let since = now
                .checked_sub(rule.window)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            match rule.kind {
                RuleKind::DuplicateText => signals.duplicated_by_rule.push((
                    rule.id.clone(),
                    ModerationStore::duplicated_in(tx, &hash, author, since).await?,
                )),
                RuleKind::Velocity => signals.recent_count_by_rule.push((
                    rule.id.clone(),
                    // This item counts too.
                    ModerationStore::recent_count_in(tx, author, kind, since).await? + 1,
                )),
                _ => {}
            }
        }
        signals.account_age = ModerationStore::account_created_in(tx, author)
            .await?
            .map(|created| now.duration_since(created).unwrap_or(Duration::ZERO));
        let verdict = rules::check(&rules, kind, "", text, &signals);
        let hold = if review {
            Some(Origin::ListingReview)
        } else if verdict.score >= self.hold_threshold {
            Some(Origin::AutomaticCheck)
        } else {
            None
        };
        ModerationStore::record_check_in(
            tx,
            &NewCheck {
                target,
                kind,
                author: author.to_owned(),
                text_hash: hash,
                score: verdict.score,
                fired: verdict.fired,
                hold,
            },
            now,
        )
        .await?;
        Ok(())
    }

    async fn listing_state(
        tx: &mut AnyConnection,
        listing: &property::Property,
    ) -> Result<(), HandlerError> {
        ModerationStore::set_listing_state_in(tx, &listing.name, listing_state_name(listing.state))
            .await?;
        Ok(())
    }

    async fn identity(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if event.is::<identity::UserRegistered>() {
            let e: identity::UserRegistered = payload(event)?;
            let at = e
                .create_time
                .and_then(|t| SystemTime::try_from(t).ok())
                .unwrap_or_else(|| occurred(event));
            ModerationStore::account_registered_in(tx, &user_id(&e.user), at).await?;
            ModerationStore::count_in(tx, at, "new_users", "", 1).await?;
        } else if event.is::<identity::UserDeleted>() {
            let e: identity::UserDeleted = payload(event)?;
            ModerationStore::account_deleted_in(tx, &user_id(&e.user)).await?;
        } else if event.is::<identity::UserStateChanged>() {
            let e: identity::UserStateChanged = payload(event)?;
            let state = identity::user::State::try_from(e.state);
            let action = match state {
                Ok(identity::user::State::Suspended) => "identity.suspend_user",
                Ok(identity::user::State::Banned) => "identity.ban_user",
                _ => "identity.reinstate_user",
            };
            let end = e
                .suspend_end_time
                .map(|t| prost_types::Timestamp::to_string(&t))
                .unwrap_or_default();
            let entry = audit(event, &user_id(&e.actor), action, &e.user, &e.reason).states(
                json!({ "state": account_state_name(e.previous_state) }),
                json!({ "state": account_state_name(e.state), "suspend_end_time": end }),
            );
            ModerationStore::audit_in(tx, &entry).await?;
        } else if event.is::<identity::RolesChanged>() {
            let e: identity::RolesChanged = payload(event)?;
            let roles: Vec<&str> = e
                .roles
                .iter()
                .map(|r| {
                    identity::Role::try_from(*r).map_or("ROLE_UNSPECIFIED", |r| r.as_str_name())
                })
                .collect();
            let entry = audit(
                event,
                &user_id(&e.actor),
                "identity.change_roles",
                &e.user,
                "",
            )
            .states(json!({}), json!({ "roles": roles }));
            ModerationStore::audit_in(tx, &entry).await?;
        }
        Ok(())
    }

    async fn property(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let now = occurred(event);
        let listing_text = |p: &property::Property| format!("{}\n{}", p.title, p.description);
        if event.is::<property::PropertyReviewRequested>() {
            let e: property::PropertyReviewRequested = payload(event)?;
            let listing = e.property.unwrap_or_default();
            Self::listing_state(tx, &listing).await?;
            let text = listing_text(&listing);
            self.check(
                tx,
                Content {
                    target: &listing.name,
                    kind: ContentKind::Listing,
                    author: user_id(&listing.owner),
                    text: &text,
                    for_review: true,
                },
                now,
            )
            .await?;
        } else if event.is::<property::PropertyListed>() {
            let e: property::PropertyListed = payload(event)?;
            let listing = e.property.unwrap_or_default();
            let before =
                ModerationStore::set_listing_state_in(tx, &listing.name, "STATE_PUBLISHED").await?;
            if before.as_deref() != Some("STATE_PUBLISHED") {
                ModerationStore::count_in(tx, now, "listings_published", "", 1).await?;
            }
            let text = listing_text(&listing);
            self.check(
                tx,
                Content {
                    target: &listing.name,
                    kind: ContentKind::Listing,
                    author: user_id(&listing.owner),
                    text: &text,
                    for_review: false,
                },
                now,
            )
            .await?;
        } else if event.is::<property::PropertyUpdated>() {
            let e: property::PropertyUpdated = payload(event)?;
            let listing = e.property.unwrap_or_default();
            Self::listing_state(tx, &listing).await?;
            let public = listing.state == property::property::State::Published as i32;
            let text_changed = e
                .changed_fields
                .iter()
                .any(|f| f == "title" || f == "description");
            if public && text_changed {
                let text = listing_text(&listing);
                self.check(
                    tx,
                    Content {
                        target: &listing.name,
                        kind: ContentKind::Listing,
                        author: user_id(&listing.owner),
                        text: &text,
                        for_review: false,
                    },
                    now,
                )
                .await?;
            }
        } else if event.is::<property::PropertyUnlisted>() {
            let e: property::PropertyUnlisted = payload(event)?;
            Self::listing_state(tx, &e.property.unwrap_or_default()).await?;
        } else if event.is::<property::PropertyModerated>() {
            let e: property::PropertyModerated = payload(event)?;
            let listing = e.property.unwrap_or_default();
            Self::listing_state(tx, &listing).await?;
            let action = match property::property::State::try_from(listing.state) {
                Ok(property::property::State::Published) => "property.approve",
                Ok(property::property::State::Rejected) => "property.reject",
                Ok(property::property::State::PendingReview) => "property.hold",
                _ => "property.take_down",
            };
            let entry = audit(event, &user_id(&e.actor), action, &listing.name, &e.reason).states(
                json!({ "state": listing_state_name(e.previous_state) }),
                json!({ "state": listing_state_name(listing.state) }),
            );
            ModerationStore::audit_in(tx, &entry).await?;
        }
        Ok(())
    }

    async fn review(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if event.is::<review::ReviewPublished>() {
            let e: review::ReviewPublished = payload(event)?;
            let r = e.review.unwrap_or_default();
            self.check(
                tx,
                Content {
                    target: &r.name,
                    kind: ContentKind::Review,
                    author: user_id(&r.author),
                    text: &r.text,
                    for_review: false,
                },
                occurred(event),
            )
            .await?;
        } else if event.is::<review::ReviewReported>() {
            let e: review::ReviewReported = payload(event)?;
            let Some(target) = Target::parse(&e.review) else {
                return Err(HandlerError::permanent(format!(
                    "not a review: {:?}",
                    e.review
                )));
            };
            let report = NewReport {
                target,
                subject: String::new(),
                reason: domain::reason_from_elsewhere(&e.reason),
                details: e.details,
                reporter: user_id(&e.reporter),
            };
            ModerationStore::create_report_in(tx, &report, occurred(event)).await?;
        } else if event.is::<review::ReviewModerated>() {
            let e: review::ReviewModerated = payload(event)?;
            let r = e.review.unwrap_or_default();
            let hidden = event.event_type() == "review.hidden";
            let (action, before, after) = if hidden {
                ("review.hide", "published", "hidden")
            } else {
                ("review.restore", "hidden", "published")
            };
            let entry = audit(event, &user_id(&e.moderator), action, &r.name, &e.reason)
                .states(json!({ "state": before }), json!({ "state": after }));
            ModerationStore::audit_in(tx, &entry).await?;
        }
        Ok(())
    }

    async fn messaging(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if event.is::<messaging::ReportCreated>() {
            let e: messaging::ReportCreated = payload(event)?;
            let report = e.report.unwrap_or_default();
            let Some(target) = Target::parse(&e.conversation) else {
                return Err(HandlerError::permanent(format!(
                    "not a conversation: {:?}",
                    e.conversation
                )));
            };
            let reason = messaging::report::Reason::try_from(report.reason)
                .map_or("REASON_OTHER", |r| r.as_str_name());
            let details = if report.subject == target.name {
                report.details
            } else {
                format!("{}\n(about {})", report.details, report.subject)
            };
            let new = NewReport {
                target,
                subject: user_id(&e.reported_user),
                reason: domain::reason_from_elsewhere(reason),
                details,
                reporter: user_id(&report.reporter),
            };
            ModerationStore::create_report_in(tx, &new, occurred(event)).await?;
        }
        Ok(())
    }

    async fn booking(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if event.is::<booking::BookingConfirmed>() {
            let e: booking::BookingConfirmed = payload(event)?;
            let facts = e.booking.unwrap_or_default();
            let at = occurred(event);
            ModerationStore::count_in(tx, at, "bookings_confirmed", "", 1).await?;
            ModerationStore::count_in(
                tx,
                at,
                "gross_booking_value",
                &facts.currency_code,
                facts.total_amount,
            )
            .await?;
            ModerationStore::count_in(
                tx,
                at,
                "platform_revenue",
                &facts.currency_code,
                facts.platform_fee,
            )
            .await?;
        }
        Ok(())
    }
}

impl EventHandler for ModerationEvents {
    /// The types the functions above act on.
    fn wants(&self, event: &Event) -> bool {
        event.is::<identity::UserRegistered>()
            || event.is::<identity::UserDeleted>()
            || event.is::<identity::UserStateChanged>()
            || event.is::<identity::RolesChanged>()
            || event.is::<property::PropertyReviewRequested>()
            || event.is::<property::PropertyListed>()
            || event.is::<property::PropertyUpdated>()
            || event.is::<property::PropertyUnlisted>()
            || event.is::<property::PropertyModerated>()
            || event.is::<review::ReviewPublished>()
            || event.is::<review::ReviewReported>()
            || event.is::<review::ReviewModerated>()
            || event.is::<messaging::ReportCreated>()
            || event.is::<booking::BookingConfirmed>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let source = event.event_type().split('.').next().unwrap_or_default();
        match source {
            "identity" => self.identity(tx, event).await,
            "property" => self.property(tx, event).await,
            "review" => self.review(tx, event).await,
            "messaging" => self.messaging(tx, event).await,
            "booking" => self.booking(tx, event).await,
            _ => Ok(()),
        }
    }
}
