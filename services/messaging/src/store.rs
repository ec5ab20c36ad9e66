//! The messaging service's tables, in the SQL dialect PostgreSQL and SQLite share.
//!
//! Writes that others see take their locks in one order, so two never wait on each other: the
//! conversation row, then participant rows, then the participants' `feeds` rows by user id.

use std::time::{Duration, SystemTime};

use estospaces_events::{NewEvent, Outbox};
use estospaces_storage::{Database, Migrations, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::{Kind, Topic};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// A stored conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    pub id: Uuid,
    pub listing: String,
    pub listing_title: String,
    pub topic: Topic,
    pub owner: Uuid,
    pub inquirer: Uuid,
    pub booking: String,
    pub contact_allowed: bool,
    pub reported: bool,
    /// The number of the newest message.
    pub last_seq: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl ConversationRecord {
    /// A conversation about to be started.
    pub fn new(listing: &str, title: &str, topic: Topic, owner: Uuid, inquirer: Uuid) -> Self {
        let now = SystemTime::now();
        Self {
            id: Uuid::now_v7(),
            listing: listing.to_owned(),
            listing_title: title.to_owned(),
            topic,
            owner,
            inquirer,
            booking: String::new(),
            contact_allowed: !topic.masks_contact_details(),
            reported: false,
            last_seq: 0,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn is_participant(&self, user: Uuid) -> bool {
        self.owner == user || self.inquirer == user
    }

    /// The other participant than `user`.
    pub fn other(&self, user: Uuid) -> Uuid {
        if self.owner == user {
            self.inquirer
        } else {
            self.owner
        }
    }

    /// Both participants, in lock order.
    pub fn participants(&self) -> [Uuid; 2] {
        let mut both = [self.owner, self.inquirer];
        both.sort();
        both
    }
}

/// A participant's reading position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRecord {
    pub user: Uuid,
    pub last_read_seq: i64,
    /// The message at `last_read_seq`.
    pub last_read_message: Option<Uuid>,
    pub read_at: Option<SystemTime>,
    pub unread_count: i64,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: Uuid,
    pub conversation: Uuid,
    pub seq: i64,
    /// `None` for system messages.
    pub sender: Option<Uuid>,
    pub kind: Kind,
    pub body: String,
    pub attachments: Vec<String>,
    pub system_event: String,
    pub booking: String,
    pub masked: bool,
    pub request_id: String,
    pub created_at: SystemTime,
    pub edited_at: Option<SystemTime>,
    pub deleted_at: Option<SystemTime>,
}

/// A message about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub sender: Option<Uuid>,
    pub kind: Kind,
    pub body: String,
    pub attachments: Vec<String>,
    pub system_event: String,
    pub booking: String,
    pub masked: bool,
    pub request_id: String,
}

/// What happened, in a user's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Sent,
    Edited,
    Deleted,
    Read,
}

impl FeedKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Edited => "edited",
            Self::Deleted => "deleted",
            Self::Read => "read",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sent" => Some(Self::Sent),
            "edited" => Some(Self::Edited),
            "deleted" => Some(Self::Deleted),
            "read" => Some(Self::Read),
            _ => None,
        }
    }
}

/// One stored event of a user's stream, with the message it is about as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub seq: i64,
    pub conversation: Uuid,
    pub kind: FeedKind,
    pub actor: Uuid,
    pub message: Option<MessageRecord>,
    pub created_at: SystemTime,
}

/// The events of a conversation being started, made once it is.
pub type StartEvents = dyn Fn(&ConversationRecord) -> Vec<NewEvent> + Sync;

/// Users whose streams grew, with their newest number: who to wake once committed.
pub type Wakeups = Vec<(Uuid, i64)>;

/// A message sent, or found again by its request id.
#[derive(Debug, Clone)]
pub struct Sent {
    pub message: MessageRecord,
    pub conversation: ConversationRecord,
    /// The request id was used before: nothing new was stored.
    pub duplicate: bool,
    pub wakeups: Wakeups,
}

/// A participant due an unread reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    pub conversation: Uuid,
    pub user: Uuid,
    pub unread_count: i64,
    pub last_seq: i64,
}

const CONVERSATION_COLUMNS: &str = "id, listing, listing_title, topic, owner_id, inquirer_id, \
     booking, contact_allowed, reported, last_seq, created_at, updated_at";

