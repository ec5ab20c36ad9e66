//! The review service's tables, in the SQL dialect PostgreSQL and SQLite share.
//!
//! Two locks keep concurrent writers honest. A stay's row is locked before either side's
//! review of it is written, so when guest and host write at once the second sees the first
//! and both are published. A summary's row is locked before it is recomputed from `reviews`,
//! so summaries, and the `review.rating_changed` events that carry them, follow commit order:
//! the last event of a listing has every review. Summaries are locked in name order.

use std::time::{Duration, SystemTime};

use estospaces_events::{Event, NewEvent, Outbox};
use estospaces_proto::review_v1 as pb;
use estospaces_storage::{Database, Migrations, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::{self, Categories, Draft, Kind, State};
use crate::held::HELD_REASON;

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

pub(crate) const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// A stay as the booking service's events told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayRecord {
    /// `bookings/{booking}`.
    pub booking: String,
    /// `properties/{property}`.
    pub listing: String,
    pub guest: String,
    pub host: String,
    /// Midnight UTC of the check-out day.
    pub check_out: SystemTime,
    pub state: StayState,
}

/// How far a stay got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StayState {
    Confirmed,
    Completed,
    Cancelled,
}

impl StayState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            _ => Self::Confirmed,
        }
    }
}

/// A stored review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRecord {
    pub id: Uuid,
    pub kind: Kind,
    /// `bookings/{booking}` for stays, `agents/{user}` for agents: one review per author each.
    pub subject_key: String,
    pub booking: String,
    pub listing: String,
    pub author: String,
    pub reviewee: String,
    pub draft: Draft,
    pub state: State,
    pub response: String,
    pub responded_at: Option<SystemTime>,
    pub helpful_count: i64,
    pub window_closes_at: Option<SystemTime>,
    pub request_id: String,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub published_at: Option<SystemTime>,
}

impl ReviewRecord {
    /// A review about to be written.
    #[allow(clippy::too_many_arguments)] // a review is all of these
    pub fn new(
        kind: Kind,
        subject_key: String,
        booking: &str,
        listing: &str,
        author: &str,
        reviewee: &str,
        draft: Draft,
        window_closes_at: Option<SystemTime>,
        request_id: &str,
    ) -> Self {
        let now = SystemTime::now();
        Self {
            id: Uuid::now_v7(),
            kind,
            subject_key,
            booking: booking.to_owned(),
            listing: listing.to_owned(),
            author: author.to_owned(),
            reviewee: reviewee.to_owned(),
            draft,
            state: State::Pending,
            response: String::new(),
            responded_at: None,
            helpful_count: 0,
            window_closes_at,
            request_id: request_id.to_owned(),
            created_at: now,
            updated_at: now,
            published_at: None,
        }
    }

    pub fn name(&self) -> String {
        format!("reviews/{}", self.id)
    }

    /// The summaries this review counts in once published.
    pub fn summaries(&self) -> Vec<String> {
        match self.kind {
            Kind::Guest => vec![self.listing.clone(), format!("users/{}", self.reviewee)],
            Kind::Host | Kind::Agent => vec![format!("users/{}", self.reviewee)],
        }
    }

    /// The review as the API shows it; `voted` is whether the reader found it helpful.
    pub fn proto(&self, voted: bool) -> pb::Review {
        pb::Review {
            name: self.name(),
            kind: self.kind.proto() as i32,
            booking: self.booking.clone(),
            listing: self.listing.clone(),
            author: format!("users/{}", self.author),
            reviewee: format!("users/{}", self.reviewee),
            rating: i32::try_from(self.draft.rating).unwrap_or_default(),
            category_ratings: (self.kind == Kind::Guest)
                .then(|| domain::category_ratings(&self.draft.categories)),
            text: self.draft.text.clone(),
            state: self.state.proto() as i32,
            response: self.responded_at.map(|at| pb::ReviewResponse {
                text: self.response.clone(),
                create_time: Some(at.into()),
            }),
            helpful_count: i32::try_from(self.helpful_count).unwrap_or(i32::MAX),
            voted_helpful: voted,
            window_close_time: self
                .window_closes_at
                .filter(|_| self.state == State::Pending)
                .map(Into::into),
            create_time: Some(self.created_at.into()),
            update_time: Some(self.updated_at.into()),
            publish_time: self.published_at.map(Into::into),
        }
    }
}

