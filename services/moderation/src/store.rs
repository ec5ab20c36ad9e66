//! The moderation service's tables, in the SQL dialect PostgreSQL and SQLite share.
//!
//! At most one case per target is open (a partial unique index): reports about the same target,
//! from any source, join it. The audit trail has no update or delete statement here, and the
//! database refuses both (a trigger).

use std::time::{Duration, SystemTime};

use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::moderation_v1 as pb;
use estospaces_storage::{Database, Migrations, from_unix_micros, unix_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::{self, CaseState, Origin, Target};
use crate::rules::{ContentKind, Rule, RuleKind};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

pub(crate) const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

fn timestamp(time: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(time)
}

fn ids(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|id| !id.is_empty())
        .map(|id| format!("rules/{id}"))
        .collect()
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub id: String,
    pub target: String,
    pub target_kind: String,
    pub subject: String,
    pub origin: Origin,
    pub state: CaseState,
    pub priority: i64,
    pub report_count: i64,
    pub score: i64,
    pub fired_rules: String,
    pub assignee: String,
    pub decision: String,
    pub decision_reason: String,
    pub decider: String,
    pub created_at: SystemTime,
    pub decided_at: Option<SystemTime>,
}

fn user_name(id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!("users/{id}")
    }
}

impl CaseRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            target: row.try_get("target")?,
            target_kind: row.try_get("target_kind")?,
            subject: row.try_get("subject_id")?,
            origin: Origin::parse(row.try_get("origin")?),
            state: CaseState::parse(row.try_get("state")?),
            priority: row.try_get("priority")?,
            report_count: row.try_get("report_count")?,
            score: row.try_get("score")?,
            fired_rules: row.try_get("fired_rules")?,
            assignee: row.try_get("assignee_id")?,
            decision: row.try_get("decision")?,
            decision_reason: row.try_get("decision_reason")?,
            decider: row.try_get("decider_id")?,
            created_at: from_unix_micros(row.try_get("created_at")?),
            decided_at: row
                .try_get::<Option<i64>, _>("decided_at")?
                .map(from_unix_micros),
        })
    }

    pub fn proto(&self) -> pb::Case {
        pb::Case {
            name: format!("cases/{}", self.id),
            target: self.target.clone(),
            subject: user_name(&self.subject),
            origin: self.origin.proto() as i32,
            state: self.state.proto() as i32,
            priority: i32::try_from(self.priority).unwrap_or(100),
            report_count: i32::try_from(self.report_count).unwrap_or(i32::MAX),
            score: i32::try_from(self.score).unwrap_or(i32::MAX),
            fired_rules: ids(&self.fired_rules),
            assignee: user_name(&self.assignee),
            decision: domain::decision_from_name(&self.decision) as i32,
            decision_reason: self.decision_reason.clone(),
            decider: user_name(&self.decider),
            create_time: Some(timestamp(self.created_at)),
            decide_time: self.decided_at.map(timestamp),
        }
    }
}

/// A report as stored, with its case's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub id: String,
    pub target: String,
    pub reason: String,
    pub details: String,
    pub reporter: String,
    pub case_id: String,
    pub outcome: String,
    pub created_at: SystemTime,
}

const REPORT_COLUMNS: &str = "r.id, r.target, r.reason, r.details, r.reporter_id, r.case_id, \
                              r.created_at, c.decision";

impl ReportRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            target: row.try_get("target")?,
            reason: row.try_get("reason")?,
            details: row.try_get("details")?,
            reporter: row.try_get("reporter_id")?,
            case_id: row.try_get("case_id")?,
            outcome: row.try_get("decision")?,
            created_at: from_unix_micros(row.try_get("created_at")?),
        })
    }

    pub fn proto(&self) -> pb::Report {
        pb::Report {
            name: format!("moderationReports/{}", self.id),
            target: self.target.clone(),
            reason: domain::reason_from_name(&self.reason) as i32,
            details: self.details.clone(),
            reporter: user_name(&self.reporter),
            case: format!("cases/{}", self.case_id),
            outcome: domain::decision_from_name(&self.outcome) as i32,
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// A report about to be made.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub target: Target,
    /// The account behind the target, if known.
    pub subject: String,
    pub reason: pb::ReportReason,
    pub details: String,
    pub reporter: String,
}

/// What the checks said about a piece of content, about to be recorded.
#[derive(Debug, Clone)]
pub struct NewCheck {
    pub target: Target,
    pub kind: ContentKind,
    pub author: String,
    pub text_hash: String,
    pub score: i64,
    pub fired: Vec<String>,
    /// Open a case (and hold the content) when set.
    pub hold: Option<Origin>,
}

/// A recorded check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRecord {
    pub id: String,
    pub target: String,
    pub kind: String,
    pub author: String,
    pub score: i64,
    pub fired_rules: String,
    pub held: bool,
    pub case_id: String,
    pub created_at: SystemTime,
}

