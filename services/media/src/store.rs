//! The media service's tables, in the SQL dialect PostgreSQL and SQLite share.

use std::time::SystemTime;

use estospaces_events::{NewEvent, Outbox};
use estospaces_storage::{Database, Migrations, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::{Kind, State, StoredVariant, Visibility};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub id: Uuid,
    pub owner: Uuid,
    pub kind: Kind,
    pub visibility: Visibility,
    pub state: State,
    pub content_type: String,
    pub size_bytes: u64,
    pub filename: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub blurhash: String,
    pub variants: Vec<StoredVariant>,
    pub rejection_reason: String,
    pub created_at: SystemTime,
    pub ready_at: Option<SystemTime>,
}

/// A stored resumable upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: Uuid,
    pub owner: Uuid,
    pub filename: String,
    pub visibility: Visibility,
    pub size_bytes: u64,
    pub received_bytes: u64,
    pub expires_at: SystemTime,
}

const MEDIA_COLUMNS: &str = "id, owner_id, kind, visibility, state, content_type, size_bytes, \
     filename, sha256, width, height, blurhash, variants, rejection_reason, created_at, ready_at";

fn decode_error(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("a stored {what} is not valid").into())
}

fn uuid_column(row: &AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(|_| decode_error(column))
}

fn media_from_row(row: &AnyRow) -> Result<MediaRecord, sqlx::Error> {
    let variants: String = row.try_get("variants")?;
    let ready_at: Option<i64> = row.try_get("ready_at")?;
    Ok(MediaRecord {
        id: uuid_column(row, "id")?,
        owner: uuid_column(row, "owner_id")?,
        kind: Kind::from_name(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| decode_error("kind"))?,
        visibility: Visibility::from_name(&row.try_get::<String, _>("visibility")?)
            .ok_or_else(|| decode_error("visibility"))?,
        state: State::from_name(&row.try_get::<String, _>("state")?)
            .ok_or_else(|| decode_error("state"))?,
        content_type: row.try_get("content_type")?,
        size_bytes: u64::try_from(row.try_get::<i64, _>("size_bytes")?).unwrap_or(0),
        filename: row.try_get("filename")?,
        sha256: row.try_get("sha256")?,
        width: u32::try_from(row.try_get::<i64, _>("width")?).unwrap_or(0),
        height: u32::try_from(row.try_get::<i64, _>("height")?).unwrap_or(0),
        blurhash: row.try_get("blurhash")?,
        variants: serde_json::from_str(&variants).map_err(|_| decode_error("variant list"))?,
        rejection_reason: row.try_get("rejection_reason")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        ready_at: ready_at.map(from_unix_micros),
    })
}

