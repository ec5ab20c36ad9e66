//! The inbox, the delivery queue and log, preferences, recipients, delivery keys and pending
//! alerts, in the SQL dialect PostgreSQL and SQLite share.

use std::time::{Duration, SystemTime};

use estospaces_storage::{Database, Migrations, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::domain::{Category, Channel, Preferences, UserId};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

/// A stored in-app notification.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: Uuid,
    pub user: UserId,
    pub category: Category,
    pub template: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub subject: String,
    pub read: bool,
    pub created_at: SystemTime,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Queued,
    Sent,
    Skipped,
    DeadLettered,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Skipped => "skipped",
            Self::DeadLettered => "dead_lettered",
        }
    }

    fn from_name(name: &str) -> Self {
        match name {
            "sent" => Self::Sent,
            "skipped" => Self::Skipped,
            "dead_lettered" => Self::DeadLettered,
            _ => Self::Queued,
        }
    }
}

/// A message to queue: rendered, addressed, deduplicated by `dedupe_key`.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub user: UserId,
    pub dedupe_key: String,
    pub channel: Channel,
    pub category: Category,
    pub template: String,
    pub address: String,
    pub title: String,
    pub text_body: String,
    pub html_body: String,
    pub unsubscribe_url: String,
    /// Set when the message is not to be sent at all (no address, switched off).
    pub skipped_because: Option<String>,
}

/// A stored delivery.
#[derive(Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub user: UserId,
    pub channel: Channel,
    pub category: Category,
    pub template: String,
    pub address: String,
    pub title: String,
    pub text_body: String,
    pub html_body: String,
    pub unsubscribe_url: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub last_error: String,
    pub next_attempt_at: SystemTime,
    pub created_at: SystemTime,
    pub sent_at: Option<SystemTime>,
}

impl std::fmt::Debug for DeliveryRecord {
    // The bodies of account messages hold one-time tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryRecord")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("template", &self.template)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A saved-search match waiting for a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertMatch {
    pub id: Uuid,
    pub saved_search: String,
    pub property: String,
    pub title: String,
    pub price: i64,
    pub currency_code: String,
    pub reason: String,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// `None` lists everyone's.
    pub user: Option<UserId>,
    pub state: Option<DeliveryState>,
    pub channel: Option<Channel>,
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// The notification service's tables.
#[derive(Debug, Clone)]
pub struct NotificationStore {
    db: Database,
}

fn decode<E: std::error::Error + Send + Sync + 'static>(err: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(err))
}

fn uuid_of(row: &AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(decode)
}

fn user_of(row: &AnyRow) -> Result<UserId, sqlx::Error> {
    uuid_of(row, "user_id").map(UserId)
}

fn category_of(row: &AnyRow) -> Result<Category, sqlx::Error> {
    let name: String = row.try_get("category")?;
    Category::from_name(&name).ok_or_else(|| decode(UnknownName(name)))
}

#[derive(Debug, thiserror::Error)]
#[error("unknown name {0:?} in the database")]
struct UnknownName(String);

const NOTIFICATION_COLUMNS: &str =
    "id, user_id, category, template, title, body, link, subject, read_at, created_at";

fn notification_from_row(row: &AnyRow) -> Result<NotificationRecord, sqlx::Error> {
    Ok(NotificationRecord {
        id: uuid_of(row, "id")?,
        user: user_of(row)?,
        category: category_of(row)?,
        template: row.try_get("template")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        subject: row.try_get("subject")?,
        read: row.try_get::<Option<i64>, _>("read_at")?.is_some(),
        created_at: from_unix_micros(row.try_get("created_at")?),
    })
}

const DELIVERY_COLUMNS: &str = "id, user_id, channel, category, template, address, title, \
     text_body, html_body, unsubscribe_url, state, attempts, last_error, next_attempt_at, \
     created_at, sent_at";

