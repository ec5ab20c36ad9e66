//! The workers behind the queue: the sender, which takes due deliveries and hands them to
//! their channel, and the digest maker, which gathers saved-search matches into one email.
//!
//! A delivery is taken with a lease (so replicas share the queue and a sender that died lets
//! go), sent, and recorded as sent; a failure is retried with exponential backoff and, after
//! `max_attempts`, dead-lettered with an event. A crash between sending and recording sends
//! that message again: delivery is at least once.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_events::NewEvent;
use estospaces_host::Stopping;
use estospaces_proto::notification_v1::DeliveryDeadLettered;
use serde_json::json;
use tokio::sync::Notify;

use crate::channels::{Email, Mailer, SendError, SmsProvider};
use crate::domain::{Category, Channel, Digest};
use crate::notify::{Notice, Notifier};
use crate::push::{self, PushProvider};
use crate::store::{self, DeliveryRecord, NotificationStore, ReminderKind};

/// How long a sender holds a delivery it took; another may take it after.
const LEASE: Duration = Duration::from_secs(60);

/// Deliveries taken in one pass.
const BATCH: i64 = 32;

/// How the sender retries and limits.
#[derive(Debug, Clone)]
pub struct SendPolicy {
    pub max_attempts: u32,
    pub retry_delay: Duration,
    pub max_retry_delay: Duration,
    pub hourly_limit: u32,
    pub interval: Duration,
}

impl SendPolicy {
    /// The wait after the `attempts`-th failure: doubling, capped, with up to 20% jitter so
    /// a burst of failures does not retry in lockstep.
    fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self
            .retry_delay
            .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)));
        let capped = doubled.min(self.max_retry_delay);
        capped + capped.mul_f64(fastrand::f64() * 0.2)
    }
}

/// Takes due deliveries and sends them.
#[derive(Debug, Clone)]
pub struct Sender {
    store: NotificationStore,
    mailer: Arc<dyn Mailer>,
    sms: Arc<dyn SmsProvider>,
    push: Arc<dyn PushProvider>,
    policy: SendPolicy,
    wake: Arc<Notify>,
}