fn upload_from_row(row: &AnyRow) -> Result<UploadRecord, sqlx::Error> {
    Ok(UploadRecord {
        id: uuid_column(row, "id")?,
        owner: uuid_column(row, "owner_id")?,
        filename: row.try_get("filename")?,
        visibility: Visibility::from_name(&row.try_get::<String, _>("visibility")?)
            .ok_or_else(|| decode_error("visibility"))?,
        size_bytes: u64::try_from(row.try_get::<i64, _>("size_bytes")?).unwrap_or(0),
        received_bytes: u64::try_from(row.try_get::<i64, _>("received_bytes")?).unwrap_or(0),
        expires_at: from_unix_micros(row.try_get("expires_at")?),
    })
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The media service's tables.
#[derive(Debug, Clone)]
pub struct MediaStore {
    db: Database,
}

impl MediaStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Records a new upload and its events in one transaction.
    pub async fn insert_media(
        &self,
        media: &MediaRecord,
        events: Vec<NewEvent>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO media ({MEDIA_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(media.id.to_string())
        .bind(media.owner.to_string())
        .bind(media.kind.as_str())
        .bind(media.visibility.as_str())
        .bind(media.state.as_str())
        .bind(&media.content_type)
        .bind(to_i64(media.size_bytes))
        .bind(&media.filename)
        .bind(&media.sha256)
        .bind(i64::from(media.width))
        .bind(i64::from(media.height))
        .bind(&media.blurhash)
        .bind(serde_json::to_string(&media.variants).unwrap_or_else(|_| "[]".to_owned()))
        .bind(&media.rejection_reason)
        .bind(unix_micros(media.created_at))
        .bind(media.ready_at.map(unix_micros))
        .execute(&mut *tx)
        .await?;
        for event in events {
            OUTBOX.append(&mut tx, event).await?;
        }
        tx.commit().await
    }

    pub async fn media(&self, id: Uuid) -> Result<Option<MediaRecord>, sqlx::Error> {
        sqlx::query(&format!("SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.db.pool())
            .await?
            .as_ref()
            .map(media_from_row)
            .transpose()
    }

    /// A user's uploads, newest first, from `offset`.
    pub async fn list_media(
        &self,
        owner: Uuid,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<MediaRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE owner_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(owner.to_string())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(media_from_row)
        .collect()
    }

    /// Records the outcome of processing, if the media is still waiting for it; whether it
    /// was. The job goes in the same transaction, whatever the answer.
    pub async fn finish_processing(
        &self,
        media: &MediaRecord,
        event: NewEvent,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let updated = sqlx::query(
            "UPDATE media SET state = $1, width = $2, height = $3, blurhash = $4, \
             variants = $5, rejection_reason = $6, ready_at = $7 \
             WHERE id = $8 AND state = 'processing'",
        )
        .bind(media.state.as_str())
        .bind(i64::from(media.width))
        .bind(i64::from(media.height))
        .bind(&media.blurhash)
        .bind(serde_json::to_string(&media.variants).unwrap_or_else(|_| "[]".to_owned()))
        .bind(&media.rejection_reason)
        .bind(media.ready_at.map(unix_micros))
        .bind(media.id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if updated {
            OUTBOX.append(&mut tx, event).await?;
        }
        sqlx::query("DELETE FROM media_jobs WHERE media_id = $1")
            .bind(media.id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes the media row unless a published listing shows it; `Err(InUse)` names one.
    pub async fn delete_media(&self, id: Uuid, event: NewEvent) -> Result<(), DeleteError> {
        let mut tx = self.db.begin().await?;
        let used_by: Option<String> =
            sqlx::query_scalar("SELECT property FROM media_uses WHERE media_id = $1 LIMIT 1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(property) = used_by {
            return Err(DeleteError::InUse(property));
        }
        let deleted = sqlx::query("DELETE FROM media WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(DeleteError::NotFound);
        }
        sqlx::query("DELETE FROM media_jobs WHERE media_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        OUTBOX.append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Erases everything `owner` uploaded: media (with `event(id)` for each), their jobs and
    /// uses, and unfinished resumable uploads; how many media. The bytes are left to the
    /// sweeper.
    pub async fn erase_owner(
        tx: &mut AnyConnection,
        owner: Uuid,
        event: impl Fn(&str) -> NewEvent,
    ) -> Result<usize, sqlx::Error> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM media WHERE owner_id = $1")
            .bind(owner.to_string())
            .fetch_all(&mut *tx)
            .await?;
        for id in &ids {
            for table in ["media_jobs", "media_uses"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE media_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM media WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            OUTBOX.append(tx, event(id)).await?;
        }
        sqlx::query("DELETE FROM uploads WHERE owner_id = $1")
            .bind(owner.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(ids.len())
    }

    // === Processing jobs ===

    /// Queues processing of `media` unless it is queued already (a redelivered event).
    pub async fn queue_job(
        conn: &mut AnyConnection,
        media: &str,
        now: SystemTime,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO media_jobs (media_id, run_after) VALUES ($1, $2) \
             ON CONFLICT (media_id) DO NOTHING",
        )
        .bind(media)
        .bind(unix_micros(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Jobs due at `now`, oldest first.
    pub async fn due_jobs(&self, now: SystemTime, limit: i64) -> Result<Vec<Job>, sqlx::Error> {
        sqlx::query(
            "SELECT media_id, attempts, run_after FROM media_jobs WHERE run_after <= $1 \
             ORDER BY run_after LIMIT $2",
        )
        .bind(unix_micros(now))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(Job {
                media: uuid_column(row, "media_id")?,
                attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                run_after: row.try_get("run_after")?,
            })
        })
        .collect()
    }

    /// Takes `job` for `lease`, unless another worker took it first; whether this one did.
    pub async fn claim_job(
        &self,
        job: &Job,
        now: SystemTime,
        lease: std::time::Duration,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "UPDATE media_jobs SET run_after = $1, attempts = attempts + 1 \
             WHERE media_id = $2 AND run_after = $3",
        )
        .bind(unix_micros(now + lease))
        .bind(job.media.to_string())
        .bind(job.run_after)
        .execute(self.db.pool())
        .await?
        .rows_affected()
            == 1)
    }

    /// Puts a failed job back for `at`.
    pub async fn retry_job(
        &self,
        media: Uuid,
        at: SystemTime,
        error: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE media_jobs SET run_after = $1, last_error = $2 WHERE media_id = $3")
            .bind(unix_micros(at))
            .bind(error)
            .bind(media.to_string())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    pub async fn drop_job(&self, media: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM media_jobs WHERE media_id = $1")
            .bind(media.to_string())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// How many images wait for their variants.
    pub async fn waiting_jobs(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM media_jobs")
            .fetch_one(self.db.pool())
            .await
    }

    // === Uses by listings ===

    /// Makes `media` the whole list of what published listing `property` shows (empty when it
    /// is no longer published).
    pub async fn replace_uses(
        conn: &mut AnyConnection,
        property: &str,
        media: &[String],
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM media_uses WHERE property = $1")
            .bind(property)
            .execute(&mut *conn)
            .await?;
        for id in media {
            sqlx::query(
                "INSERT INTO media_uses (media_id, property) VALUES ($1, $2) \
                 ON CONFLICT (media_id, property) DO NOTHING",
            )
            .bind(id)
            .bind(property)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    // === Resumable uploads ===

    pub async fn insert_upload(
        &self,
        upload: &UploadRecord,
        now: SystemTime,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO uploads (id, owner_id, filename, visibility, size_bytes, \
             received_bytes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(upload.id.to_string())
        .bind(upload.owner.to_string())
        .bind(&upload.filename)
        .bind(upload.visibility.as_str())
        .bind(to_i64(upload.size_bytes))
        .bind(to_i64(upload.received_bytes))
        .bind(unix_micros(now))
        .bind(unix_micros(upload.expires_at))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn upload(&self, id: Uuid) -> Result<Option<UploadRecord>, sqlx::Error> {
        sqlx::query(
            "SELECT id, owner_id, filename, visibility, size_bytes, received_bytes, expires_at \
             FROM uploads WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(upload_from_row)
        .transpose()
    }

    /// Moves `received_bytes` from `from` to `to`, if no other piece moved it first; whether
    /// this one did.
    pub async fn advance_upload(&self, id: Uuid, from: u64, to: u64) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "UPDATE uploads SET received_bytes = $1 WHERE id = $2 AND received_bytes = $3",
        )
        .bind(to_i64(to))
        .bind(id.to_string())
        .bind(to_i64(from))
        .execute(self.db.pool())
        .await?
        .rows_affected()
            == 1)
    }

    /// Forgets a resumable upload; whether it was there (a completion racing another loses).
    pub async fn delete_upload(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db.pool())
            .await?
            .rows_affected()
            == 1)
    }

    /// Resumable uploads past their expiry.
    pub async fn expired_uploads(&self, now: SystemTime) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query("SELECT id FROM uploads WHERE expires_at <= $1 LIMIT 100")
            .bind(unix_micros(now))
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(|row| uuid_column(row, "id"))
            .collect()
    }

    // === The URL signing key ===

    /// The key signed URLs are made with: the stored one, or `make()`'s, stored.
    pub async fn signing_key(&self, make: impl FnOnce() -> String) -> Result<String, sqlx::Error> {
        sqlx::query(
            "INSERT INTO url_signing_keys (id, secret, created_at) VALUES ('current', $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(make())
        .bind(unix_micros(SystemTime::now()))
        .execute(self.db.pool())
        .await?;
        sqlx::query_scalar("SELECT secret FROM url_signing_keys WHERE id = 'current'")
            .fetch_one(self.db.pool())
            .await
    }
}

/// A processing job.
#[derive(Debug, Clone)]
pub struct Job {
    pub media: Uuid,
    pub attempts: u32,
    run_after: i64,
}

/// Why media was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error("a published listing shows it: {0}")]
    InUse(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}
