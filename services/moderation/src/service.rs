//! The `estospaces.moderation.v1.ModerationService` handlers.
//!
//! Every handler first decides who may call it: reports are anyone's to make and their
//! reporter's to read; the queue and the checks are for moderators and admins; rules, the audit
//! trail and the metrics for admins only.

use std::time::{Duration, SystemTime};

use estospaces_auth::Role;
use estospaces_auth::policy;
use estospaces_proto::google::api::HttpBody;
use estospaces_proto::moderation_v1 as pb;
use estospaces_status::{ApiError, violation};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::DOMAIN;
use crate::domain::{self, CaseState, Origin, Target, TargetKind};
use crate::owners::{Credentials, Owners};
use crate::rules::{ContentKind, Rule, RuleKind};
use crate::store::{
    self, AuditFilter, AuditRecord, CaseCursor, CaseFilter, ModerationStore, NewReport, TimeCursor,
};

/// The longest a reason or a rule's words may be, in characters.
const MAX_REASON: usize = 1_000;
const MAX_DETAILS: usize = 2_000;
const MAX_WORDS: usize = 500;
/// The most audit entries one export holds.
const MAX_EXPORT: usize = 100_000;
/// The longest metrics range, in days.
const MAX_METRIC_DAYS: i64 = 366;

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct ModerationHandlers {
    store: ModerationStore,
    owners: Owners,
}

impl ModerationHandlers {
    pub fn new(store: ModerationStore, owners: Owners) -> Self {
        Self { store, owners }
    }
}

fn db(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

fn invalid(field: &str, description: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, description)])
}

/// The `{id}` of `{collection}/{id}` as a UUID's text.
fn resource_id(field: &str, name: &str, collection: &str) -> Result<String, ApiError> {
    name.strip_prefix(collection)
        .and_then(|id| id.strip_prefix('/'))
        .and_then(|id| Uuid::parse_str(id).ok())
        .map(|id| id.to_string())
        .ok_or_else(|| {
            invalid(
                field,
                format!("must be a resource name like {collection}/{{id}}"),
            )
        })
}

/// A user's id from `users/{user}`, or empty when `name` is empty.
fn optional_user(field: &str, name: &str) -> Result<String, ApiError> {
    if name.is_empty() {
        Ok(String::new())
    } else {
        resource_id(field, name, "users")
    }
}

fn reason_text(field: &str, text: &str, required: bool) -> Result<String, ApiError> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(invalid(field, "required"));
    }
    if text.chars().count() > MAX_REASON {
        return Err(invalid(field, "at most 1,000 characters"));
    }
    Ok(text.to_owned())
}

fn page_size(requested: i32) -> Result<i64, ApiError> {
    match i64::from(requested) {
        0 => Ok(50),
        n if n < 0 => Err(invalid("page_size", "must not be negative")),
        n => Ok(n.min(100)),
    }
}

fn bad_token() -> ApiError {
    invalid("page_token", "not a token this list returned")
}

/// A `{micros}.{id}` token.
fn time_cursor(token: &str) -> Result<Option<TimeCursor>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let (at, id) = token.split_once('.').ok_or_else(bad_token)?;
    let at = at.parse().map_err(|_| bad_token())?;
    let id = Uuid::parse_str(id).map_err(|_| bad_token())?;
    Ok(Some((at, id.to_string())))
}

/// A `{priority}.{micros}.{id}` token.
fn case_cursor(token: &str) -> Result<Option<CaseCursor>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let (priority, rest) = token.split_once('.').ok_or_else(bad_token)?;
    let priority = priority.parse().map_err(|_| bad_token())?;
    let (at, id) = time_cursor(rest)?.ok_or_else(bad_token)?;
    Ok(Some((priority, at, id)))
}

/// Cuts `items` to `limit`; the token of the next page, or empty on the last.
fn next_page<T>(items: &mut Vec<T>, limit: i64, token: impl Fn(&T) -> String) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if items.len() <= limit {
        return String::new();
    }
    items.truncate(limit);
    items.last().map_or_else(String::new, token)
}

fn micros(time: SystemTime) -> i64 {
    estospaces_storage::unix_micros(time)
}