const MESSAGE_COLUMNS: [&str; 14] = [
    "id",
    "conversation_id",
    "seq",
    "sender_id",
    "kind",
    "body",
    "attachments",
    "system_event",
    "booking",
    "masked",
    "request_id",
    "created_at",
    "edited_at",
    "deleted_at",
];

/// The message columns of table alias `table`, each named `{prefix}{column}`.
fn message_columns(table: &str, prefix: &str) -> String {
    MESSAGE_COLUMNS
        .iter()
        .map(|column| format!("{table}.{column} AS {prefix}{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn decode_error(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("a stored {what} is not valid").into())
}

fn uuid_column(row: &AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(|_| decode_error(column))
}

fn conversation_from_row(row: &AnyRow) -> Result<ConversationRecord, sqlx::Error> {
    Ok(ConversationRecord {
        id: uuid_column(row, "id")?,
        listing: row.try_get("listing")?,
        listing_title: row.try_get("listing_title")?,
        topic: Topic::from_name(&row.try_get::<String, _>("topic")?)
            .ok_or_else(|| decode_error("topic"))?,
        owner: uuid_column(row, "owner_id")?,
        inquirer: uuid_column(row, "inquirer_id")?,
        booking: row.try_get("booking")?,
        contact_allowed: row.try_get::<i64, _>("contact_allowed")? != 0,
        reported: row.try_get::<i64, _>("reported")? != 0,
        last_seq: row.try_get("last_seq")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
    })
}

fn message_from_row(row: &AnyRow, prefix: &str) -> Result<MessageRecord, sqlx::Error> {
    let column = |name: &str| format!("{prefix}{name}");
    let sender: String = row.try_get(column("sender_id").as_str())?;
    let attachments: String = row.try_get(column("attachments").as_str())?;
    let edited_at: Option<i64> = row.try_get(column("edited_at").as_str())?;
    let deleted_at: Option<i64> = row.try_get(column("deleted_at").as_str())?;
    Ok(MessageRecord {
        id: uuid_column(row, &column("id"))?,
        conversation: uuid_column(row, &column("conversation_id"))?,
        seq: row.try_get(column("seq").as_str())?,
        sender: if sender.is_empty() {
            None
        } else {
            Some(Uuid::parse_str(&sender).map_err(|_| decode_error("sender"))?)
        },
        kind: Kind::from_name(&row.try_get::<String, _>(column("kind").as_str())?)
            .ok_or_else(|| decode_error("kind"))?,
        body: row.try_get(column("body").as_str())?,
        attachments: attachments.split_whitespace().map(str::to_owned).collect(),
        system_event: row.try_get(column("system_event").as_str())?,
        booking: row.try_get(column("booking").as_str())?,
        masked: row.try_get::<i64, _>(column("masked").as_str())? != 0,
        request_id: row.try_get(column("request_id").as_str())?,
        created_at: from_unix_micros(row.try_get(column("created_at").as_str())?),
        edited_at: edited_at.map(from_unix_micros),
        deleted_at: deleted_at.map(from_unix_micros),
    })
}

fn participant_from_row(row: &AnyRow) -> Result<ParticipantRecord, sqlx::Error> {
    let read_at: Option<i64> = row.try_get("read_at")?;
    let last_read: Option<String> = row.try_get("last_read_id")?;
    Ok(ParticipantRecord {
        user: uuid_column(row, "user_id")?,
        last_read_seq: row.try_get("last_read_seq")?,
        last_read_message: last_read.and_then(|id| Uuid::parse_str(&id).ok()),
        read_at: read_at.map(from_unix_micros),
        unread_count: row.try_get("unread_count")?,
    })
}

fn sender_column(sender: Option<Uuid>) -> String {
    sender.map(|id| id.to_string()).unwrap_or_default()
}

/// The messaging service's tables.
#[derive(Debug, Clone)]
pub struct MessagingStore {
    db: Database,
}

impl MessagingStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    // ---- conversations ----

    /// Finds the conversation between `new`'s owner and inquirer about its listing, or starts
    /// `new`; whether it was started.
    pub async fn find_or_start_in(
        conn: &mut AnyConnection,
        new: &ConversationRecord,
    ) -> Result<(ConversationRecord, bool), sqlx::Error> {
        Self::upsert_in(conn, new, "listing = excluded.listing", None).await
    }

    /// Like [`Self::find_or_start_in`], and records that the conversation is about `booking`;
    /// `confirmed` lets contact details show. One statement for what is done on every booking
    /// event.
    pub async fn find_or_start_for_booking_in(
        conn: &mut AnyConnection,
        new: &ConversationRecord,
        booking: &str,
        confirmed: bool,
    ) -> Result<(ConversationRecord, bool), sqlx::Error> {
        let new = ConversationRecord {
            booking: booking.to_owned(),
            contact_allowed: new.contact_allowed || confirmed,
            ..new.clone()
        };
        Self::upsert_in(
            conn,
            &new,
            "booking = excluded.booking, contact_allowed = \
             CASE WHEN $13 = 1 THEN 1 ELSE conversations.contact_allowed END",
            Some(i64::from(confirmed)),
        )
        .await
    }

    /// Inserts `new`, or applies `on_conflict` (which may use `$13`, bound to `extra`) to the
    /// conversation already there; returns the row. Started when the row is `new`'s.
    async fn upsert_in(
        conn: &mut AnyConnection,
        new: &ConversationRecord,
        on_conflict: &str,
        extra: Option<i64>,
    ) -> Result<(ConversationRecord, bool), sqlx::Error> {
        let sql = format!(
            "INSERT INTO conversations ({CONVERSATION_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (listing, owner_id, inquirer_id) DO UPDATE SET {on_conflict} \
             RETURNING {CONVERSATION_COLUMNS}"
        );
        let mut query = sqlx::query(&sql)
            .bind(new.id.to_string())
            .bind(&new.listing)
            .bind(&new.listing_title)
            .bind(new.topic.as_str())
            .bind(new.owner.to_string())
            .bind(new.inquirer.to_string())
            .bind(&new.booking)
            .bind(i64::from(new.contact_allowed))
            .bind(i64::from(new.reported))
            .bind(new.last_seq)
            .bind(unix_micros(new.created_at))
            .bind(unix_micros(new.updated_at));
        if let Some(extra) = extra {
            query = query.bind(extra);
        }
        let found = conversation_from_row(&query.fetch_one(&mut *conn).await?)?;
        let started = found.id == new.id;
        if started {
            for user in new.participants() {
                sqlx::query(
                    "INSERT INTO participants (conversation_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(new.id.to_string())
                .bind(user.to_string())
                .execute(&mut *conn)
                .await?;
                sqlx::query("INSERT INTO feeds (user_id) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(user.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok((found, started))
    }

    pub async fn conversation(&self, id: Uuid) -> Result<Option<ConversationRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(conversation_from_row)
        .transpose()
    }

    /// The conversation between the two about `listing`, if there is one.
    pub async fn conversation_about_in(
        conn: &mut AnyConnection,
        listing: &str,
        owner: Uuid,
        inquirer: Uuid,
    ) -> Result<Option<ConversationRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations \
             WHERE listing = $1 AND owner_id = $2 AND inquirer_id = $3"
        ))
        .bind(listing)
        .bind(owner.to_string())
        .bind(inquirer.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(conversation_from_row)
        .transpose()
    }

    pub async fn participants(
        &self,
        conversation: Uuid,
    ) -> Result<Vec<ParticipantRecord>, sqlx::Error> {
        sqlx::query(
            "SELECT p.user_id, p.last_read_seq, p.read_at, p.unread_count, m.id AS last_read_id \
             FROM participants p LEFT JOIN messages m \
             ON m.conversation_id = p.conversation_id AND m.seq = p.last_read_seq \
             WHERE p.conversation_id = $1 ORDER BY p.user_id",
        )
        .bind(conversation.to_string())
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(participant_from_row)
        .collect()
    }

    /// A user's conversations, the most recently active first, after `after` (the last one
    /// of the previous page: its update time and id).
    pub async fn conversations_of(
        &self,
        user: Uuid,
        after: Option<(SystemTime, Uuid)>,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<ConversationRecord>, sqlx::Error> {
        let (time, id) = after.map_or((i64::MAX, String::new()), |(time, id)| {
            (unix_micros(time), id.to_string())
        });
        let columns = CONVERSATION_COLUMNS
            .split(", ")
            .map(|column| format!("c.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!(
            "SELECT {columns} FROM conversations c \
             JOIN participants p ON p.conversation_id = c.id \
             WHERE p.user_id = $1 AND ($2 = 0 OR p.unread_count > 0) \
             AND (c.updated_at < $3 OR (c.updated_at = $3 AND ($4 = '' OR c.id < $4))) \
             ORDER BY c.updated_at DESC, c.id DESC LIMIT $5"
        ))
        .bind(user.to_string())
        .bind(i64::from(unread_only))
        .bind(time)
        .bind(id)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(conversation_from_row)
        .collect()
    }

    /// The user's unread messages in `conversation` and in all their conversations.
    pub async fn unread_counts(
        &self,
        user: Uuid,
        conversation: Option<Uuid>,
    ) -> Result<(i64, i64), sqlx::Error> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN conversation_id = $2 THEN unread_count ELSE 0 END), 0) AS BIGINT) AS here, \
             CAST(COALESCE(SUM(unread_count), 0) AS BIGINT) AS total \
             FROM participants WHERE user_id = $1",
        )
        .bind(user.to_string())
        .bind(conversation.map(|id| id.to_string()).unwrap_or_default())
        .fetch_one(self.db.pool())
        .await?;
        Ok((row.try_get("here")?, row.try_get("total")?))
    }

    // ---- messages ----

    /// Sends `new` in `conversation`: numbers it, counts it unread for the recipients and
    /// appends it to both participants' streams. A request id used before returns its message.
    pub async fn send_in(
        conn: &mut AnyConnection,
        conversation: Uuid,
        new: &NewMessage,
        now: SystemTime,
        events: impl FnOnce(&MessageRecord, &ConversationRecord) -> Vec<NewEvent>,
    ) -> Result<Option<Sent>, sqlx::Error> {
        if !new.request_id.is_empty()
            && let Some(message) = sqlx::query(&format!(
                "SELECT {} FROM messages m \
                 WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.request_id = $3",
                message_columns("m", "")
            ))
            .bind(conversation.to_string())
            .bind(sender_column(new.sender))
            .bind(&new.request_id)
            .fetch_optional(&mut *conn)
            .await?
        {
            let message = message_from_row(&message, "")?;
            let found = Self::conversation_in(conn, conversation).await?;
            return Ok(found.map(|conversation| Sent {
                message,
                conversation,
                duplicate: true,
                wakeups: Vec::new(),
            }));
        }
        let Some(row) = sqlx::query(&format!(
            "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2 \
             RETURNING {CONVERSATION_COLUMNS}"
        ))
        .bind(unix_micros(now))
        .bind(conversation.to_string())
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let record = conversation_from_row(&row)?;
        let message = MessageRecord {
            id: Uuid::now_v7(),
            conversation,
            seq: record.last_seq,
            sender: new.sender,
            kind: new.kind,
            body: new.body.clone(),
            attachments: new.attachments.clone(),
            system_event: new.system_event.clone(),
            booking: new.booking.clone(),
            masked: new.masked,
            request_id: new.request_id.clone(),
            created_at: now,
            edited_at: None,
            deleted_at: None,
        };
        sqlx::query(&format!(
            "INSERT INTO messages ({}, search_text) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, $13)",
            MESSAGE_COLUMNS.join(", ")
        ))
        .bind(message.id.to_string())
        .bind(conversation.to_string())
        .bind(message.seq)
        .bind(sender_column(message.sender))
        .bind(message.kind.as_str())
        .bind(&message.body)
        .bind(message.attachments.join(" "))
        .bind(&message.system_event)
        .bind(&message.booking)
        .bind(i64::from(message.masked))
        .bind(&message.request_id)
        .bind(unix_micros(now))
        .bind(crate::domain::search_text(&message.body))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE participants SET unread_count = unread_count + 1, \
             unread_since = COALESCE(unread_since, $1) \
             WHERE conversation_id = $2 AND user_id <> $3",
        )
        .bind(unix_micros(now))
        .bind(conversation.to_string())
        .bind(sender_column(message.sender))
        .execute(&mut *conn)
        .await?;
        let actor = message.sender.unwrap_or(Uuid::nil());
        let wakeups = Self::append_feed(
            conn,
            &record.participants(),
            conversation,
            FeedKind::Sent,
            message.id,
            actor,
            now,
        )
        .await?;
        for event in events(&message, &record) {
            OUTBOX.append(&mut *conn, event).await?;
        }
        Ok(Some(Sent {
            message,
            conversation: record,
            duplicate: false,
            wakeups,
        }))
    }

    /// [`Self::send_in`] in its own transaction; with `start`, the conversation is found or
    /// started (with its events) in the same one, so a refused message starts nothing. Two
    /// sends with one request id at once: the loser finds the winner's message.
    pub async fn send(
        &self,
        conversation: &ConversationRecord,
        start: Option<&StartEvents>,
        new: &NewMessage,
        events: impl Fn(&MessageRecord, &ConversationRecord) -> Vec<NewEvent>,
    ) -> Result<Option<Sent>, sqlx::Error> {
        for attempt in 0.. {
            let mut tx = self.db.begin().await?;
            let mut id = conversation.id;
            if let Some(started_events) = start {
                let (found, started) = Self::find_or_start_in(&mut tx, conversation).await?;
                if started {
                    for event in started_events(&found) {
                        OUTBOX.append(&mut tx, event).await?;
                    }
                }
                id = found.id;
            }
            match Self::send_in(&mut tx, id, new, SystemTime::now(), &events).await {
                Ok(sent) => {
                    tx.commit().await?;
                    return Ok(sent);
                }
                Err(err) if attempt == 0 && estospaces_storage::is_unique_violation(&err) => {
                    tx.rollback().await?;
                }
                Err(err) => return Err(err),
            }
        }
        unreachable!("the loop returns")
    }

    async fn conversation_in(
        conn: &mut AnyConnection,
        id: Uuid,
    ) -> Result<Option<ConversationRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(conversation_from_row)
        .transpose()
    }

    /// Appends one event to each of `users`' streams (sorted: the lock order).
    async fn append_feed(
        conn: &mut AnyConnection,
        users: &[Uuid],
        conversation: Uuid,
        kind: FeedKind,
        message: Uuid,
        actor: Uuid,
        now: SystemTime,
    ) -> Result<Wakeups, sqlx::Error> {
        let mut wakeups = Vec::with_capacity(users.len());
        for user in users {
            let seq: i64 = sqlx::query(
                "UPDATE feeds SET last_seq = last_seq + 1 WHERE user_id = $1 RETURNING last_seq",
            )
            .bind(user.to_string())
            .fetch_one(&mut *conn)
            .await?
            .try_get("last_seq")?;
            sqlx::query(
                "INSERT INTO feed_events \
                 (user_id, seq, conversation_id, kind, message_id, actor_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(user.to_string())
            .bind(seq)
            .bind(conversation.to_string())
            .bind(kind.as_str())
            .bind(message.to_string())
            .bind(actor.to_string())
            .bind(unix_micros(now))
            .execute(&mut *conn)
            .await?;
            wakeups.push((*user, seq));
        }
        Ok(wakeups)
    }

    pub async fn message(&self, id: Uuid) -> Result<Option<MessageRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {} FROM messages m WHERE m.id = $1",
            message_columns("m", "")
        ))
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?
        .map(|row| message_from_row(&row, ""))
        .transpose()
    }

    /// A conversation's messages, newest first, before number `before`.
    pub async fn messages(
        &self,
        conversation: Uuid,
        before: i64,
        limit: i64,
    ) -> Result<Vec<MessageRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {} FROM messages m WHERE m.conversation_id = $1 AND m.seq < $2 \
             ORDER BY m.seq DESC LIMIT $3",
            message_columns("m", "")
        ))
        .bind(conversation.to_string())
        .bind(before)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| message_from_row(row, ""))
        .collect()
    }

    /// The newest message of `conversation`, if any.
    pub async fn last_message(
        &self,
        conversation: &ConversationRecord,
    ) -> Result<Option<MessageRecord>, sqlx::Error> {
        if conversation.last_seq == 0 {
            return Ok(None);
        }
        Ok(self
            .messages(conversation.id, conversation.last_seq + 1, 1)
            .await?
            .pop())
    }

    /// Replaces a message's text, unless it was deleted; the message as it is now.
    pub async fn edit(
        &self,
        message: &MessageRecord,
        conversation: &ConversationRecord,
        body: &str,
        masked: bool,
    ) -> Result<Option<(MessageRecord, Wakeups)>, sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        let updated = sqlx::query(
            "UPDATE messages SET body = $1, search_text = $2, masked = $3, edited_at = $4 \
             WHERE id = $5 AND deleted_at IS NULL",
        )
        .bind(body)
        .bind(crate::domain::search_text(body))
        .bind(i64::from(masked))
        .bind(unix_micros(now))
        .bind(message.id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        let actor = message.sender.unwrap_or(Uuid::nil());
        let wakeups = Self::append_feed(
            &mut tx,
            &conversation.participants(),
            conversation.id,
            FeedKind::Edited,
            message.id,
            actor,
            now,
        )
        .await?;
        tx.commit().await?;
        let edited = MessageRecord {
            body: body.to_owned(),
            masked,
            edited_at: Some(now),
            ..message.clone()
        };
        Ok(Some((edited, wakeups)))
    }

    /// Deletes a message for everyone: its text and attachments go, and a recipient who had
    /// not read it has one fewer unread. Deleting again changes nothing.
    pub async fn delete(
        &self,
        message: &MessageRecord,
        conversation: &ConversationRecord,
    ) -> Result<(MessageRecord, Wakeups), sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        let deleted = sqlx::query(
            "UPDATE messages SET body = '', attachments = '', search_text = '', deleted_at = $1 \
             WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(unix_micros(now))
        .bind(message.id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let tombstone = MessageRecord {
            body: String::new(),
            attachments: Vec::new(),
            deleted_at: Some(message.deleted_at.unwrap_or(now)),
            ..message.clone()
        };
        if deleted == 0 {
            return Ok((tombstone, Vec::new()));
        }
        sqlx::query(
            "UPDATE participants SET unread_count = unread_count - 1, \
             unread_since = CASE WHEN unread_count = 1 THEN NULL ELSE unread_since END \
             WHERE conversation_id = $1 AND user_id <> $2 AND last_read_seq < $3 \
             AND unread_count > 0",
        )
        .bind(conversation.id.to_string())
        .bind(sender_column(message.sender))
        .bind(message.seq)
        .execute(&mut *tx)
        .await?;
        let actor = message.sender.unwrap_or(Uuid::nil());
        let wakeups = Self::append_feed(
            &mut tx,
            &conversation.participants(),
            conversation.id,
            FeedKind::Deleted,
            message.id,
            actor,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((tombstone, wakeups))
    }

    /// Moves `user`'s reading position forward to `message`; `None` when it was already
    /// there or past it (no receipt to send).
    pub async fn mark_read(
        &self,
        conversation: &ConversationRecord,
        user: Uuid,
        message: &MessageRecord,
    ) -> Result<Option<(SystemTime, Wakeups)>, sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        let unread = "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = $1 \
             AND m.seq > $3 AND m.sender_id <> $2 AND m.deleted_at IS NULL)";
        let moved = sqlx::query(&format!(
            "UPDATE participants SET last_read_seq = $3, read_at = $4, \
             unread_count = {unread}, \
             unread_since = CASE WHEN {unread} = 0 THEN NULL ELSE unread_since END \
             WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3"
        ))
        .bind(conversation.id.to_string())
        .bind(user.to_string())
        .bind(message.seq)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(None);
        }
        let wakeups = Self::append_feed(
            &mut tx,
            &conversation.participants(),
            conversation.id,
            FeedKind::Read,
            message.id,
            user,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some((now, wakeups)))
    }

    /// Messages of `user`'s conversations whose text has every one of `words`, newest first,
    /// after `after` (the last of the previous page).
    pub async fn search(
        &self,
        user: Uuid,
        words: &[String],
        after: Option<(SystemTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<MessageRecord>, sqlx::Error> {
        let (time, id) = after.map_or((i64::MAX, String::new()), |(time, id)| {
            (unix_micros(time), id.to_string())
        });
        // Words are letters and digits only (domain::words): nothing to escape in a pattern.
        let matches: String = (0..words.len())
            .map(|index| format!(" AND m.search_text LIKE ${}", index + 5))
            .collect();
        let sql = format!(
            "SELECT {} FROM messages m JOIN participants p ON p.conversation_id = m.conversation_id \
             WHERE p.user_id = $1 AND m.deleted_at IS NULL \
             AND (m.created_at < $2 OR (m.created_at = $2 AND ($3 = '' OR m.id < $3))){matches} \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $4",
            message_columns("m", "")
        );
        let mut query = sqlx::query(&sql)
            .bind(user.to_string())
            .bind(time)
            .bind(id)
            .bind(limit);
        for word in words {
            query = query.bind(format!("%{word}%"));
        }
        query
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(|row| message_from_row(row, ""))
            .collect()
    }

    // ---- streams ----

    /// The number of the newest event of `user`'s stream (0 when it has none).
    pub async fn feed_head(&self, user: Uuid) -> Result<i64, sqlx::Error> {
        Ok(sqlx::query("SELECT last_seq FROM feeds WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_optional(self.db.pool())
            .await?
            .map(|row| row.try_get("last_seq"))
            .transpose()?
            .unwrap_or(0))
    }

    /// `user`'s stream after number `after`, oldest first.
    pub async fn feed_after(
        &self,
        user: Uuid,
        after: i64,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT f.seq, f.conversation_id, f.kind AS feed_kind, f.actor_id, \
             f.created_at AS feed_created_at, {} \
             FROM feed_events f LEFT JOIN messages m ON m.id = f.message_id \
             WHERE f.user_id = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3",
            message_columns("m", "m_")
        ))
        .bind(user.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            let message = match row.try_get::<Option<String>, _>("m_id")? {
                Some(_) => Some(message_from_row(row, "m_")?),
                None => None,
            };
            Ok(FeedEvent {
                seq: row.try_get("seq")?,
                conversation: uuid_column(row, "conversation_id")?,
                kind: FeedKind::from_name(&row.try_get::<String, _>("feed_kind")?)
                    .ok_or_else(|| decode_error("stream event kind"))?,
                actor: uuid_column(row, "actor_id")?,
                message,
                created_at: from_unix_micros(row.try_get("feed_created_at")?),
            })
        })
        .collect()
    }

    /// Says `user` has a stream open until `until`.
    pub async fn set_presence(&self, user: Uuid, until: SystemTime) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO presence (user_id, connected_until) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET connected_until = excluded.connected_until",
        )
        .bind(user.to_string())
        .bind(unix_micros(until))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    // ---- limits ----

    /// How many messages `sender` sent since `since`.
    pub async fn sent_since(&self, sender: Uuid, since: SystemTime) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) AS n FROM messages WHERE sender_id = $1 AND created_at >= $2")
            .bind(sender.to_string())
            .bind(unix_micros(since))
            .fetch_one(self.db.pool())
            .await?
            .try_get("n")
    }

    /// How many conversations `inquirer` started since `since`.
    pub async fn started_since(
        &self,
        inquirer: Uuid,
        since: SystemTime,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query(
            "SELECT COUNT(*) AS n FROM conversations WHERE inquirer_id = $1 AND created_at >= $2",
        )
        .bind(inquirer.to_string())
        .bind(unix_micros(since))
        .fetch_one(self.db.pool())
        .await?
        .try_get("n")
    }

    /// In how many conversations `sender`'s first message since `since` said `text`'s words.
    pub async fn same_first_messages(
        &self,
        sender: Uuid,
        text: &str,
        since: SystemTime,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query(
            "SELECT COUNT(*) AS n FROM messages m \
             WHERE m.sender_id = $1 AND m.created_at >= $2 AND m.search_text = $3 \
             AND NOT EXISTS (SELECT 1 FROM messages e WHERE e.conversation_id = m.conversation_id \
                             AND e.sender_id = m.sender_id AND e.seq < m.seq)",
        )
        .bind(sender.to_string())
        .bind(unix_micros(since))
        .bind(crate::domain::search_text(text))
        .fetch_one(self.db.pool())
        .await?
        .try_get("n")
    }

    // ---- blocks ----

    /// Records that `user` blocks `blocked`; when, and whether it is new.
    pub async fn block(
        &self,
        user: Uuid,
        blocked: Uuid,
        event: impl FnOnce(SystemTime) -> NewEvent,
    ) -> Result<(SystemTime, bool), sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        let new = sqlx::query(
            "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(user.to_string())
        .bind(blocked.to_string())
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !new {
            let at: i64 =
                sqlx::query("SELECT created_at FROM blocks WHERE user_id = $1 AND blocked_id = $2")
                    .bind(user.to_string())
                    .bind(blocked.to_string())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("created_at")?;
            return Ok((from_unix_micros(at), false));
        }
        OUTBOX.append(&mut tx, event(now)).await?;
        tx.commit().await?;
        Ok((now, true))
    }

    /// Removes a block; whether there was one.
    pub async fn unblock(&self, user: Uuid, blocked: Uuid) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2")
                .bind(user.to_string())
                .bind(blocked.to_string())
                .execute(self.db.pool())
                .await?
                .rows_affected()
                == 1,
        )
    }

    /// The users `user` blocks, after `after`, with when.
    pub async fn blocks(
        &self,
        user: Uuid,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<(Uuid, SystemTime)>, sqlx::Error> {
        sqlx::query(
            "SELECT blocked_id, created_at FROM blocks WHERE user_id = $1 AND blocked_id > $2 \
             ORDER BY blocked_id LIMIT $3",
        )
        .bind(user.to_string())
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            Ok((
                uuid_column(row, "blocked_id")?,
                from_unix_micros(row.try_get("created_at")?),
            ))
        })
        .collect()
    }

    /// Whether either of the two blocks the other.
    pub async fn blocked_either_way(&self, a: Uuid, b: Uuid) -> Result<bool, sqlx::Error> {
        let found = sqlx::query(
            "SELECT 1 AS found FROM blocks WHERE (user_id = $1 AND blocked_id = $2) \
             OR (user_id = $2 AND blocked_id = $1) LIMIT 1",
        )
        .bind(a.to_string())
        .bind(b.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(found.is_some())
    }

    // ---- reports ----

    /// Records a report and marks its conversation reported.
    #[allow(clippy::too_many_arguments)]
    pub async fn report(
        &self,
        id: Uuid,
        reporter: Uuid,
        conversation: Uuid,
        message: Option<Uuid>,
        reason: &str,
        details: &str,
        now: SystemTime,
        event: NewEvent,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO reports (id, reporter_id, conversation_id, message_id, reason, details, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(reporter.to_string())
        .bind(conversation.to_string())
        .bind(message.map(|id| id.to_string()).unwrap_or_default())
        .bind(reason)
        .bind(details)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE conversations SET reported = 1 WHERE id = $1")
            .bind(conversation.to_string())
            .execute(&mut *tx)
            .await?;
        OUTBOX.append(&mut tx, event).await?;
        tx.commit().await
    }

    // ---- reminders ----

    /// Participants with messages unread since before `unread_before`, not reminded since
    /// `reminded_before` nor of the newest message, and not connected at `now`.
    pub async fn due_reminders(
        &self,
        unread_before: SystemTime,
        reminded_before: SystemTime,
        now: SystemTime,
        limit: i64,
    ) -> Result<Vec<DueReminder>, sqlx::Error> {
        sqlx::query(
            "SELECT p.conversation_id, p.user_id, p.unread_count, c.last_seq \
             FROM participants p JOIN conversations c ON c.id = p.conversation_id \
             LEFT JOIN presence pr ON pr.user_id = p.user_id \
             WHERE p.unread_since IS NOT NULL AND p.unread_since <= $1 \
             AND p.reminded_seq < c.last_seq \
             AND (p.reminded_at IS NULL OR p.reminded_at <= $2) \
             AND (pr.connected_until IS NULL OR pr.connected_until < $3) \
             ORDER BY p.unread_since LIMIT $4",
        )
        .bind(unix_micros(unread_before))
        .bind(unix_micros(reminded_before))
        .bind(unix_micros(now))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(DueReminder {
                conversation: uuid_column(row, "conversation_id")?,
                user: uuid_column(row, "user_id")?,
                unread_count: row.try_get("unread_count")?,
                last_seq: row.try_get("last_seq")?,
            })
        })
        .collect()
    }

    /// Records a reminder of `due` with its event, unless another replica just did; whether
    /// this one did.
    pub async fn record_reminder(
        &self,
        due: &DueReminder,
        now: SystemTime,
        event: NewEvent,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let claimed = sqlx::query(
            "UPDATE participants SET reminded_seq = $1, reminded_at = $2 \
             WHERE conversation_id = $3 AND user_id = $4 AND reminded_seq < $1",
        )
        .bind(due.last_seq)
        .bind(unix_micros(now))
        .bind(due.conversation.to_string())
        .bind(due.user.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            OUTBOX.append(&mut tx, event).await?;
            tx.commit().await?;
        }
        Ok(claimed)
    }

    /// Drops presence rows that expired long ago.
    pub async fn forget_presence(&self, before: SystemTime) -> Result<u64, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM presence WHERE connected_until < $1")
                .bind(unix_micros(before))
                .execute(self.db.pool())
                .await?
                .rows_affected(),
        )
    }
}

/// How far back rate limits look.
pub const MINUTE: Duration = Duration::from_secs(60);