fn delivery_from_row(row: &AnyRow) -> Result<DeliveryRecord, sqlx::Error> {
    let channel: String = row.try_get("channel")?;
    let state: String = row.try_get("state")?;
    Ok(DeliveryRecord {
        id: uuid_of(row, "id")?,
        user: user_of(row)?,
        channel: Channel::from_name(&channel).ok_or_else(|| decode(UnknownName(channel)))?,
        category: category_of(row)?,
        template: row.try_get("template")?,
        address: row.try_get("address")?,
        title: row.try_get("title")?,
        text_body: row.try_get("text_body")?,
        html_body: row.try_get("html_body")?,
        unsubscribe_url: row.try_get("unsubscribe_url")?,
        state: DeliveryState::from_name(&state),
        attempts: row.try_get::<i32, _>("attempts")?,
        last_error: row.try_get("last_error")?,
        next_attempt_at: from_unix_micros(row.try_get("next_attempt_at")?),
        created_at: from_unix_micros(row.try_get("created_at")?),
        sent_at: row
            .try_get::<Option<i64>, _>("sent_at")?
            .map(from_unix_micros),
    })
}

/// Records `email` as where `user`'s mail goes.
pub async fn upsert_recipient_in(
    tx: &mut AnyConnection,
    user: UserId,
    email: &str,
    now: SystemTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO recipients (user_id, email, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
    )
    .bind(user.0.to_string())
    .bind(email)
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// `user`'s email address, if identity told us one.
pub async fn recipient_in(
    tx: &mut AnyConnection,
    user: UserId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM recipients WHERE user_id = $1")
        .bind(user.0.to_string())
        .fetch_optional(&mut *tx)
        .await
}

/// Everything held about `user`, erased (identity deleted the account).
pub async fn erase_user_in(tx: &mut AnyConnection, user: UserId) -> Result<(), sqlx::Error> {
    for table in [
        "recipients",
        "preferences",
        "notifications",
        "deliveries",
        "alert_matches",
        "digests",
        "known_devices",
        "push_subscriptions",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user.0.to_string())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// `user`'s preferences; the defaults when none were stored.
pub async fn preferences_in(
    tx: &mut AnyConnection,
    user: UserId,
) -> Result<(Preferences, Option<SystemTime>), sqlx::Error> {
    let row = sqlx::query("SELECT settings, updated_at FROM preferences WHERE user_id = $1")
        .bind(user.0.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    match row {
        None => Ok((Preferences::default(), None)),
        Some(row) => {
            let settings: String = row.try_get("settings")?;
            let preferences = serde_json::from_str(&settings).map_err(decode)?;
            Ok((
                preferences,
                Some(from_unix_micros(row.try_get("updated_at")?)),
            ))
        }
    }
}

/// Adds an in-app notification unless this event already made it; whether it was added.
pub async fn insert_notification_in(
    tx: &mut AnyConnection,
    record: &NotificationRecord,
    dedupe_key: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO notifications (id, user_id, dedupe_key, category, template, title, body, \
         link, subject, read_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(record.id.to_string())
    .bind(record.user.0.to_string())
    .bind(dedupe_key)
    .bind(record.category.as_str())
    .bind(&record.template)
    .bind(&record.title)
    .bind(&record.body)
    .bind(&record.link)
    .bind(&record.subject)
    .bind(unix_micros(record.created_at))
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues a delivery unless this event already made it; whether it was queued.
pub async fn insert_delivery_in(
    tx: &mut AnyConnection,
    delivery: &NewDelivery,
    now: SystemTime,
) -> Result<bool, sqlx::Error> {
    let (state, error) = match &delivery.skipped_because {
        Some(why) => (DeliveryState::Skipped, why.as_str()),
        None => (DeliveryState::Queued, ""),
    };
    let done = sqlx::query(
        "INSERT INTO deliveries (id, user_id, dedupe_key, channel, category, template, address, \
         title, text_body, html_body, unsubscribe_url, state, attempts, last_error, \
         next_attempt_at, lease_until, created_at, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, 0, $14, NULL) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(delivery.user.0.to_string())
    .bind(&delivery.dedupe_key)
    .bind(delivery.channel.as_str())
    .bind(delivery.category.as_str())
    .bind(&delivery.template)
    .bind(&delivery.address)
    .bind(&delivery.title)
    .bind(&delivery.text_body)
    .bind(&delivery.html_body)
    .bind(&delivery.unsubscribe_url)
    .bind(state.as_str())
    .bind(error)
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps a saved-search match for `user`'s next digest.
pub async fn insert_alert_match_in(
    tx: &mut AnyConnection,
    user: UserId,
    dedupe_key: &str,
    alert: &AlertMatch,
    now: SystemTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO alert_matches (id, user_id, dedupe_key, saved_search, property, title, \
         price, currency_code, reason, created_at, digested_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(alert.id.to_string())
    .bind(user.0.to_string())
    .bind(dedupe_key)
    .bind(&alert.saved_search)
    .bind(&alert.property)
    .bind(&alert.title)
    .bind(alert.price)
    .bind(&alert.currency_code)
    .bind(&alert.reason)
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl NotificationStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    // Delivery keys -------------------------------------------------------------------------

    /// Every delivery key, newest first: (id, secret key, public key), base64.
    pub async fn delivery_keys(&self) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT key_id, secret_key, public_key FROM delivery_keys \
             ORDER BY created_at DESC, key_id DESC",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("key_id")?,
                    row.try_get("secret_key")?,
                    row.try_get("public_key")?,
                ))
            })
            .collect()
    }

    /// Stores a new delivery key and, in the same transaction, its publication.
    pub async fn add_delivery_key(
        &self,
        key_id: &str,
        secret_key: &str,
        public_key: &str,
        now: SystemTime,
        publication: estospaces_events::NewEvent,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO delivery_keys (key_id, secret_key, public_key, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(key_id)
        .bind(secret_key)
        .bind(public_key)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        crate::events::OUTBOX.append(&mut tx, publication).await?;
        tx.commit().await
    }

    /// Publishes an event on its own (a delivery key announced again at start-up).
    pub async fn publish(&self, event: estospaces_events::NewEvent) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        crate::events::OUTBOX.append(&mut tx, event).await?;
        tx.commit().await
    }

    // Preferences ---------------------------------------------------------------------------

    pub async fn preferences(
        &self,
        user: UserId,
    ) -> Result<(Preferences, Option<SystemTime>), sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        preferences_in(&mut conn, user).await
    }

    pub async fn put_preferences(
        &self,
        user: UserId,
        preferences: &Preferences,
        now: SystemTime,
    ) -> Result<(), sqlx::Error> {
        let settings = serde_json::to_string(preferences).map_err(decode)?;
        sqlx::query(
            "INSERT INTO preferences (user_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(user.0.to_string())
        .bind(settings)
        .bind(unix_micros(now))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    // The inbox -----------------------------------------------------------------------------

    /// `user`'s notifications older than `before`, newest first, at most `limit`.
    pub async fn notifications(
        &self,
        user: UserId,
        before: Option<Uuid>,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<NotificationRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 AND id < $2 \
             AND ($3 = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT $4"
        ))
        .bind(user.0.to_string())
        .bind(before.map_or_else(|| "~".to_owned(), |id| id.to_string()))
        .bind(i32::from(unread_only))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// `user`'s notifications made after `after`, oldest first, at most `limit`.
    pub async fn notifications_after(
        &self,
        user: UserId,
        after: Uuid,
        limit: i64,
    ) -> Result<Vec<NotificationRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        ))
        .bind(user.0.to_string())
        .bind(after.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// The newest notification of `user`, if any.
    pub async fn newest_notification(&self, user: UserId) -> Result<Option<Uuid>, sqlx::Error> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(user.0.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        id.map(|id| Uuid::parse_str(&id).map_err(decode))
            .transpose()
    }

    pub async fn unread_count(&self, user: UserId) -> Result<i32, sqlx::Error> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user.0.to_string())
        .fetch_one(self.db.pool())
        .await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// Marks one notification read; `None` when `user` has no such notification.
    pub async fn mark_read(
        &self,
        user: UserId,
        id: Uuid,
        now: SystemTime,
    ) -> Result<Option<NotificationRecord>, sqlx::Error> {
        sqlx::query(
            "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id = $2 \
             AND read_at IS NULL",
        )
        .bind(user.0.to_string())
        .bind(id.to_string())
        .bind(unix_micros(now))
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 AND id = $2"
        ))
        .bind(user.0.to_string())
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(notification_from_row).transpose()
    }

    /// Marks every notification of `user` read; how many were unread.
    pub async fn mark_all_read(&self, user: UserId, now: SystemTime) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user.0.to_string())
        .bind(unix_micros(now))
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected())
    }

    // The delivery queue --------------------------------------------------------------------

    /// Takes up to `limit` deliveries due at `now` for `lease`, counting the attempt, in one
    /// statement; the earliest due first. A delivery another sender holds is not taken: the
    /// outer conditions are checked again against a row another sender just updated.
    pub async fn claim_due(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "UPDATE deliveries SET lease_until = $1, attempts = attempts + 1 \
             WHERE state = 'queued' AND next_attempt_at <= $2 AND lease_until <= $2 AND id IN \
             (SELECT id FROM deliveries WHERE state = 'queued' AND next_attempt_at <= $2 \
             AND lease_until <= $2 ORDER BY next_attempt_at LIMIT $3) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(unix_micros(now + lease))
        .bind(unix_micros(now))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        let mut due = rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        due.sort_by_key(|delivery| delivery.next_attempt_at);
        Ok(due)
    }

    pub async fn delivery(&self, id: Uuid) -> Result<Option<DeliveryRecord>, sqlx::Error> {
        let row = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    /// Records a delivery as sent. An account message's body holds a one-time token: it is
    /// not kept once sent.
    pub async fn mark_sent(
        &self,
        delivery: &DeliveryRecord,
        now: SystemTime,
    ) -> Result<(), sqlx::Error> {
        let forget_body = delivery.category.is_essential();
        sqlx::query(
            "UPDATE deliveries SET state = 'sent', sent_at = $2, lease_until = 0, last_error = '', \
             text_body = CASE WHEN $3 = 1 THEN '' ELSE text_body END, \
             html_body = CASE WHEN $3 = 1 THEN '' ELSE html_body END WHERE id = $1",
        )
        .bind(delivery.id.to_string())
        .bind(unix_micros(now))
        .bind(i32::from(forget_body))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Records a failed attempt: queued again at `retry_at`, or dead-lettered (with its
    /// event, in one transaction) when there is none.
    pub async fn mark_failed(
        &self,
        delivery: &DeliveryRecord,
        error: &str,
        retry_at: Option<SystemTime>,
        dead_letter: impl FnOnce() -> estospaces_events::NewEvent,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let (state, next) = match retry_at {
            Some(at) => (DeliveryState::Queued, unix_micros(at)),
            None => (
                DeliveryState::DeadLettered,
                unix_micros(delivery.next_attempt_at),
            ),
        };
        sqlx::query(
            "UPDATE deliveries SET state = $2, last_error = $3, next_attempt_at = $4, \
             lease_until = 0 WHERE id = $1",
        )
        .bind(delivery.id.to_string())
        .bind(state.as_str())
        .bind(error)
        .bind(next)
        .execute(&mut *tx)
        .await?;
        if retry_at.is_none() {
            crate::events::OUTBOX.append(&mut tx, dead_letter()).await?;
        }
        tx.commit().await
    }

    /// Records that a delivery will not be sent, and why.
    pub async fn mark_skipped(&self, id: Uuid, why: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE deliveries SET state = 'skipped', last_error = $2, lease_until = 0 \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(why)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Puts a held delivery back without counting the attempt, due at `at` (quiet hours).
    pub async fn defer(&self, id: Uuid, at: SystemTime) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $2, lease_until = 0, \
             attempts = attempts - 1 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(unix_micros(at))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Messages sent to `user` on `channel` since `since`, excluding account messages.
    pub async fn sent_since(
        &self,
        user: UserId,
        channel: Channel,
        since: SystemTime,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE user_id = $1 AND channel = $2 \
             AND sent_at >= $3 AND category <> 'account'",
        )
        .bind(user.0.to_string())
        .bind(channel.as_str())
        .bind(unix_micros(since))
        .fetch_one(self.db.pool())
        .await
    }

    /// Deliveries matching `filter`, newest first.
    pub async fn deliveries(
        &self,
        filter: &DeliveryFilter,
    ) -> Result<Vec<DeliveryRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE ($1 = '' OR user_id = $1) \
             AND ($2 = '' OR state = $2) AND ($3 = '' OR channel = $3) AND id < $4 \
             ORDER BY id DESC LIMIT $5"
        ))
        .bind(
            filter
                .user
                .map_or_else(String::new, |user| user.0.to_string()),
        )
        .bind(filter.state.map_or("", DeliveryState::as_str))
        .bind(filter.channel.map_or("", Channel::as_str))
        .bind(
            filter
                .before
                .map_or_else(|| "~".to_owned(), |id| id.to_string()),
        )
        .bind(filter.limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Queues a dead-lettered delivery again with its attempts reset; `None` when `user` has
    /// no such delivery, `Some(false)` when it is not dead-lettered.
    pub async fn retry(
        &self,
        user: UserId,
        id: Uuid,
        now: SystemTime,
    ) -> Result<Option<(bool, DeliveryRecord)>, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = $3, \
             lease_until = 0 WHERE id = $1 AND user_id = $2 AND state = 'dead_lettered'",
        )
        .bind(id.to_string())
        .bind(user.0.to_string())
        .bind(unix_micros(now))
        .execute(self.db.pool())
        .await?;
        Ok(self
            .delivery(id)
            .await?
            .filter(|delivery| delivery.user == user)
            .map(|delivery| (done.rows_affected() == 1, delivery)))
    }

    // Digests -------------------------------------------------------------------------------

    /// Users with matches waiting for a digest.
    pub async fn users_with_pending_alerts(&self) -> Result<Vec<UserId>, sqlx::Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM alert_matches WHERE digested_at IS NULL",
        )
        .fetch_all(self.db.pool())
        .await?;
        ids.iter()
            .map(|id| Uuid::parse_str(id).map(UserId).map_err(decode))
            .collect()
    }

    /// When `user`'s last digest was made.
    pub async fn last_digest(&self, user: UserId) -> Result<Option<SystemTime>, sqlx::Error> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT last_sent_at FROM digests WHERE user_id = $1")
                .bind(user.0.to_string())
                .fetch_optional(self.db.pool())
                .await?;
        Ok(at.map(from_unix_micros))
    }

    /// `user`'s matches waiting for a digest, oldest first.
    pub async fn pending_alerts(&self, user: UserId) -> Result<Vec<AlertMatch>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, saved_search, property, title, price, currency_code, reason \
             FROM alert_matches WHERE user_id = $1 AND digested_at IS NULL ORDER BY id LIMIT 50",
        )
        .bind(user.0.to_string())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AlertMatch {
                    id: uuid_of(row, "id")?,
                    saved_search: row.try_get("saved_search")?,
                    property: row.try_get("property")?,
                    title: row.try_get("title")?,
                    price: row.try_get("price")?,
                    currency_code: row.try_get("currency_code")?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect()
    }

    /// `user`'s email address, if known.
    pub async fn recipient(&self, user: UserId) -> Result<Option<String>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        recipient_in(&mut conn, user).await
    }
}