/// A listing's or user's rating summary.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryRecord {
    /// `properties/{property}` or `users/{user}`.
    pub subject: String,
    pub review_count: i64,
    pub average_rating: f64,
    pub score: f64,
    pub categories: [f64; 6],
    pub guest_review_count: i64,
    pub guest_average_rating: f64,
}

impl SummaryRecord {
    /// An empty summary of `subject`: no reviews yet.
    pub fn empty(subject: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            ..Self::default()
        }
    }

    pub fn proto(&self) -> pb::RatingSummary {
        let [
            cleanliness,
            accuracy,
            communication,
            location,
            check_in,
            value,
        ] = self.categories;
        pb::RatingSummary {
            name: format!("{}/ratingSummary", self.subject),
            review_count: i32::try_from(self.review_count).unwrap_or(i32::MAX),
            average_rating: self.average_rating,
            score: self.score,
            category_averages: Some(pb::CategoryAverages {
                cleanliness,
                accuracy,
                communication,
                location,
                check_in,
                value,
            }),
            guest_review_count: i32::try_from(self.guest_review_count).unwrap_or(i32::MAX),
            guest_average_rating: self.guest_average_rating,
        }
    }
}

/// What writing a review came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// Written now; published already when the other side had written (or none is awaited).
    New(ReviewRecord),
    /// The same request id wrote this one before.
    Repeated(ReviewRecord),
    /// The author already reviewed this stay or agent.
    Exists,
}

/// Where a list continues: the time it is ordered by and the id, of the last one returned.
pub type Cursor = (i64, String);

