//! Unread messages of people who are not connected, handed to the notification service as
//! `messaging.unread_reminder`: at most one per conversation and participant per
//! `reminder_interval`, and only once messages have waited `reminder_delay` unread.

use std::time::{Duration, SystemTime};

use estospaces_events::NewEvent;
use estospaces_proto::messaging_v1 as pb;

use crate::domain;
use crate::store::{DueReminder, MessagingStore};

/// Looks for reminders due every `check_interval`.
#[derive(Debug, Clone)]
pub struct Reminders {
    pub store: MessagingStore,
    pub delay: Duration,
    pub interval: Duration,
    pub check_interval: Duration,
}

impl Reminders {
    pub async fn run(self) {
        let mut ticker = tokio::time::interval(self.check_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = self.remind_due().await {
                tracing::warn!(error = %err, "reminding of unread messages failed; trying again later");
            }
        }
    }

    /// Records the reminders due now; how many.
    pub async fn remind_due(&self) -> Result<usize, sqlx::Error> {
        let now = SystemTime::now();
        let due = self
            .store
            .due_reminders(now - self.delay, now - self.interval, now, 100)
            .await?;
        let mut sent = 0;
        for due in due {
            if self.remind(&due, now).await? {
                sent += 1;
            }
        }
        if sent > 0 {
            metrics::counter!("estospaces_messaging_unread_reminders_total").increment(sent as u64);
            // Presence rows of users gone for a day are of no use.
            self.store
                .forget_presence(now - Duration::from_secs(24 * 3600))
                .await?;
        }
        Ok(sent)
    }

    async fn remind(&self, due: &DueReminder, now: SystemTime) -> Result<bool, sqlx::Error> {
        let Some(conversation) = self.store.conversation(due.conversation).await? else {
            return Ok(false);
        };
        let newest = self
            .store
            .messages(conversation.id, conversation.last_seq + 1, 20)
            .await?
            .into_iter()
            .find(|message| message.sender != Some(due.user) && message.deleted_at.is_none());
        let (sender, preview) = newest.map_or((String::new(), String::new()), |message| {
            (
                message
                    .sender
                    .map(|id| format!("users/{id}"))
                    .unwrap_or_default(),
                domain::preview(&message.body),
            )
        });
        let reminder = pb::UnreadReminder {
            conversation: format!("conversations/{}", conversation.id),
            recipient: format!("users/{}", due.user),
            sender,
            listing: conversation.listing.clone(),
            listing_title: conversation.listing_title.clone(),
            unread_count: i32::try_from(due.unread_count).unwrap_or(i32::MAX),
            preview,
        };
        let event = NewEvent::new(
            "messaging.unread_reminder",
            "conversation",
            conversation.id.to_string(),
            &reminder,
        );
        self.store.record_reminder(due, now, event).await
    }
}