/// Records the title of `property` (`properties/{property}`).
pub async fn upsert_listing_in(
    tx: &mut AnyConnection,
    property: &str,
    title: &str,
    now: SystemTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO listings (property, title, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (property) DO UPDATE SET title = excluded.title, \
         updated_at = excluded.updated_at",
    )
    .bind(property)
    .bind(title)
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The title of `property`, if property's events told us.
pub async fn listing_title_in(
    tx: &mut AnyConnection,
    property: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT title FROM listings WHERE property = $1")
        .bind(property)
        .fetch_optional(&mut *tx)
        .await
}

/// Marks `matches` digested and notes the time of `user`'s digest.
pub async fn mark_digested_in(
    tx: &mut AnyConnection,
    user: UserId,
    matches: &[AlertMatch],
    now: SystemTime,
) -> Result<(), sqlx::Error> {
    for alert in matches {
        sqlx::query("UPDATE alert_matches SET digested_at = $2 WHERE id = $1")
            .bind(alert.id.to_string())
            .bind(unix_micros(now))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO digests (user_id, last_sent_at) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET last_sent_at = excluded.last_sent_at",
    )
    .bind(user.0.to_string())
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records that `user` signed in from `device`; whether it is new for an account that had
/// signed in before (the first device of an account is not news).
pub async fn note_device_in(
    tx: &mut AnyConnection,
    user: UserId,
    device: &str,
    now: SystemTime,
) -> Result<bool, sqlx::Error> {
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM known_devices WHERE user_id = $1")
        .bind(user.0.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let added = sqlx::query(
        "INSERT INTO known_devices (user_id, device, first_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, device) DO NOTHING",
    )
    .bind(user.0.to_string())
    .bind(device)
    .bind(unix_micros(now))
    .execute(&mut *tx)
    .await?;
    Ok(known > 0 && added.rows_affected() == 1)
}

/// What a reminder reminds of, which picks its templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// A confirmed booking's check-in, keyed by `bookings/{booking}`.
    CheckIn,
    /// A lead's booked viewing, keyed by `leads/{lead}`.
    Viewing,
}

impl ReminderKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::CheckIn => "check_in",
            Self::Viewing => "viewing",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::CheckIn, Self::Viewing]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// A reminder: of a check-in to its guest and host, or of a viewing to the person who asked
/// and the agent.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub kind: ReminderKind,
    /// What it is about: `bookings/{booking}` or `leads/{lead}`; one reminder each.
    pub subject: String,
    /// The guest, or the person coming to the viewing; `None` for someone who asked without
    /// an account, whom the platform does not write to.
    pub guest: Option<UserId>,
    /// The host, or the agent showing the listing.
    pub host: UserId,
    /// The templates' details of the booking or the viewing.
    pub details: serde_json::Value,
}