impl Sender {
    pub fn new(
        store: NotificationStore,
        mailer: Arc<dyn Mailer>,
        sms: Arc<dyn SmsProvider>,
        push: Arc<dyn PushProvider>,
        policy: SendPolicy,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            mailer,
            sms,
            push,
            policy,
            wake,
        }
    }

    /// Sends until the service stops, waking when a notice queued something or every
    /// `interval`.
    pub async fn run(self, stopping: Stopping) {
        let mut stopping = stopping.into_receiver();
        loop {
            if *stopping.borrow() {
                return;
            }
            match self.send_due().await {
                // A full batch: there may be more.
                Ok(sent) if sent as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!("sending notifications: {err:#}"),
            }
            tokio::select! {
                _ = stopping.changed() => {}
                () = self.wake.notified() => {
                    // Woken from inside the notice's transaction: let it commit.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                () = tokio::time::sleep(self.policy.interval) => {}
            }
        }
    }

    /// One pass over the due deliveries; how many were taken.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let now = SystemTime::now();
        let due = self.store.claim_due(now, LEASE, BATCH).await?;
        let taken = due.len();
        for delivery in due {
            // Sent only while this sender holds it: after a slow pass, another may have it.
            if SystemTime::now() >= now + LEASE {
                break;
            }
            self.send_one(delivery).await?;
        }
        Ok(taken)
    }

    async fn send_one(&self, delivery: DeliveryRecord) -> anyhow::Result<()> {
        let now = SystemTime::now();
        if !delivery.category.is_essential() {
            if let Some(why) = self.over_limit(&delivery, now).await? {
                self.store.mark_skipped(delivery.id, &why).await?;
                return Ok(());
            }
            if matches!(delivery.channel, Channel::Sms | Channel::Push) {
                let (preferences, _) = self.store.preferences(delivery.user).await?;
                if let Some(until) = preferences.quiet_until(now) {
                    self.store.defer(delivery.id, until).await?;
                    return Ok(());
                }
            }
        }
        let result = match delivery.channel {
            Channel::Email => {
                let email = Email {
                    id: delivery.id.to_string(),
                    to: delivery.address.clone(),
                    subject: delivery.title.clone(),
                    text: delivery.text_body.clone(),
                    html: delivery.html_body.clone(),
                    unsubscribe_url: delivery.unsubscribe_url.clone(),
                };
                self.mailer.send(&email).await
            }
            Channel::Sms => self
                .sms
                .send(&delivery.address, &delivery.text_body)
                .await
                .map(|_| ()),
            Channel::Push => self.push(&delivery).await?,
            Channel::InApp => Err(SendError::Permanent(
                "the inbox has no sender: it is written when the notice is made".to_owned(),
            )),
        };
        let channel = delivery.channel.as_str();
        match result {
            Ok(()) => {
                self.store.mark_sent(&delivery, SystemTime::now()).await?;
                metrics::counter!("estospaces_notification_deliveries_total", "channel" => channel, "outcome" => "sent").increment(1);
            }
            Err(SendError::Gone(why)) => {
                // The browser dropped the subscription: forget it, and this message with it.
                if let Ok(id) = delivery.address.parse() {
                    self.store
                        .delete_push_subscription(delivery.user, id)
                        .await?;
                }
                self.store.mark_skipped(delivery.id, &why).await?;
                metrics::counter!("estospaces_notification_deliveries_total", "channel" => channel, "outcome" => "gone").increment(1);
            }
            Err(err) => {
                let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
                let retry_at = match &err {
                    SendError::Transient(_) if attempts < self.policy.max_attempts => {
                        Some(SystemTime::now() + self.policy.backoff(attempts))
                    }
                    _ => None,
                };
                let outcome = if retry_at.is_some() {
                    "retried"
                } else {
                    "dead_lettered"
                };
                tracing::warn!(delivery = %delivery.id, channel, attempts, outcome, "sending failed: {err}");
                metrics::counter!("estospaces_notification_deliveries_total", "channel" => channel, "outcome" => outcome).increment(1);
                let error = err.to_string();
                self.store
                    .mark_failed(&delivery, &error, retry_at, || {
                        dead_letter(&delivery, &error)
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends a push delivery to its subscription, if the subscription still exists.
    async fn push(&self, delivery: &DeliveryRecord) -> anyhow::Result<Result<(), SendError>> {
        let subscription = match delivery.address.parse() {
            Ok(id) => self.store.push_subscription(id).await?,
            Err(_) => None,
        };
        let Some(subscription) = subscription else {
            return Ok(Err(SendError::Gone(
                "the push subscription was removed".to_owned(),
            )));
        };
        let keys = push::parse_p256dh(&subscription.p256dh_key)
            .and_then(|p256dh| Ok((p256dh, push::parse_auth(&subscription.auth_key)?)));
        let Ok((p256dh, auth)) = keys else {
            return Ok(Err(SendError::Gone(
                "the push subscription's keys are unusable".to_owned(),
            )));
        };
        let target = push::Subscription {
            endpoint: subscription.endpoint,
            p256dh,
            auth,
        };
        Ok(self.push.send(&target, delivery.text_body.as_bytes()).await)
    }

    /// Why `delivery` would exceed its recipient's hourly limit, if it would.
    async fn over_limit(
        &self,
        delivery: &DeliveryRecord,
        now: SystemTime,
    ) -> anyhow::Result<Option<String>> {
        let hour_ago = now - Duration::from_secs(3600);
        let sent = self
            .store
            .sent_since(delivery.user, delivery.channel, hour_ago)
            .await?;
        let limit = i64::from(self.policy.hourly_limit);
        Ok((sent >= limit).then(|| {
            format!(
                "rate limited: {sent} {} messages to this recipient in the last hour",
                delivery.channel.as_str()
            )
        }))
    }
}

fn dead_letter(delivery: &DeliveryRecord, error: &str) -> NewEvent {
    let name = format!("{}/deliveries/{}", delivery.user.name(), delivery.id);
    NewEvent::new(
        "notification.delivery_dead_lettered",
        "delivery",
        delivery.user.name(),
        &DeliveryDeadLettered {
            delivery: name,
            channel: delivery.channel.to_proto() as i32,
            template: delivery.template.clone(),
            error: error.to_owned(),
        },
    )
}

/// Gathers each user's pending saved-search matches into a digest email, at most once per
/// the period they chose; the first match after a quiet period is mailed at the next round.
#[derive(Debug, Clone)]
pub struct Digests {
    store: NotificationStore,
    notifier: Notifier,
    interval: Duration,
}

impl Digests {
    pub fn new(store: NotificationStore, notifier: Notifier, interval: Duration) -> Self {
        Self {
            store,
            notifier,
            interval,
        }
    }

    pub async fn run(self) {
        let mut ticker = tokio::time::interval(self.interval);
        loop {
            ticker.tick().await;
            if let Err(err) = self.make_due().await {
                tracing::warn!("making alert digests: {err:#}");
            }
        }
    }

    /// One round: a digest for each user whose period has passed; how many were made.
    pub async fn make_due(&self) -> anyhow::Result<usize> {
        let mut made = 0;
        for user in self.store.users_with_pending_alerts().await? {
            let now = SystemTime::now();
            let (preferences, _) = self.store.preferences(user).await?;
            let period = match preferences.alert_digest {
                // Switched to immediate after these matched: send them now.
                Digest::Immediate => Duration::ZERO,
                digest => digest.period(),
            };
            let last = self.store.last_digest(user).await?;
            if last.is_some_and(|last| now.duration_since(last).unwrap_or_default() < period) {
                continue;
            }
            let matches = self.store.pending_alerts(user).await?;
            let Some(first) = matches.first() else {
                continue;
            };
            let alerts: Vec<_> = matches
                .iter()
                .map(|alert| {
                    json!({
                        "title": alert.title,
                        "price": alert.price,
                        "currency_code": alert.currency_code,
                        "reason": alert.reason,
                        "link": self.notifier.url(&format!("/{}", alert.property)),
                    })
                })
                .collect();
            let notice = Notice {
                user,
                category: Category::Alerts,
                template: "alert_digest",
                context: json!({"alerts": alerts}),
                link: "/saved-searches".to_owned(),
                subject: first.saved_search.clone(),
                only: Some(&[Channel::Email]),
                cause: format!("digest/{}", first.id),
            };
            let mut tx = self.store.database().begin().await?;
            self.notifier.notify(&mut tx, notice).await?;
            store::mark_digested_in(&mut tx, user, &matches, now).await?;
            tx.commit().await?;
            made += 1;
        }
        Ok(made)
    }
}

/// Sends reminders as they fall due, each once: of a check-in, the guest's "see you tomorrow"
/// and the host's "your guest arrives tomorrow"; of a viewing, to the person coming (when they
/// have an account) and to the agent.
#[derive(Debug, Clone)]
pub struct Reminders {
    store: NotificationStore,
    notifier: Notifier,
    interval: Duration,
}

impl Reminders {
    pub fn new(store: NotificationStore, notifier: Notifier, interval: Duration) -> Self {
        Self {
            store,
            notifier,
            interval,
        }
    }

    pub async fn run(self) {
        let mut ticker = tokio::time::interval(self.interval);
        loop {
            ticker.tick().await;
            if let Err(err) = self.send_due().await {
                tracing::warn!("sending reminders: {err:#}");
            }
        }
    }

    /// One round; how many reminders went out.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let mut sent = 0;
        for reminder in self.store.due_reminders(SystemTime::now()).await? {
            let mut tx = self.store.database().begin().await?;
            if !store::mark_reminded_in(&mut tx, &reminder.subject, SystemTime::now()).await? {
                continue; // another replica sent it
            }
            let (guest_template, host_template, context, cause) = match reminder.kind {
                ReminderKind::CheckIn => (
                    "booking_reminder_guest",
                    "booking_reminder_host",
                    json!({"booking": reminder.details}),
                    format!("reminder/{}", reminder.subject),
                ),
                // A lead may book again after a reminder went: each viewing is reminded once.
                ReminderKind::Viewing => (
                    "viewing_reminder_contact",
                    "viewing_reminder_agent",
                    json!({"viewing": reminder.details}),
                    format!(
                        "reminder/{}/{}",
                        reminder.subject,
                        reminder.details["start_time"].as_str().unwrap_or_default()
                    ),
                ),
            };
            let told = [
                (reminder.guest, guest_template),
                (Some(reminder.host), host_template),
            ];
            for (user, template) in told {
                let Some(user) = user else {
                    continue; // asked without an account: the agent reaches them
                };
                let notice = Notice {
                    user,
                    category: Category::Bookings,
                    template,
                    context: context.clone(),
                    link: format!("/{}", reminder.subject),
                    subject: reminder.subject.clone(),
                    only: None,
                    cause: cause.clone(),
                };
                self.notifier.notify(&mut tx, notice).await?;
            }
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}