impl CheckRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            target: row.try_get("target")?,
            kind: row.try_get("content_kind")?,
            author: row.try_get("author_id")?,
            score: row.try_get("score")?,
            fired_rules: row.try_get("fired_rules")?,
            held: row.try_get::<i64, _>("held")? != 0,
            case_id: row.try_get("case_id")?,
            created_at: from_unix_micros(row.try_get("created_at")?),
        })
    }

    pub fn proto(&self) -> pb::ContentCheck {
        pb::ContentCheck {
            name: format!("contentChecks/{}", self.id),
            target: self.target.clone(),
            content_kind: ContentKind::parse(&self.kind)
                .map_or(pb::ContentKind::Unspecified, ContentKind::proto)
                as i32,
            author: user_name(&self.author),
            score: i32::try_from(self.score).unwrap_or(i32::MAX),
            fired_rules: ids(&self.fired_rules),
            held: self.held,
            case: if self.case_id.is_empty() {
                String::new()
            } else {
                format!("cases/{}", self.case_id)
            },
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// One audit entry, before or after it is appended.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub before: String,
    pub after: String,
    pub created_at: SystemTime,
}

impl AuditRecord {
    /// An entry for `action` on `target` by `actor` (a user id, or empty), now.
    pub fn new(actor: &str, action: &str, target: &str, reason: &str) -> Self {
        Self {
            id: Uuid::now_v7().to_string(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            reason: reason.to_owned(),
            before: "{}".to_owned(),
            after: "{}".to_owned(),
            created_at: SystemTime::now(),
        }
    }

    /// With the target's state before and after, as JSON values.
    pub fn states(mut self, before: serde_json::Value, after: serde_json::Value) -> Self {
        self.before = before.to_string();
        self.after = after.to_string();
        self
    }

    /// With the id the event carried, so a replayed event appends nothing twice.
    pub fn with_id(mut self, id: String) -> Self {
        self.id = id;
        self
    }

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            actor: row.try_get("actor_id")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            reason: row.try_get("reason")?,
            before: row.try_get("before_state")?,
            after: row.try_get("after_state")?,
            created_at: from_unix_micros(row.try_get("created_at")?),
        })
    }

    pub fn proto(&self) -> pb::AuditEntry {
        pb::AuditEntry {
            name: format!("auditEntries/{}", self.id),
            actor: user_name(&self.actor),
            action: self.action.clone(),
            target: self.target.clone(),
            reason: self.reason.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: String,
    pub target: String,
    pub action: String,
    pub start: Option<SystemTime>,
    pub end: Option<SystemTime>,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// `None`: open and assigned.
    pub state: Option<CaseState>,
    pub origin: Option<Origin>,
    pub assignee: String,
    pub target: String,
}

/// Where a page of cases starts: after this (priority, created_at, id).
pub type CaseCursor = (i64, i64, String);
/// Where a page of newest-first items starts: after this (created_at, id).
pub type TimeCursor = (i64, String);

/// A day's figure: (day, metric, currency, value).
pub type DailyFigure = (String, String, String, i64);

/// The moderation service's storage.
#[derive(Debug, Clone)]
pub struct ModerationStore {
    db: Database,
}

impl ModerationStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    // ---- cases and reports ----

    /// The open case about `target`, opened now if there is none.
    async fn open_case_in(
        tx: &mut AnyConnection,
        target: &Target,
        subject: &str,
        origin: Origin,
        now: SystemTime,
    ) -> Result<CaseRecord, sqlx::Error> {
        sqlx::query(
            "INSERT INTO cases (id, target, target_kind, subject_id, origin, state, priority, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', 0, $6, $6) \
             ON CONFLICT (target) WHERE state <> 'decided' DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(&target.name)
        .bind(target.kind.as_str())
        .bind(subject)
        .bind(origin.as_str())
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        // The row lock: concurrent reports about the target queue up here.
        sqlx::query(
            "UPDATE cases SET updated_at = $2, \
             subject_id = CASE WHEN subject_id = '' THEN $3 ELSE subject_id END \
             WHERE target = $1 AND state <> 'decided'",
        )
        .bind(&target.name)
        .bind(unix_micros(now))
        .bind(subject)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM cases WHERE target = $1 AND state <> 'decided'")
            .bind(&target.name)
            .fetch_one(&mut *tx)
            .await?;
        CaseRecord::from_row(&row)
    }

    /// Records a report, joining the target's open case. A reporter's second report in the same
    /// case returns the first (`false`: nothing new).
    pub async fn create_report(
        &self,
        report: &NewReport,
    ) -> Result<(ReportRecord, bool), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let created = Self::create_report_in(&mut tx, report, SystemTime::now()).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn create_report_in(
        tx: &mut AnyConnection,
        report: &NewReport,
        now: SystemTime,
    ) -> Result<(ReportRecord, bool), sqlx::Error> {
        let case =
            Self::open_case_in(tx, &report.target, &report.subject, Origin::Report, now).await?;
        if let Some(existing) = Self::report_of_in(tx, &report.reporter, &case.id).await? {
            return Ok((existing, false));
        }
        let (reason, urgency) = domain::reason_name(report.reason).unwrap_or(("other", 20));
        let id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO reports (id, target, reason, details, reporter_id, case_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&report.target.name)
        .bind(reason)
        .bind(&report.details)
        .bind(&report.reporter)
        .bind(&case.id)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        let count = case.report_count + 1;
        let worst = case.priority.max(urgency);
        let priority = domain::priority(worst, count, case.score);
        sqlx::query("UPDATE cases SET report_count = $2, priority = $3 WHERE id = $1")
            .bind(&case.id)
            .bind(count)
            .bind(priority)
            .execute(&mut *tx)
            .await?;
        let created = Self::report_of_in(tx, &report.reporter, &case.id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok((created, true))
    }

    async fn report_of_in(
        tx: &mut AnyConnection,
        reporter: &str,
        case_id: &str,
    ) -> Result<Option<ReportRecord>, sqlx::Error> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports r JOIN cases c ON c.id = r.case_id \
             WHERE r.reporter_id = $1 AND r.case_id = $2"
        );
        sqlx::query(&sql)
            .bind(reporter)
            .bind(case_id)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(ReportRecord::from_row)
            .transpose()
    }

    pub async fn report(&self, id: &str) -> Result<Option<ReportRecord>, sqlx::Error> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports r JOIN cases c ON c.id = r.case_id \
             WHERE r.id = $1"
        );
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .as_ref()
            .map(ReportRecord::from_row)
            .transpose()
    }

    /// Reports newest first; empty filters match everything.
    pub async fn reports(
        &self,
        reporter: &str,
        case_id: &str,
        target: &str,
        after: Option<TimeCursor>,
        limit: i64,
    ) -> Result<Vec<ReportRecord>, sqlx::Error> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports r JOIN cases c ON c.id = r.case_id \
             WHERE ($1 = '' OR r.reporter_id = $1) AND ($2 = '' OR r.case_id = $2) \
             AND ($3 = '' OR r.target = $3) \
             AND (r.created_at < $4 OR (r.created_at = $4 AND ($5 = '' OR r.id < $5))) \
             ORDER BY r.created_at DESC, r.id DESC LIMIT $6"
        );
        let rows = sqlx::query(&sql)
            .bind(reporter)
            .bind(case_id)
            .bind(target)
            .bind(at)
            .bind(id)
            .bind(limit + 1)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(ReportRecord::from_row).collect()
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRecord>, sqlx::Error> {
        sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .as_ref()
            .map(CaseRecord::from_row)
            .transpose()
    }

    /// The queue: highest priority first, then oldest.
    pub async fn cases(
        &self,
        filter: &CaseFilter,
        after: Option<CaseCursor>,
        limit: i64,
    ) -> Result<Vec<CaseRecord>, sqlx::Error> {
        let (priority, at, id) = after.unwrap_or((i64::MAX, i64::MIN, String::new()));
        let rows = sqlx::query(
            "SELECT * FROM cases \
             WHERE (($1 = '' AND state <> 'decided') OR state = $1) \
             AND ($2 = '' OR origin = $2) AND ($3 = '' OR assignee_id = $3) \
             AND ($4 = '' OR target = $4) \
             AND (priority < $5 OR (priority = $5 AND (created_at > $6 \
                  OR (created_at = $6 AND id > $7)))) \
             ORDER BY priority DESC, created_at, id LIMIT $8",
        )
        .bind(filter.state.map_or("", CaseState::as_str))
        .bind(filter.origin.map_or("", Origin::as_str))
        .bind(&filter.assignee)
        .bind(&filter.target)
        .bind(priority)
        .bind(at)
        .bind(id)
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(CaseRecord::from_row).collect()
    }

    /// Assigns an undecided case; `None` when it is decided (or gone).
    pub async fn assign(
        &self,
        id: &str,
        assignee: &str,
        actor: &str,
    ) -> Result<Option<CaseRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE cases SET assignee_id = $2, state = 'assigned', updated_at = $3 \
             WHERE id = $1 AND state <> 'decided'",
        )
        .bind(id)
        .bind(assignee)
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let case = Self::case_in(&mut tx, id).await?;
        Self::audit_in(
            &mut tx,
            &AuditRecord::new(actor, "moderation.assign_case", &format!("cases/{id}"), "").states(
                serde_json::json!({}),
                serde_json::json!({ "assignee": user_name(assignee) }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(case))
    }

    async fn case_in(tx: &mut AnyConnection, id: &str) -> Result<CaseRecord, sqlx::Error> {
        let row = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        CaseRecord::from_row(&row)
    }

    /// Records a decision, tells the reporters (a `moderation.case_decided` event) and audits
    /// it. `None` when the case was decided meanwhile.
    pub async fn decide(
        &self,
        id: &str,
        decision: &str,
        reason: &str,
        decider: &str,
        subject: &str,
    ) -> Result<Option<CaseRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let now = SystemTime::now();
        let before = Self::case_in(&mut tx, id).await?;
        let changed = sqlx::query(
            "UPDATE cases SET state = 'decided', decision = $2, decision_reason = $3, \
             decider_id = $4, decided_at = $5, updated_at = $5, \
             subject_id = CASE WHEN subject_id = '' THEN $6 ELSE subject_id END \
             WHERE id = $1 AND state <> 'decided'",
        )
        .bind(id)
        .bind(decision)
        .bind(reason)
        .bind(decider)
        .bind(unix_micros(now))
        .bind(subject)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let case = Self::case_in(&mut tx, id).await?;
        let reporters: Vec<String> =
            sqlx::query("SELECT reporter_id FROM reports WHERE case_id = $1 ORDER BY created_at")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| {
                    row.try_get::<String, _>("reporter_id")
                        .map(|r| user_name(&r))
                })
                .collect::<Result<_, _>>()?;
        OUTBOX
            .append(
                &mut tx,
                NewEvent::new(
                    "moderation.case_decided",
                    "target",
                    case.target.clone(),
                    &pb::CaseDecided {
                        case: Some(case.proto()),
                        reporters,
                    },
                ),
            )
            .await?;
        Self::audit_in(
            &mut tx,
            &AuditRecord::new(
                decider,
                "moderation.decide_case",
                &format!("cases/{id}"),
                reason,
            )
            .states(
                serde_json::json!({ "state": before.state.as_str(), "target": before.target }),
                serde_json::json!({ "state": "decided", "decision": decision }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(case))
    }

    // ---- automatic checks ----

    /// The hash of the text last checked for `target`, if any.
    pub async fn last_text_hash_in(
        tx: &mut AnyConnection,
        target: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query(
            "SELECT text_hash FROM content_checks WHERE target = $1 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(target)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| row.try_get("text_hash"))
        .transpose()
    }

    /// Whether another account's content had the same text since `since`.
    pub async fn duplicated_in(
        tx: &mut AnyConnection,
        hash: &str,
        author: &str,
        since: SystemTime,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "SELECT 1 FROM content_checks WHERE text_hash = $1 AND author_id <> $2 \
             AND created_at >= $3 LIMIT 1",
        )
        .bind(hash)
        .bind(author)
        .bind(unix_micros(since))
        .fetch_optional(&mut *tx)
        .await?
        .is_some())
    }

    /// How many items of `kind` `author` wrote since `since` (distinct targets).
    pub async fn recent_count_in(
        tx: &mut AnyConnection,
        author: &str,
        kind: ContentKind,
        since: SystemTime,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query(
            "SELECT COUNT(DISTINCT target) AS n FROM content_checks WHERE author_id = $1 \
             AND content_kind = $2 AND created_at >= $3",
        )
        .bind(author)
        .bind(kind.as_str())
        .bind(unix_micros(since))
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")
    }

    /// Records a check; when it holds the content, opens (or joins) the target's case and
    /// records a `moderation.content_held` event, unless the case is a listing review, whose
    /// listing waits already.
    pub async fn record_check_in(
        tx: &mut AnyConnection,
        check: &NewCheck,
        now: SystemTime,
    ) -> Result<CheckRecord, sqlx::Error> {
        let fired = check.fired.join(",");
        let mut case_id = String::new();
        if let Some(origin) = check.hold {
            let case = Self::open_case_in(tx, &check.target, &check.author, origin, now).await?;
            let base = if origin == Origin::ListingReview {
                domain::LISTING_REVIEW_PRIORITY
            } else {
                0
            };
            let priority =
                domain::priority(case.priority.max(base), case.report_count, check.score);
            sqlx::query(
                "UPDATE cases SET score = $2, fired_rules = $3, priority = $4 WHERE id = $1",
            )
            .bind(&case.id)
            .bind(check.score)
            .bind(&fired)
            .bind(priority)
            .execute(&mut *tx)
            .await?;
            case_id = case.id;
        }
        let record = CheckRecord {
            id: Uuid::now_v7().to_string(),
            target: check.target.name.clone(),
            kind: check.kind.as_str().to_owned(),
            author: check.author.clone(),
            score: check.score,
            fired_rules: fired,
            held: check.hold.is_some(),
            case_id,
            created_at: now,
        };
        sqlx::query(
            "INSERT INTO content_checks (id, target, content_kind, author_id, text_hash, score, \
             fired_rules, held, case_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&record.id)
        .bind(&record.target)
        .bind(&record.kind)
        .bind(&record.author)
        .bind(&check.text_hash)
        .bind(record.score)
        .bind(&record.fired_rules)
        .bind(i64::from(record.held))
        .bind(&record.case_id)
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        if check.hold == Some(Origin::AutomaticCheck) {
            OUTBOX
                .append(
                    tx,
                    NewEvent::new(
                        "moderation.content_held",
                        "target",
                        record.target.clone(),
                        &pb::ContentHeld {
                            check: Some(record.proto()),
                        },
                    ),
                )
                .await?;
        }
        Ok(record)
    }

    /// Checks newest first; an empty `target` matches every target.
    pub async fn checks(
        &self,
        target: &str,
        after: Option<TimeCursor>,
        limit: i64,
    ) -> Result<Vec<CheckRecord>, sqlx::Error> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(
            "SELECT * FROM content_checks WHERE ($1 = '' OR target = $1) \
             AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR id < $3))) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
        )
        .bind(target)
        .bind(at)
        .bind(id)
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(CheckRecord::from_row).collect()
    }

    // ---- rules ----

    fn rule_from_row(row: &AnyRow) -> Result<(Rule, SystemTime), sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        let kinds: String = row.try_get("content_kinds")?;
        let words: String = row.try_get("words")?;
        let rule = Rule {
            id: row.try_get("id")?,
            display_name: row.try_get("display_name")?,
            kind: RuleKind::parse(&kind).unwrap_or(RuleKind::Links),
            weight: row.try_get("weight")?,
            content_kinds: kinds.split(',').filter_map(ContentKind::parse).collect(),
            words: words
                .lines()
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
            locale: row.try_get("locale")?,
            window: Duration::from_secs(
                u64::try_from(row.try_get::<i64, _>("window_seconds")?).unwrap_or(0),
            ),
            limit: row.try_get("limit_count")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
        };
        Ok((rule, from_unix_micros(row.try_get("updated_at")?)))
    }

    /// Every rule, oldest first, with when each last changed.
    pub async fn rules(&self) -> Result<Vec<(Rule, SystemTime)>, sqlx::Error> {
        let rows = sqlx::query("SELECT * FROM rules ORDER BY created_at, id")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(Self::rule_from_row).collect()
    }

    /// The enabled rules, for a check in `tx`.
    pub async fn enabled_rules_in(tx: &mut AnyConnection) -> Result<Vec<Rule>, sqlx::Error> {
        let rows = sqlx::query("SELECT * FROM rules WHERE enabled = 1 ORDER BY created_at, id")
            .fetch_all(&mut *tx)
            .await?;
        rows.iter()
            .map(|row| Self::rule_from_row(row).map(|(rule, _)| rule))
            .collect()
    }

    pub async fn rule(&self, id: &str) -> Result<Option<(Rule, SystemTime)>, sqlx::Error> {
        sqlx::query("SELECT * FROM rules WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .as_ref()
            .map(Self::rule_from_row)
            .transpose()
    }

    /// Writes `rule` (inserted when `before` is `None`), audited as `actor`'s.
    pub async fn save_rule(
        &self,
        rule: &Rule,
        before: Option<&Rule>,
        actor: &str,
    ) -> Result<SystemTime, sqlx::Error> {
        let now = SystemTime::now();
        let mut tx = self.db.begin().await?;
        let kinds: Vec<&str> = rule.content_kinds.iter().map(|k| k.as_str()).collect();
        let query = if before.is_some() {
            "UPDATE rules SET display_name = $2, kind = $3, weight = $4, content_kinds = $5, \
             words = $6, locale = $7, window_seconds = $8, limit_count = $9, enabled = $10, \
             updated_at = $11 WHERE id = $1"
        } else {
            "INSERT INTO rules (id, display_name, kind, weight, content_kinds, words, locale, \
             window_seconds, limit_count, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
        };
        sqlx::query(query)
            .bind(&rule.id)
            .bind(&rule.display_name)
            .bind(rule.kind.as_str())
            .bind(rule.weight)
            .bind(kinds.join(","))
            .bind(rule.words.join("\n"))
            .bind(&rule.locale)
            .bind(i64::try_from(rule.window.as_secs()).unwrap_or(i64::MAX))
            .bind(rule.limit)
            .bind(i64::from(rule.enabled))
            .bind(unix_micros(now))
            .execute(&mut *tx)
            .await?;
        let action = if before.is_some() {
            "moderation.update_rule"
        } else {
            "moderation.create_rule"
        };
        Self::audit_in(
            &mut tx,
            &AuditRecord::new(actor, action, &format!("rules/{}", rule.id), "").states(
                before.map_or_else(|| serde_json::json!({}), rule_json),
                rule_json(rule),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(now)
    }

    // ---- accounts ----

    pub async fn account_registered_in(
        tx: &mut AnyConnection,
        id: &str,
        at: SystemTime,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO accounts (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(unix_micros(at))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    pub async fn account_deleted_in(tx: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE accounts SET deleted = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// When `id`'s account was created, if identity told.
    pub async fn account_created_in(
        tx: &mut AnyConnection,
        id: &str,
    ) -> Result<Option<SystemTime>, sqlx::Error> {
        sqlx::query("SELECT created_at FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("created_at").map(from_unix_micros))
            .transpose()
    }

    // ---- audit trail ----

    /// Appends `entry`; an entry with the same id (a replayed event) is appended once.
    pub async fn audit_in(tx: &mut AnyConnection, entry: &AuditRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_entries (id, actor_id, action, target, reason, before_state, \
             after_state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.reason)
        .bind(&entry.before)
        .bind(&entry.after)
        .bind(unix_micros(entry.created_at))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Audit entries matching `filter`: newest first after `after`, or (`oldest_first`) the
    /// export's order.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        after: Option<TimeCursor>,
        limit: i64,
        oldest_first: bool,
    ) -> Result<Vec<AuditRecord>, sqlx::Error> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let order = if oldest_first {
            "created_at, id"
        } else {
            "created_at DESC, id DESC"
        };
        let sql = format!(
            "SELECT * FROM audit_entries WHERE ($1 = '' OR actor_id = $1) \
             AND ($2 = '' OR target = $2) AND ($3 = '' OR action = $3) \
             AND created_at >= $4 AND created_at < $5 \
             AND (created_at < $6 OR (created_at = $6 AND ($7 = '' OR id < $7))) \
             ORDER BY {order} LIMIT $8"
        );
        let rows = sqlx::query(&sql)
            .bind(&filter.actor)
            .bind(&filter.target)
            .bind(&filter.action)
            .bind(filter.start.map_or(i64::MIN, unix_micros))
            .bind(filter.end.map_or(i64::MAX, unix_micros))
            .bind(at)
            .bind(id)
            .bind(limit + 1)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(AuditRecord::from_row).collect()
    }

    // ---- platform metrics ----

    /// Adds `delta` to a day's figure.
    pub async fn count_in(
        tx: &mut AnyConnection,
        at: SystemTime,
        metric: &str,
        currency: &str,
        delta: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO daily_metrics (day, metric, currency, value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (day, metric, currency) DO UPDATE SET value = daily_metrics.value + $4",
        )
        .bind(day_of(at))
        .bind(metric)
        .bind(currency)
        .bind(delta)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Sets a listing's state; returns the state it had.
    pub async fn set_listing_state_in(
        tx: &mut AnyConnection,
        listing: &str,
        state: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let before: Option<String> =
            sqlx::query("SELECT state FROM listing_states WHERE listing = $1")
                .bind(listing)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("state"))
                .transpose()?;
        sqlx::query(
            "INSERT INTO listing_states (listing, state) VALUES ($1, $2) \
             ON CONFLICT (listing) DO UPDATE SET state = $2",
        )
        .bind(listing)
        .bind(state)
        .execute(&mut *tx)
        .await?;
        Ok(before)
    }

    /// The figures of the days from `first` to `last` (`YYYY-MM-DD`, inclusive).
    pub async fn daily_figures(
        &self,
        first: &str,
        last: &str,
    ) -> Result<Vec<DailyFigure>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT day, metric, currency, value FROM daily_metrics \
             WHERE day >= $1 AND day <= $2 ORDER BY day, metric, currency",
        )
        .bind(first)
        .bind(last)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("day")?,
                    row.try_get("metric")?,
                    row.try_get("currency")?,
                    row.try_get("value")?,
                ))
            })
            .collect()
    }

    /// Listings per state now.
    pub async fn listing_counts(&self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM listing_states GROUP BY state ORDER BY state",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
            .collect()
    }

    /// Accounts now.
    pub async fn account_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) AS n FROM accounts WHERE deleted = 0")
            .fetch_one(self.db.pool())
            .await?
            .try_get("n")
    }
}

/// A rule as the audit trail shows it.
fn rule_json(rule: &Rule) -> serde_json::Value {
    serde_json::json!({
        "display_name": rule.display_name,
        "kind": rule.kind.as_str(),
        "weight": rule.weight,
        "content_kinds": rule.content_kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "words": rule.words,
        "locale": rule.locale,
        "window_seconds": rule.window.as_secs(),
        "limit": rule.limit,
        "enabled": rule.enabled,
    })
}

/// The UTC day of `at`, `YYYY-MM-DD`.
pub fn day_of(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a date, if it is one.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (civil_from_days(days) == (if m <= 2 { y + 1 } else { y }, m, d)).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_convert_both_ways() {
        assert_eq!(day_of(SystemTime::UNIX_EPOCH), "1970-01-01");
        let days = days_from_civil(2026, 12, 5).expect("a date");
        assert_eq!(civil_from_days(days), (2026, 12, 5));
        assert_eq!(days_from_civil(2026, 2, 30), None);
        assert_eq!(
            days_from_civil(2024, 2, 29).map(civil_from_days),
            Some((2024, 2, 29))
        );
    }
}