/// Schedules the check-in reminder of a booking (again, if it was: the first one stays).
pub async fn schedule_reminder_in(
    tx: &mut AnyConnection,
    reminder: &Reminder,
    due_at: SystemTime,
) -> Result<(), sqlx::Error> {
    insert_reminder_in(tx, reminder, due_at, "DO NOTHING").await
}

/// Schedules `reminder` in place of the one its subject had, sent or not: a lead that books
/// another viewing is reminded of that one.
pub async fn replace_reminder_in(
    tx: &mut AnyConnection,
    reminder: &Reminder,
    due_at: SystemTime,
) -> Result<(), sqlx::Error> {
    insert_reminder_in(
        tx,
        reminder,
        due_at,
        "DO UPDATE SET kind = excluded.kind, guest_id = excluded.guest_id, \
         host_id = excluded.host_id, details = excluded.details, due_at = excluded.due_at, \
         sent_at = NULL",
    )
    .await
}

async fn insert_reminder_in(
    tx: &mut AnyConnection,
    reminder: &Reminder,
    due_at: SystemTime,
    on_conflict: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO reminders (booking, kind, guest_id, host_id, details, due_at, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (booking) {on_conflict}"
    ))
    .bind(&reminder.subject)
    .bind(reminder.kind.as_str())
    // No account, no id: see the migration that added `kind`.
    .bind(
        reminder
            .guest
            .map(|guest| guest.0.to_string())
            .unwrap_or_default(),
    )
    .bind(reminder.host.0.to_string())
    .bind(reminder.details.to_string())
    .bind(unix_micros(due_at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Drops the reminder of a booking that ended or a viewing cancelled, unless it was sent.
pub async fn cancel_reminder_in(tx: &mut AnyConnection, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM reminders WHERE booking = $1 AND sent_at IS NULL")
        .bind(subject)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Marks a reminder sent; false when another replica sent it first.
pub async fn mark_reminded_in(
    tx: &mut AnyConnection,
    subject: &str,
    now: SystemTime,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE reminders SET sent_at = $2 WHERE booking = $1 AND sent_at IS NULL")
            .bind(subject)
            .bind(unix_micros(now))
            .execute(&mut *tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

impl NotificationStore {
    /// Reminders due at `now`, not yet sent.
    pub async fn due_reminders(&self, now: SystemTime) -> Result<Vec<Reminder>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT booking, kind, guest_id, host_id, details FROM reminders \
             WHERE sent_at IS NULL AND due_at <= $1 ORDER BY due_at LIMIT 100",
        )
        .bind(unix_micros(now))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let guest: String = row.try_get("guest_id")?;
                Ok(Reminder {
                    kind: ReminderKind::from_name(&kind)
                        .ok_or_else(|| decode(UnknownName(kind)))?,
                    subject: row.try_get("booking")?,
                    guest: if guest.is_empty() {
                        None
                    } else {
                        Some(UserId(Uuid::parse_str(&guest).map_err(decode)?))
                    },
                    host: uuid_of(row, "host_id").map(UserId)?,
                    details: serde_json::from_str(&row.try_get::<String, _>("details")?)
                        .map_err(decode)?,
                })
            })
            .collect()
    }
}

/// A stored push subscription.
#[derive(Clone)]
pub struct PushSubscriptionRecord {
    pub id: Uuid,
    pub user: UserId,
    pub endpoint: String,
    pub p256dh_key: String,
    pub auth_key: String,
    pub created_at: SystemTime,
}

impl std::fmt::Debug for PushSubscriptionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSubscriptionRecord")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

fn push_subscription_from_row(row: &AnyRow) -> Result<PushSubscriptionRecord, sqlx::Error> {
    Ok(PushSubscriptionRecord {
        id: uuid_of(row, "id")?,
        user: user_of(row)?,
        endpoint: row.try_get("endpoint")?,
        p256dh_key: row.try_get("p256dh_key")?,
        auth_key: row.try_get("auth_key")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
    })
}

const PUSH_COLUMNS: &str = "id, user_id, endpoint, p256dh_key, auth_key, created_at";

/// `user`'s push subscriptions, newest first.
pub async fn push_subscriptions_in(
    tx: &mut AnyConnection,
    user: UserId,
) -> Result<Vec<PushSubscriptionRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {PUSH_COLUMNS} FROM push_subscriptions WHERE user_id = $1 ORDER BY id DESC"
    ))
    .bind(user.0.to_string())
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(push_subscription_from_row).collect()
}