fn time_of(
    field: &str,
    t: Option<&prost_types::Timestamp>,
) -> Result<Option<SystemTime>, ApiError> {
    t.map(|t| SystemTime::try_from(*t).map_err(|_| invalid(field, "not a valid time")))
        .transpose()
}

/// A `YYYY-MM-DD` day as days since 1970-01-01.
fn day(field: &str, text: &str) -> Result<i64, ApiError> {
    let mut parts = text.splitn(3, '-');
    let mut next = || parts.next().and_then(|p| p.parse::<i64>().ok());
    let (y, m, d) = (next(), next(), next());
    y.zip(m)
        .zip(d)
        .and_then(|((y, m), d)| {
            store::days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
        })
        .ok_or_else(|| invalid(field, "must be a date like 2026-12-05"))
}

fn date_text(days: i64) -> String {
    let (y, m, d) = store::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A rule from its message, checked.
fn rule_from(message: &pb::Rule, id: String) -> Result<Rule, ApiError> {
    let display_name = message.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(invalid("rule.display_name", "1 to 200 characters"));
    }
    let kind = pb::rule::Kind::try_from(message.kind)
        .ok()
        .and_then(RuleKind::from_proto)
        .ok_or_else(|| invalid("rule.kind", "required"))?;
    if !(1..=100).contains(&message.weight) {
        return Err(invalid("rule.weight", "1 to 100"));
    }
    let content_kinds = message
        .content_kinds
        .iter()
        .map(|k| {
            pb::ContentKind::try_from(*k)
                .ok()
                .and_then(ContentKind::from_proto)
                .ok_or_else(|| invalid("rule.content_kinds", "LISTING or REVIEW"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let words: Vec<String> = message
        .words
        .iter()
        .map(|w| {
            w.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .collect();
    if words.len() > MAX_WORDS
        || words
            .iter()
            .any(|w| w.is_empty() || w.chars().count() > 100)
    {
        return Err(invalid(
            "rule.words",
            "at most 500 words or phrases, each 1 to 100 characters",
        ));
    }
    if kind == RuleKind::BannedWords && words.is_empty() {
        return Err(invalid("rule.words", "a banned-words rule needs words"));
    }
    let locale = message.locale.trim().to_owned();
    if locale.len() > 35
        || !locale
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(
            "rule.locale",
            "a BCP 47 language tag like en or pt-BR",
        ));
    }
    let window = match &message.window {
        Some(d) if d.seconds > 0 && d.nanos >= 0 && d.seconds <= 366 * 86_400 => {
            Duration::from_secs(u64::try_from(d.seconds).unwrap_or(0))
        }
        Some(_) => return Err(invalid("rule.window", "1 second to 366 days")),
        None if kind.needs_window() => {
            return Err(invalid("rule.window", "required for this kind"));
        }
        None => Duration::ZERO,
    };
    if kind == RuleKind::Velocity && !(1..=100_000).contains(&message.limit) {
        return Err(invalid("rule.limit", "1 to 100,000 for a velocity rule"));
    }
    Ok(Rule {
        id,
        display_name,
        kind,
        weight: i64::from(message.weight),
        content_kinds,
        words,
        locale,
        window,
        limit: i64::from(message.limit),
        enabled: message.enabled,
    })
}

fn rule_proto(rule: &Rule, updated: SystemTime) -> pb::Rule {
    pb::Rule {
        name: format!("rules/{}", rule.id),
        display_name: rule.display_name.clone(),
        kind: rule.kind.proto() as i32,
        weight: i32::try_from(rule.weight).unwrap_or(i32::MAX),
        content_kinds: rule
            .content_kinds
            .iter()
            .map(|k| k.proto() as i32)
            .collect(),
        words: rule.words.clone(),
        locale: rule.locale.clone(),
        window: (rule.window > Duration::ZERO).then(|| prost_types::Duration {
            seconds: i64::try_from(rule.window.as_secs()).unwrap_or(i64::MAX),
            nanos: 0,
        }),
        limit: i32::try_from(rule.limit).unwrap_or(i32::MAX),
        enabled: rule.enabled,
        update_time: Some(updated.into()),
    }
}

fn audit_filter(
    actor: &str,
    target: &str,
    action: &str,
    start: Option<&prost_types::Timestamp>,
    end: Option<&prost_types::Timestamp>,
) -> Result<AuditFilter, ApiError> {
    Ok(AuditFilter {
        actor: optional_user("actor", actor)?,
        target: target.to_owned(),
        action: action.to_owned(),
        start: time_of("start_time", start)?,
        end: time_of("end_time", end)?,
    })
}

/// A CSV field, quoted when it needs to be; formula-looking text is prefixed so a spreadsheet
/// shows it rather than running it.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[tonic::async_trait]
impl pb::moderation_service_server::ModerationService for ModerationHandlers {
    async fn create_report(
        &self,
        request: Request<pb::CreateReportRequest>,
    ) -> Result<Response<pb::CreateReportResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let reporter = resource_id("reporter", &format!("users/{}", caller.user_id), "users")
            .map_err(|_| ApiError::permission_denied(DOMAIN, "user"))?;
        let Some(report) = request.get_ref().report.as_ref() else {
            return Err(invalid("report", "required").into());
        };
        let target = Target::parse(&report.target).ok_or_else(|| {
            invalid(
                "report.target",
                "must name a listing, user, conversation, review or media file \
                 (properties/{id}, users/{id}, conversations/{id}, reviews/{id}, media/{id})",
            )
        })?;
        let reason = pb::ReportReason::try_from(report.reason)
            .ok()
            .filter(|r| domain::reason_name(*r).is_some())
            .ok_or_else(|| invalid("report.reason", "required"))?;
        let details = report.details.trim();
        if details.chars().count() > MAX_DETAILS {
            return Err(invalid("report.details", "at most 2,000 characters").into());
        }
        if target.kind == TargetKind::User && target.id() == reporter {
            return Err(invalid("report.target", "you cannot report yourself").into());
        }
        let credentials = Credentials::of(request.metadata());
        let subject = self.owners.subject(&credentials, &target).await?;
        let (report, _) = self
            .store
            .create_report(&NewReport {
                target,
                subject,
                reason,
                details: details.to_owned(),
                reporter,
            })
            .await
            .map_err(db)?;
        Ok(Response::new(pb::CreateReportResponse {
            report: Some(report.proto()),
        }))
    }

    async fn get_report(
        &self,
        request: Request<pb::GetReportRequest>,
    ) -> Result<Response<pb::GetReportResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let id = resource_id("name", &request.get_ref().name, "moderationReports")?;
        let report = self.store.report(&id).await.map_err(db)?;
        match report {
            Some(report) if caller.is_staff() || report.reporter == caller.user_id => {
                Ok(Response::new(pb::GetReportResponse {
                    report: Some(report.proto()),
                }))
            }
            // Strangers learn nothing, not even whether the report exists.
            _ if !caller.is_staff() => Err(ApiError::permission_denied(DOMAIN, "reporter").into()),
            _ => Err(ApiError::not_found(DOMAIN, &request.get_ref().name).into()),
        }
    }

    async fn list_reports(
        &self,
        request: Request<pb::ListReportsRequest>,
    ) -> Result<Response<pb::ListReportsResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let mut reporter = optional_user("reporter", &message.reporter)?;
        if !caller.is_staff() {
            if reporter.is_empty() {
                reporter.clone_from(&caller.user_id);
            } else if reporter != caller.user_id {
                return Err(ApiError::permission_denied(DOMAIN, "role:moderator").into());
            }
        }
        let case_id = if message.case.is_empty() {
            String::new()
        } else {
            resource_id("case", &message.case, "cases")?
        };
        let limit = page_size(message.page_size)?;
        let mut reports = self
            .store
            .reports(
                &reporter,
                &case_id,
                &message.target,
                time_cursor(&message.page_token)?,
                limit,
            )
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut reports, limit, |r| {
            format!("{}.{}", micros(r.created_at), r.id)
        });
        Ok(Response::new(pb::ListReportsResponse {
            reports: reports.iter().map(|r| r.proto()).collect(),
            next_page_token,
        }))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::GetCaseResponse>, Status> {
        policy::staff(&request)?;
        let id = resource_id("name", &request.get_ref().name, "cases")?;
        let case = self
            .store
            .case(&id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &request.get_ref().name))?;
        Ok(Response::new(pb::GetCaseResponse {
            case: Some(case.proto()),
        }))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        policy::staff(&request)?;
        let message = request.get_ref();
        let state = pb::case::State::try_from(message.state)
            .map_err(|_| invalid("state", "not a case state"))?;
        let origin = pb::case::Origin::try_from(message.origin)
            .map_err(|_| invalid("origin", "not a case origin"))?;
        let filter = CaseFilter {
            state: CaseState::from_proto(state),
            origin: Origin::from_proto(origin),
            assignee: optional_user("assignee", &message.assignee)?,
            target: message.target.clone(),
        };
        let limit = page_size(message.page_size)?;
        let mut cases = self
            .store
            .cases(&filter, case_cursor(&message.page_token)?, limit)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut cases, limit, |c| {
            format!("{}.{}.{}", c.priority, micros(c.created_at), c.id)
        });
        Ok(Response::new(pb::ListCasesResponse {
            cases: cases.iter().map(|c| c.proto()).collect(),
            next_page_token,
        }))
    }

    async fn assign_case(
        &self,
        request: Request<pb::AssignCaseRequest>,
    ) -> Result<Response<pb::AssignCaseResponse>, Status> {
        let caller = policy::staff(&request)?;
        let message = request.get_ref();
        let id = resource_id("name", &message.name, "cases")?;
        let assignee = match optional_user("assignee", &message.assignee)? {
            assignee if assignee.is_empty() => caller.user_id.clone(),
            assignee => assignee,
        };
        if self.store.case(&id).await.map_err(db)?.is_none() {
            return Err(ApiError::not_found(DOMAIN, &message.name).into());
        }
        let case = self
            .store
            .assign(&id, &assignee, &caller.user_id)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                ApiError::failed_precondition(DOMAIN, "CASE_DECIDED", "the case is decided")
            })?;
        Ok(Response::new(pb::AssignCaseResponse {
            case: Some(case.proto()),
        }))
    }

    async fn decide_case(
        &self,
        request: Request<pb::DecideCaseRequest>,
    ) -> Result<Response<pb::DecideCaseResponse>, Status> {
        let caller = policy::staff(&request)?.clone();
        let message = request.get_ref();
        let id = resource_id("name", &message.name, "cases")?;
        let decision = pb::Decision::try_from(message.decision)
            .ok()
            .filter(|d| domain::decision_name(*d).is_some())
            .ok_or_else(|| invalid("decision", "required"))?;
        let reason = reason_text("reason", &message.reason, true)?;
        let suspend_end = time_of("suspend_end_time", message.suspend_end_time.as_ref())?;
        if decision == pb::Decision::SuspendUser && suspend_end.is_none() {
            return Err(invalid("suspend_end_time", "required to suspend").into());
        }
        let mut case = self
            .store
            .case(&id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &message.name))?;
        if case.state == CaseState::Decided {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "CASE_DECIDED",
                "the case is decided",
            )
            .into());
        }
        let credentials = Credentials::of(request.metadata());
        // Reports that came as events may not name the account behind the target yet.
        if case.subject.is_empty()
            && let Some(target) = Target::parse(&case.target)
        {
            case.subject = self.owners.subject(&credentials, &target).await?;
        }
        self.owners
            .carry_out(&credentials, &case, decision, &reason, suspend_end)
            .await?;
        let decided = self
            .store
            .decide(
                &id,
                domain::decision_name(decision).unwrap_or_default(),
                &reason,
                &caller.user_id,
                &case.subject,
            )
            .await
            .map_err(db)?
            .ok_or_else(|| {
                ApiError::failed_precondition(DOMAIN, "CASE_DECIDED", "the case is decided")
            })?;
        Ok(Response::new(pb::DecideCaseResponse {
            case: Some(decided.proto()),
        }))
    }

    async fn list_content_checks(
        &self,
        request: Request<pb::ListContentChecksRequest>,
    ) -> Result<Response<pb::ListContentChecksResponse>, Status> {
        policy::staff(&request)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let mut checks = self
            .store
            .checks(&message.target, time_cursor(&message.page_token)?, limit)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut checks, limit, |c| {
            format!("{}.{}", micros(c.created_at), c.id)
        });
        Ok(Response::new(pb::ListContentChecksResponse {
            content_checks: checks.iter().map(|c| c.proto()).collect(),
            next_page_token,
        }))
    }

    async fn list_rules(
        &self,
        request: Request<pb::ListRulesRequest>,
    ) -> Result<Response<pb::ListRulesResponse>, Status> {
        policy::staff(&request)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let offset: usize = if message.page_token.is_empty() {
            0
        } else {
            message.page_token.parse().map_err(|_| bad_token())?
        };
        let rules = self.store.rules().await.map_err(db)?;
        let page: Vec<pb::Rule> = rules
            .iter()
            .skip(offset)
            .take(usize::try_from(limit).unwrap_or(100))
            .map(|(rule, updated)| rule_proto(rule, *updated))
            .collect();
        let next = offset + page.len();
        Ok(Response::new(pb::ListRulesResponse {
            rules: page,
            next_page_token: if next < rules.len() {
                next.to_string()
            } else {
                String::new()
            },
        }))
    }

    async fn create_rule(
        &self,
        request: Request<pb::CreateRuleRequest>,
    ) -> Result<Response<pb::CreateRuleResponse>, Status> {
        let caller = policy::role(&request, Role::Admin)?;
        let Some(message) = request.get_ref().rule.as_ref() else {
            return Err(invalid("rule", "required").into());
        };
        let rule = rule_from(message, Uuid::now_v7().to_string())?;
        let updated = self
            .store
            .save_rule(&rule, None, &caller.user_id)
            .await
            .map_err(db)?;
        Ok(Response::new(pb::CreateRuleResponse {
            rule: Some(rule_proto(&rule, updated)),
        }))
    }

    async fn update_rule(
        &self,
        request: Request<pb::UpdateRuleRequest>,
    ) -> Result<Response<pb::UpdateRuleResponse>, Status> {
        const MUTABLE: [&str; 8] = [
            "display_name",
            "weight",
            "content_kinds",
            "words",
            "locale",
            "window",
            "limit",
            "enabled",
        ];
        let caller = policy::role(&request, Role::Admin)?;
        let message = request.get_ref();
        let Some(changes) = message.rule.as_ref() else {
            return Err(invalid("rule", "required").into());
        };
        let id = resource_id("rule.name", &changes.name, "rules")?;
        let paths = message
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(invalid("update_mask", "name the fields to change").into());
        }
        if let Some(unknown) = paths.iter().find(|p| !MUTABLE.contains(&p.as_str())) {
            return Err(invalid(
                "update_mask",
                format!("`{unknown}` cannot be changed; {} can", MUTABLE.join(", ")),
            )
            .into());
        }
        let (before, _) = self
            .store
            .rule(&id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &changes.name))?;
        let mut merged = rule_proto(&before, SystemTime::now());
        for path in &paths {
            match path.as_str() {
                "display_name" => merged.display_name.clone_from(&changes.display_name),
                "weight" => merged.weight = changes.weight,
                "content_kinds" => merged.content_kinds.clone_from(&changes.content_kinds),
                "words" => merged.words.clone_from(&changes.words),
                "locale" => merged.locale.clone_from(&changes.locale),
                "window" => merged.window = changes.window,
                "limit" => merged.limit = changes.limit,
                _ => merged.enabled = changes.enabled,
            }
        }
        let rule = rule_from(&merged, id)?;
        let updated = self
            .store
            .save_rule(&rule, Some(&before), &caller.user_id)
            .await
            .map_err(db)?;
        Ok(Response::new(pb::UpdateRuleResponse {
            rule: Some(rule_proto(&rule, updated)),
        }))
    }

    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        policy::role(&request, Role::Admin)?;
        let m = request.get_ref();
        let filter = audit_filter(
            &m.actor,
            &m.target,
            &m.action,
            m.start_time.as_ref(),
            m.end_time.as_ref(),
        )?;
        let limit = page_size(m.page_size)?;
        let mut entries = self
            .store
            .audit_entries(&filter, time_cursor(&m.page_token)?, limit, false)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut entries, limit, |e| {
            format!("{}.{}", micros(e.created_at), e.id)
        });
        Ok(Response::new(pb::ListAuditEntriesResponse {
            audit_entries: entries.iter().map(AuditRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn export_audit_entries(
        &self,
        request: Request<pb::ExportAuditEntriesRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        policy::role(&request, Role::Admin)?;
        let m = request.get_ref();
        let filter = audit_filter(
            &m.actor,
            &m.target,
            &m.action,
            m.start_time.as_ref(),
            m.end_time.as_ref(),
        )?;
        let limit = i64::try_from(MAX_EXPORT).unwrap_or(i64::MAX);
        let entries = self
            .store
            .audit_entries(&filter, None, limit, true)
            .await
            .map_err(db)?;
        if entries.len() > MAX_EXPORT {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "EXPORT_TOO_LARGE",
                "more than 100,000 entries match; narrow the time range",
            )
            .into());
        }
        let mut csv = String::from("time,actor,action,target,reason,before,after\n");
        for entry in entries.iter().map(AuditRecord::proto) {
            let time = entry.create_time.map(|t| t.to_string()).unwrap_or_default();
            let fields = [
                time,
                entry.actor,
                entry.action,
                entry.target,
                entry.reason,
                entry.before,
                entry.after,
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            csv.push_str(&line.join(","));
            csv.push('\n');
        }
        Ok(Response::new(HttpBody {
            content_type: "text/csv; charset=utf-8".to_owned(),
            data: csv.into_bytes(),
            extensions: Vec::new(),
        }))
    }

    async fn get_platform_metrics(
        &self,
        request: Request<pb::GetPlatformMetricsRequest>,
    ) -> Result<Response<pb::GetPlatformMetricsResponse>, Status> {
        policy::role(&request, Role::Admin)?;
        let m = request.get_ref();
        let today = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs() / 86_400).unwrap_or(0));
        let last = if m.end_date.is_empty() {
            today
        } else {
            day("end_date", &m.end_date)?
        };
        let first = if m.start_date.is_empty() {
            last - 29
        } else {
            day("start_date", &m.start_date)?
        };
        if first > last {
            return Err(invalid("start_date", "must not be after end_date").into());
        }
        if last - first >= MAX_METRIC_DAYS {
            return Err(invalid("start_date", "at most 366 days before end_date").into());
        }
        let figures = self
            .store
            .daily_figures(&date_text(first), &date_text(last))
            .await
            .map_err(db)?;
        let days = (first..=last)
            .map(|d| {
                let date = date_text(d);
                let mut day = pb::DailyMetrics {
                    date: date.clone(),
                    ..Default::default()
                };
                for (_, metric, currency, value) in figures.iter().filter(|f| f.0 == date) {
                    let amount = || pb::Amount {
                        currency_code: currency.clone(),
                        amount: *value,
                    };
                    match metric.as_str() {
                        "new_users" => day.new_users = *value,
                        "listings_published" => day.listings_published = *value,
                        "bookings_confirmed" => day.bookings_confirmed = *value,
                        "gross_booking_value" => day.gross_booking_value.push(amount()),
                        "platform_revenue" => day.platform_revenue.push(amount()),
                        _ => {}
                    }
                }
                day
            })
            .collect();
        let listings_by_state = self
            .store
            .listing_counts()
            .await
            .map_err(db)?
            .into_iter()
            .map(|(state, count)| pb::ListingStateCount { state, count })
            .collect();
        Ok(Response::new(pb::GetPlatformMetricsResponse {
            days,
            total_users: self.store.account_count().await.map_err(db)?,
            listings_by_state,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        assert_eq!(
            case_cursor(&format!("70.123.{id}")).expect("valid"),
            Some((70, 123, id.to_string()))
        );
        assert!(case_cursor("70.x").is_err());
        assert!(time_cursor("nonsense").is_err());
        assert_eq!(time_cursor("").expect("empty"), None);
    }
}
