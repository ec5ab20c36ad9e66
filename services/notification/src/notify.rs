//! Turning a notice ("tell this user that…") into an inbox entry and queued deliveries, inside
//! the transaction of the event that caused it.
//!
//! The recipient's preferences choose the channels; the templates render the message in their
//! language; each (event, template, recipient, channel) makes at most one message, whatever the
//! redeliveries (`dedupe_key`).

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Value, json};
use sqlx::AnyConnection;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::domain::{Category, Channel, UserId};
use crate::keys::Keys;
use crate::store::{self, NewDelivery, NotificationRecord};
use crate::templates::{TemplateError, Templates};

/// Something to tell one user.
#[derive(Debug, Clone)]
pub struct Notice {
    pub user: UserId,
    pub category: Category,
    pub template: &'static str,
    /// The template's variables; `base_url`, `link`, `unsubscribe_url` and the recipient's
    /// `time_zone` (for `local_time`) are added.
    pub context: Value,
    /// Where the platform shows the subject, relative to the public base URL (`/bookings/1`).
    pub link: String,
    /// The resource it is about (`bookings/1`).
    pub subject: String,
    /// The only channels it may use (one-time tokens go by email only); `None` for any.
    pub only: Option<&'static [Channel]>,
    /// What makes it unique: the causing event's id (and a part, when one event makes several
    /// notices for one user).
    pub cause: String,
}

/// Why a notice could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The template is missing or does not render: retrying cannot help.
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// Makes notices; shared by the event handlers and the digest worker.
#[derive(Debug, Clone)]
pub struct Notifier {
    templates: Arc<Templates>,
    keys: Keys,
    base_url: String,
    inbox: broadcast::Sender<UserId>,
    wake_sender: Arc<Notify>,
}

impl Notifier {
    pub fn new(
        templates: Arc<Templates>,
        keys: Keys,
        base_url: String,
        inbox: broadcast::Sender<UserId>,
        wake_sender: Arc<Notify>,
    ) -> Self {
        Self {
            templates,
            keys,
            base_url: base_url.trim_end_matches('/').to_owned(),
            inbox,
            wake_sender,
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// An absolute link to `path` on the platform.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Writes `notice` to the inbox and the delivery queue in `tx`.
    pub async fn notify(&self, tx: &mut AnyConnection, notice: Notice) -> Result<(), NotifyError> {
        let now = SystemTime::now();
        let (preferences, _) = store::preferences_in(tx, notice.user).await?;
        let channels: Vec<Channel> = preferences
            .channels_for(notice.category)
            .into_iter()
            .filter(|channel| notice.only.is_none_or(|only| only.contains(channel)))
            .collect();
        // The footer links to the web app's page; the List-Unsubscribe header to the API, which
        // mail clients POST to (RFC 8058).
        let (unsubscribe_page, one_click_url) = if notice.category.is_essential() {
            (String::new(), String::new())
        } else {
            let token = self
                .keys
                .unsubscribe_token(notice.user, notice.category)
                .unwrap_or_default();
            let token =
                percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC);
            (
                self.url(&format!("/unsubscribe?token={token}")),
                self.url(&format!(
                    "/v1/notificationPreferences:unsubscribe?token={token}"
                )),
            )
        };
        let mut context = notice.context.clone();
        if let Value::Object(map) = &mut context {
            map.insert("base_url".to_owned(), json!(self.base_url));
            map.insert("link".to_owned(), json!(self.url(&notice.link)));
            map.insert("unsubscribe_url".to_owned(), json!(unsubscribe_page));
            map.insert("time_zone".to_owned(), json!(preferences.time_zone));
        }
        let rendered = self
            .templates
            .render(notice.template, &preferences.language, &context)?;

        let dedupe = |channel: Channel| {
            format!(
                "{}/{}/{}/{}",
                notice.cause,
                notice.template,
                notice.user,
                channel.as_str()
            )
        };
        let mut queued = false;
        for channel in channels {
            match channel {
                Channel::InApp => {
                    let record = NotificationRecord {
                        id: Uuid::now_v7(),
                        user: notice.user,
                        category: notice.category,
                        template: notice.template.to_owned(),
                        title: rendered.title.clone(),
                        body: rendered.body.clone(),
                        link: notice.link.clone(),
                        subject: notice.subject.clone(),
                        read: false,
                        created_at: now,
                    };
                    if store::insert_notification_in(tx, &record, &dedupe(channel)).await? {
                        // Before the commit: a stream that finds nothing yet looks again shortly.
                        let _ = self.inbox.send(notice.user);
                    }
                }
                Channel::Email => {
                    let address = store::recipient_in(tx, notice.user).await?;
                    let delivery = NewDelivery {
                        user: notice.user,
                        dedupe_key: dedupe(channel),
                        channel,
                        category: notice.category,
                        template: notice.template.to_owned(),
                        skipped_because: address
                            .is_none()
                            .then(|| "no email address is known for the user".to_owned()),
                        address: address.unwrap_or_default(),
                        title: rendered.title.clone(),
                        text_body: rendered.body.clone(),
                        html_body: rendered.html.clone(),
                        unsubscribe_url: one_click_url.clone(),
                    };
                    queued |= store::insert_delivery_in(tx, &delivery, now).await?;
                }
                Channel::Sms if !preferences.phone_number.is_empty() => {
                    let delivery = NewDelivery {
                        user: notice.user,
                        dedupe_key: dedupe(channel),
                        channel,
                        category: notice.category,
                        template: notice.template.to_owned(),
                        skipped_because: None,
                        address: preferences.phone_number.clone(),
                        title: rendered.title.clone(),
                        text_body: rendered.sms.clone(),
                        html_body: String::new(),
                        unsubscribe_url: String::new(),
                    };
                    queued |= store::insert_delivery_in(tx, &delivery, now).await?;
                }
                Channel::Push => {
                    let payload = serde_json::json!({
                        "title": rendered.title,
                        "body": rendered.sms,
                        "link": self.url(&notice.link),
                    })
                    .to_string();
                    for subscription in store::push_subscriptions_in(tx, notice.user).await? {
                        let delivery = NewDelivery {
                            user: notice.user,
                            dedupe_key: format!("{}/{}", dedupe(channel), subscription.id),
                            channel,
                            category: notice.category,
                            template: notice.template.to_owned(),
                            skipped_because: None,
                            // The subscription's id: its endpoint and keys are read when sending.
                            address: subscription.id.to_string(),
                            title: rendered.title.clone(),
                            text_body: payload.clone(),
                            html_body: String::new(),
                            unsubscribe_url: String::new(),
                        };
                        queued |= store::insert_delivery_in(tx, &delivery, now).await?;
                    }
                }
                // No phone number: nothing to send to.
                Channel::Sms => {}
            }
        }
        if queued {
            self.wake_sender.notify_one();
        }
        Ok(())
    }
}