impl NotificationStore {
    /// Registers a subscription; an endpoint registered before (by anyone) is replaced.
    pub async fn put_push_subscription(
        &self,
        record: &PushSubscriptionRecord,
    ) -> Result<PushSubscriptionRecord, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(&record.endpoint)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO push_subscriptions ({PUSH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(record.id.to_string())
        .bind(record.user.0.to_string())
        .bind(&record.endpoint)
        .bind(&record.p256dh_key)
        .bind(&record.auth_key)
        .bind(unix_micros(record.created_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(record.clone())
    }

    pub async fn push_subscriptions(
        &self,
        user: UserId,
    ) -> Result<Vec<PushSubscriptionRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        push_subscriptions_in(&mut conn, user).await
    }

    pub async fn push_subscription(
        &self,
        id: Uuid,
    ) -> Result<Option<PushSubscriptionRecord>, sqlx::Error> {
        let row = sqlx::query(&format!(
            "SELECT {PUSH_COLUMNS} FROM push_subscriptions WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(push_subscription_from_row).transpose()
    }

    /// Deletes `user`'s subscription `id`; whether there was one.
    pub async fn delete_push_subscription(
        &self,
        user: UserId,
        id: Uuid,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.0.to_string())
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The VAPID key pair's private half (base64), made by `make` on first use.
    pub async fn vapid_secret(&self, make: impl FnOnce() -> String) -> Result<String, sqlx::Error> {
        sqlx::query(
            "INSERT INTO vapid_keys (id, secret_key, created_at) VALUES ('current', $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(make())
        .bind(unix_micros(SystemTime::now()))
        .execute(self.db.pool())
        .await?;
        sqlx::query_scalar("SELECT secret_key FROM vapid_keys WHERE id = 'current'")
            .fetch_one(self.db.pool())
            .await
    }
}