/// Whose reviews a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewsOf<'a> {
    /// A listing's published guest reviews.
    Listing(&'a str),
    /// Published reviews about a user.
    Reviewee(&'a str),
    /// Every review a user wrote.
    Author(&'a str),
}

const REVIEW_COLUMNS: &str = "id, kind, subject_key, booking, listing, author_id, reviewee_id, \
    rating, cleanliness, accuracy, communication, location, check_in, value, body, state, \
    response, responded_at, helpful_count, window_closes_at, request_id, created_at, \
    updated_at, published_at";

/// The review service's tables. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReviewStore {
    db: Database,
}

impl ReviewStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Records what a booking event says about a stay, in the consumer's transaction. A stay
    /// that completed or was cancelled does not go back to confirmed.
    pub async fn record_stay_in(
        tx: &mut AnyConnection,
        stay: &StayRecord,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO stays (booking, listing, guest_id, host_id, check_out_at, state, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (booking) DO UPDATE SET state = excluded.state, \
             check_out_at = excluded.check_out_at, updated_at = excluded.updated_at \
             WHERE excluded.state <> 'confirmed' OR stays.state = 'confirmed'",
        )
        .bind(&stay.booking)
        .bind(&stay.listing)
        .bind(&stay.guest)
        .bind(&stay.host)
        .bind(unix_micros(stay.check_out))
        .bind(stay.state.as_str())
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Records stays directly, for the demo seed's history of stays that ended before the
    /// platform started.
    pub async fn record_stays(&self, stays: &[StayRecord]) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        for stay in stays {
            Self::record_stay_in(&mut tx, stay).await?;
        }
        tx.commit().await
    }

    pub async fn stay(&self, booking: &str) -> Result<Option<StayRecord>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT booking, listing, guest_id, host_id, check_out_at, state FROM stays \
             WHERE booking = $1",
        )
        .bind(booking)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(StayRecord {
                booking: row.try_get("booking")?,
                listing: row.try_get("listing")?,
                guest: row.try_get("guest_id")?,
                host: row.try_get("host_id")?,
                check_out: from_unix_micros(row.try_get("check_out_at")?),
                state: StayState::parse(row.try_get("state")?),
            })
        })
        .transpose()
    }

    /// Records that `inquirer` asked `owner` about `listing`, in the consumer's transaction.
    pub async fn record_contact_in(
        tx: &mut AnyConnection,
        inquirer: &str,
        listing: &str,
        owner: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO contacts (inquirer_id, listing, owner_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(inquirer)
        .bind(listing)
        .bind(owner)
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// The owner `inquirer` asked about `listing`, if they did.
    pub async fn contacted_owner(
        &self,
        inquirer: &str,
        listing: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query("SELECT owner_id FROM contacts WHERE inquirer_id = $1 AND listing = $2")
            .bind(inquirer)
            .bind(listing)
            .fetch_optional(self.db.pool())
            .await?
            .map(|row| row.try_get("owner_id"))
            .transpose()
    }

    /// Writes `review`. A stay review is published with the other side's when that one is
    /// already written; an agent review is published at once.
    pub async fn create(&self, review: &ReviewRecord) -> Result<Created, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        if !review.booking.is_empty() {
            // Serializes both sides of one stay: see the module's comment.
            sqlx::query("UPDATE stays SET updated_at = updated_at WHERE booking = $1")
                .bind(&review.booking)
                .execute(&mut *tx)
                .await?;
        }
        if !review.request_id.is_empty()
            && let Some(first) =
                Self::by_request_in(&mut tx, &review.author, &review.request_id).await?
        {
            return Ok(Created::Repeated(first));
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO reviews ({REVIEW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(review.id.to_string())
        .bind(review.kind.as_str())
        .bind(&review.subject_key)
        .bind(&review.booking)
        .bind(&review.listing)
        .bind(&review.author)
        .bind(&review.reviewee)
        .bind(review.draft.rating)
        .bind(review.draft.categories[0])
        .bind(review.draft.categories[1])
        .bind(review.draft.categories[2])
        .bind(review.draft.categories[3])
        .bind(review.draft.categories[4])
        .bind(review.draft.categories[5])
        .bind(&review.draft.text)
        .bind(review.state.as_str())
        .bind(&review.response)
        .bind(review.responded_at.map(unix_micros))
        .bind(review.helpful_count)
        .bind(review.window_closes_at.map(unix_micros))
        .bind(&review.request_id)
        .bind(unix_micros(review.created_at))
        .bind(unix_micros(review.updated_at))
        .bind(review.published_at.map(unix_micros))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !inserted {
            // A request id raced its twin, or the author already wrote this review.
            if !review.request_id.is_empty()
                && let Some(first) =
                    Self::by_request_in(&mut tx, &review.author, &review.request_id).await?
            {
                return Ok(Created::Repeated(first));
            }
            return Ok(Created::Exists);
        }
        let release = match review.kind {
            Kind::Agent => vec![review.id],
            Kind::Guest | Kind::Host => {
                let other = sqlx::query(
                    "SELECT id FROM reviews WHERE subject_key = $1 AND author_id <> $2 \
                     AND state = 'pending'",
                )
                .bind(&review.subject_key)
                .bind(&review.author)
                .fetch_optional(&mut *tx)
                .await?;
                match other {
                    Some(row) => vec![review.id, parse_id(row.try_get("id")?)?],
                    None => Vec::new(),
                }
            }
        };
        Self::publish_in(&mut tx, &release, SystemTime::now()).await?;
        let written = Self::review_in(&mut tx, review.id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        tx.commit().await?;
        Ok(Created::New(written))
    }

    async fn by_request_in(
        tx: &mut AnyConnection,
        author: &str,
        request_id: &str,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews WHERE author_id = $1 AND request_id = $2"
        ))
        .bind(author)
        .bind(request_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| review_from(&row))
        .transpose()
    }

    async fn review_in(
        tx: &mut AnyConnection,
        id: Uuid,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| review_from(&row))
        .transpose()
    }

    pub async fn review(&self, id: Uuid) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let mut connection = self.db.pool().acquire().await?;
        Self::review_in(&mut connection, id).await
    }

    /// Publishes the pending reviews among `ids`, and recomputes the summaries they count in,
    /// with their events.
    async fn publish_in(
        tx: &mut AnyConnection,
        ids: &[Uuid],
        now: SystemTime,
    ) -> Result<(), sqlx::Error> {
        let mut published = Vec::new();
        for id in ids {
            let changed = sqlx::query(
                "UPDATE reviews SET state = 'published', published_at = $2, updated_at = $2 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id.to_string())
            .bind(unix_micros(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1
                && let Some(review) = Self::review_in(tx, *id).await?
            {
                published.push(review);
            }
        }
        for review in &published {
            OUTBOX
                .append(
                    tx,
                    NewEvent::new(
                        "review.published",
                        "review",
                        review.id.to_string(),
                        &pb::ReviewPublished {
                            review: Some(review.proto(false)),
                        },
                    ),
                )
                .await?;
        }
        let subjects: Vec<String> = published.iter().flat_map(ReviewRecord::summaries).collect();
        Self::refresh_summaries_in(tx, subjects, now).await
    }

    /// Recomputes the summaries of `subjects` from the published reviews, in name order, and
    /// records a `review.rating_changed` event for each.
    async fn refresh_summaries_in(
        tx: &mut AnyConnection,
        mut subjects: Vec<String>,
        now: SystemTime,
    ) -> Result<(), sqlx::Error> {
        subjects.sort();
        subjects.dedup();
        for subject in subjects {
            sqlx::query(
                "INSERT INTO summaries (subject, updated_at) VALUES ($1, $2) \
                 ON CONFLICT (subject) DO NOTHING",
            )
            .bind(&subject)
            .bind(unix_micros(now))
            .execute(&mut *tx)
            .await?;
            // The row lock: whoever recomputes next waits for this commit and then sees it.
            sqlx::query("UPDATE summaries SET updated_at = $2 WHERE subject = $1")
                .bind(&subject)
                .bind(unix_micros(now))
                .execute(&mut *tx)
                .await?;
            let summary = Self::compute_in(tx, &subject).await?;
            sqlx::query(
                "UPDATE summaries SET review_count = $2, average_rating = $3, score = $4, \
                 cleanliness = $5, accuracy = $6, communication = $7, location = $8, \
                 check_in = $9, value = $10, guest_review_count = $11, \
                 guest_average_rating = $12 WHERE subject = $1",
            )
            .bind(&subject)
            .bind(summary.review_count)
            .bind(summary.average_rating)
            .bind(summary.score)
            .bind(summary.categories[0])
            .bind(summary.categories[1])
            .bind(summary.categories[2])
            .bind(summary.categories[3])
            .bind(summary.categories[4])
            .bind(summary.categories[5])
            .bind(summary.guest_review_count)
            .bind(summary.guest_average_rating)
            .execute(&mut *tx)
            .await?;
            OUTBOX
                .append(
                    tx,
                    NewEvent::new(
                        "review.rating_changed",
                        "rating_summary",
                        subject.clone(),
                        &pb::RatingChanged {
                            rating_summary: Some(summary.proto()),
                        },
                    ),
                )
                .await?;
        }
        Ok(())
    }

    /// `subject`'s summary from the published reviews as this transaction sees them.
    async fn compute_in(
        tx: &mut AnyConnection,
        subject: &str,
    ) -> Result<SummaryRecord, sqlx::Error> {
        // SUM over BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read.
        let sums = "COUNT(*) AS n, CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS total, \
            CAST(COALESCE(SUM(cleanliness), 0) AS BIGINT) AS s0, \
            CAST(COALESCE(SUM(accuracy), 0) AS BIGINT) AS s1, \
            CAST(COALESCE(SUM(communication), 0) AS BIGINT) AS s2, \
            CAST(COALESCE(SUM(location), 0) AS BIGINT) AS s3, \
            CAST(COALESCE(SUM(check_in), 0) AS BIGINT) AS s4, \
            CAST(COALESCE(SUM(value), 0) AS BIGINT) AS s5, \
            CAST(COALESCE(SUM(CASE WHEN cleanliness > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS c0, \
            CAST(COALESCE(SUM(CASE WHEN accuracy > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS c1, \
            CAST(COALESCE(SUM(CASE WHEN communication > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS c2, \
            CAST(COALESCE(SUM(CASE WHEN location > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS c3, \
            CAST(COALESCE(SUM(CASE WHEN check_in > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS c4, \
            CAST(COALESCE(SUM(CASE WHEN value > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS c5";
        let mut summary = SummaryRecord::empty(subject);
        let main = if subject.starts_with("properties/") {
            sqlx::query(&format!(
                "SELECT {sums} FROM reviews WHERE listing = $1 AND kind = 'guest' \
                 AND state = 'published'"
            ))
            .bind(subject)
            .fetch_one(&mut *tx)
            .await?
        } else {
            let user = subject.strip_prefix("users/").unwrap_or(subject);
            let guest = sqlx::query(&format!(
                "SELECT {sums} FROM reviews WHERE reviewee_id = $1 AND kind = 'host' \
                 AND state = 'published'"
            ))
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
            let (count, total): (i64, i64) = (guest.try_get("n")?, guest.try_get("total")?);
            summary.guest_review_count = count;
            summary.guest_average_rating = average(total, count);
            sqlx::query(&format!(
                "SELECT {sums} FROM reviews WHERE reviewee_id = $1 AND kind IN ('guest', 'agent') \
                 AND state = 'published'"
            ))
            .bind(user)
            .fetch_one(&mut *tx)
            .await?
        };
        summary.review_count = main.try_get("n")?;
        summary.average_rating = average(main.try_get("total")?, summary.review_count);
        summary.score = domain::score(summary.review_count, summary.average_rating);
        for (index, slot) in summary.categories.iter_mut().enumerate() {
            *slot = average(
                main.try_get(format!("s{index}").as_str())?,
                main.try_get(format!("c{index}").as_str())?,
            );
        }
        Ok(summary)
    }

    pub async fn summary(&self, subject: &str) -> Result<Option<SummaryRecord>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT subject, review_count, average_rating, score, cleanliness, accuracy, \
             communication, location, check_in, value, guest_review_count, \
             guest_average_rating FROM summaries WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            let mut categories = [0.0; 6];
            for (slot, name) in categories.iter_mut().zip(domain::CATEGORY_NAMES) {
                *slot = row.try_get(name)?;
            }
            Ok(SummaryRecord {
                subject: row.try_get("subject")?,
                review_count: row.try_get("review_count")?,
                average_rating: row.try_get("average_rating")?,
                score: row.try_get("score")?,
                categories,
                guest_review_count: row.try_get("guest_review_count")?,
                guest_average_rating: row.try_get("guest_average_rating")?,
            })
        })
        .transpose()
    }

    /// A page of reviews, newest first, after `after`; one more than `limit` when there are
    /// more.
    pub async fn reviews(
        &self,
        of: ReviewsOf<'_>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<ReviewRecord>, sqlx::Error> {
        let (filter, order, value) = match of {
            ReviewsOf::Listing(listing) => (
                "listing = $1 AND kind = 'guest' AND state = 'published'",
                "published_at",
                listing,
            ),
            ReviewsOf::Reviewee(user) => (
                "reviewee_id = $1 AND state = 'published'",
                "published_at",
                user,
            ),
            ReviewsOf::Author(user) => ("author_id = $1", "created_at", user),
        };
        // Without a cursor, one after everything.
        let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
        sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews WHERE {filter} \
             AND ({order} < $2 OR ({order} = $2 AND id < $3)) \
             ORDER BY {order} DESC, id DESC LIMIT $4"
        ))
        .bind(value)
        .bind(at)
        .bind(id)
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(review_from)
        .collect()
    }

    /// Which of `reviews` `user` found helpful.
    pub async fn voted(&self, user: &str, reviews: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
        let mut voted = Vec::new();
        for id in reviews {
            let found = sqlx::query("SELECT 1 FROM votes WHERE review_id = $1 AND user_id = $2")
                .bind(id.to_string())
                .bind(user)
                .fetch_optional(self.db.pool())
                .await?
                .is_some();
            if found {
                voted.push(*id);
            }
        }
        Ok(voted)
    }

    /// Changes a pending review; `None` when it is no longer pending.
    pub async fn update(
        &self,
        id: Uuid,
        draft: &Draft,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE reviews SET rating = $2, cleanliness = $3, accuracy = $4, \
             communication = $5, location = $6, check_in = $7, value = $8, body = $9, \
             updated_at = $10 WHERE id = $1 AND state = 'pending'",
        )
        .bind(id.to_string())
        .bind(draft.rating)
        .bind(draft.categories[0])
        .bind(draft.categories[1])
        .bind(draft.categories[2])
        .bind(draft.categories[3])
        .bind(draft.categories[4])
        .bind(draft.categories[5])
        .bind(&draft.text)
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let updated = Self::review_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Adds the reviewee's response to a published review that has none; `None` otherwise.
    pub async fn respond(&self, id: Uuid, text: &str) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE reviews SET response = $2, responded_at = $3, updated_at = $3 \
             WHERE id = $1 AND state = 'published' AND responded_at IS NULL",
        )
        .bind(id.to_string())
        .bind(text)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let review = Self::review_in(&mut tx, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        OUTBOX
            .append(
                &mut tx,
                NewEvent::new(
                    "review.responded",
                    "review",
                    id.to_string(),
                    &pb::ReviewResponded {
                        review: Some(review.proto(false)),
                    },
                ),
            )
            .await?;
        tx.commit().await?;
        Ok(Some(review))
    }

    /// Adds or takes back `user`'s helpful mark on a review; the review after.
    pub async fn vote(
        &self,
        id: Uuid,
        user: &str,
        helpful: bool,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let changed = if helpful {
            sqlx::query(
                "INSERT INTO votes (review_id, user_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id.to_string())
            .bind(user)
            .bind(unix_micros(SystemTime::now()))
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM votes WHERE review_id = $1 AND user_id = $2")
                .bind(id.to_string())
                .bind(user)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        if changed == 1 {
            sqlx::query("UPDATE reviews SET helpful_count = helpful_count + $2 WHERE id = $1")
                .bind(id.to_string())
                .bind(if helpful { 1_i64 } else { -1 })
                .execute(&mut *tx)
                .await?;
        }
        let review = Self::review_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(review)
    }

    /// Records `reporter`'s report of a review; whether it is new (a second one changes
    /// nothing and records no event).
    pub async fn report(
        &self,
        id: Uuid,
        reporter: &str,
        reason: &str,
        details: &str,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let new = sqlx::query(
            "INSERT INTO reports (review_id, reporter_id, reason, details, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(reporter)
        .bind(reason)
        .bind(details)
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if new {
            OUTBOX
                .append(
                    &mut tx,
                    NewEvent::new(
                        "review.reported",
                        "review",
                        id.to_string(),
                        &pb::ReviewReported {
                            review: format!("reviews/{id}"),
                            reporter: format!("users/{reporter}"),
                            reason: reason.to_owned(),
                            details: details.to_owned(),
                        },
                    ),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Hides a published review (`hide`) or shows a hidden one again, recomputing the
    /// summaries it counts in; `None` when it was not in the state to change. A moderator
    /// hiding a review the automatic checks hold ([`HELD_REASON`]) confirms the hold: it stays
    /// hidden, with the moderator's reason.
    pub async fn moderate(
        &self,
        id: Uuid,
        hide: bool,
        moderator: &str,
        reason: &str,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let review = Self::moderate_in(&mut tx, id, hide, moderator, reason, None).await?;
        tx.commit().await?;
        Ok(review)
    }

    /// [`ReviewStore::moderate`] in the caller's transaction; an empty `moderator` is the
    /// automatic checks, which hide published reviews only. `cause` is the event being handled,
    /// if any, which the recorded event follows.
    pub async fn moderate_in(
        tx: &mut AnyConnection,
        id: Uuid,
        hide: bool,
        moderator: &str,
        reason: &str,
        cause: Option<&Event>,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let now = SystemTime::now();
        let (from, to, event_type) = if hide {
            (State::Published, State::Hidden, "review.hidden")
        } else {
            (State::Hidden, State::Published, "review.restored")
        };
        let confirms_hold = hide && !moderator.is_empty();
        let sql = if confirms_hold {
            "UPDATE reviews SET state = $2, hidden_reason = $3, updated_at = $4 \
             WHERE id = $1 AND (state = $5 OR (state = $2 AND hidden_reason = $6))"
        } else {
            "UPDATE reviews SET state = $2, hidden_reason = $3, updated_at = $4 \
             WHERE id = $1 AND state = $5"
        };
        let mut update = sqlx::query(sql)
            .bind(id.to_string())
            .bind(to.as_str())
            .bind(reason)
            .bind(unix_micros(now))
            .bind(from.as_str());
        if confirms_hold {
            update = update.bind(HELD_REASON);
        }
        let changed = update.execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let review = Self::review_in(tx, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let mut moderated = NewEvent::new(
            event_type,
            "review",
            id.to_string(),
            &pb::ReviewModerated {
                review: Some(review.proto(false)),
                moderator: if moderator.is_empty() {
                    String::new()
                } else {
                    format!("users/{moderator}")
                },
                reason: reason.to_owned(),
            },
        );
        if let Some(cause) = cause {
            moderated = moderated.following(cause);
        }
        OUTBOX.append(tx, moderated).await?;
        Self::refresh_summaries_in(tx, review.summaries(), now).await?;
        Ok(Some(review))
    }

    /// Publishes up to `limit` pending reviews whose window closed by `now`; how many.
    pub async fn release_due(&self, now: SystemTime, limit: i64) -> Result<usize, sqlx::Error> {
        let due: Vec<(String, String)> = sqlx::query(
            "SELECT id, booking FROM reviews WHERE state = 'pending' AND window_closes_at <= $1 \
             ORDER BY window_closes_at LIMIT $2",
        )
        .bind(unix_micros(now))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("booking")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        for (id, booking) in &due {
            let mut tx = self.db.begin().await?;
            sqlx::query("UPDATE stays SET updated_at = updated_at WHERE booking = $1")
                .bind(booking)
                .execute(&mut *tx)
                .await?;
            Self::publish_in(&mut tx, &[parse_id(id.clone())?], now).await?;
            tx.commit().await?;
        }
        Ok(due.len())
    }
}

fn average(total: i64, count: i64) -> f64 {
    if count == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // sums of ratings are far below 2^53
    let average = total as f64 / count as f64;
    average
}

fn parse_id(text: String) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(&text).map_err(|err| sqlx::Error::Decode(Box::new(err)))
}

fn optional_time(row: &AnyRow, column: &str) -> Result<Option<SystemTime>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_unix_micros))
}

fn review_from(row: &AnyRow) -> Result<ReviewRecord, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let mut categories: Categories = [0; 6];
    for (slot, name) in categories.iter_mut().zip(domain::CATEGORY_NAMES) {
        *slot = row.try_get(name)?;
    }
    Ok(ReviewRecord {
        id: parse_id(row.try_get("id")?)?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("review kind {kind:?}").into()))?,
        subject_key: row.try_get("subject_key")?,
        booking: row.try_get("booking")?,
        listing: row.try_get("listing")?,
        author: row.try_get("author_id")?,
        reviewee: row.try_get("reviewee_id")?,
        draft: Draft {
            rating: row.try_get("rating")?,
            categories,
            text: row.try_get("body")?,
        },
        state: State::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("review state {state:?}").into()))?,
        response: row.try_get("response")?,
        responded_at: optional_time(row, "responded_at")?,
        helpful_count: row.try_get("helpful_count")?,
        window_closes_at: optional_time(row, "window_closes_at")?,
        request_id: row.try_get("request_id")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
        published_at: optional_time(row, "published_at")?,
    })
}

/// Midnight UTC of a day.
pub fn midnight(days_since_epoch: i64) -> SystemTime {
    let seconds = u64::try_from(days_since_epoch.max(0) * 86_400).unwrap_or_default();
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}
