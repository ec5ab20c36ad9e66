//! What projects, units, milestones, progress updates, documents and reservations may say,
//! and how their enums are stored. Requests are checked here into plain values; the store
//! never sees raw protobuf input.

use estospaces_proto::project_v1 as pb;
use estospaces_proto::property_v1::Date;
use estospaces_status::{FieldViolation, violation};
use uuid::Uuid;

use pb::project::Stage;
use pb::project_document::Kind;
use pb::reservation::{ReleaseReason, State as ReservationState};
use pb::unit::{State as UnitState, UnitType};

/// The most units one project holds.
pub const MAX_UNITS_PER_PROJECT: i64 = 2_000;
/// The most milestones one project holds.
pub const MAX_MILESTONES_PER_PROJECT: i64 = 200;
/// The most progress updates one project holds.
pub const MAX_PROGRESS_UPDATES_PER_PROJECT: i64 = 500;
/// The most documents one project holds.
pub const MAX_DOCUMENTS_PER_PROJECT: i64 = 500;
/// The most media one progress update shows.
pub const MAX_MEDIA_PER_UPDATE: usize = 20;
/// The longest payment method reference passed on to the payment service.
pub const MAX_PAYMENT_METHOD_LEN: usize = 255;

/// Length in characters, as limits are stated.
pub fn chars(text: &str) -> usize {
    text.chars().count()
}

fn uuid_in(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

// === Names ===

/// `projects/{project}`.
pub fn project_id(name: &str) -> Option<Uuid> {
    name.strip_prefix("projects/").and_then(uuid_in)
}

/// `projects/{project}/{collection}/{id}`: the project's id and the child's.
pub fn child_id(name: &str, collection: &str) -> Option<(Uuid, Uuid)> {
    let rest = name.strip_prefix("projects/")?;
    let (project, child) = rest.split_once(&format!("/{collection}/"))?;
    Some((uuid_in(project)?, uuid_in(child)?))
}

/// `users/{user}`: the user's id.
pub fn user_id(name: &str) -> Option<String> {
    name.strip_prefix("users/")
        .and_then(uuid_in)
        .map(|id| id.to_string())
}

/// `properties/{property}`, normalized.
pub fn listing_name(name: &str) -> Option<String> {
    name.strip_prefix("properties/")
        .and_then(uuid_in)
        .map(|id| format!("properties/{id}"))
}

/// `media/{media}`: the media id.
pub fn media_id(name: &str) -> Option<String> {
    name.strip_prefix("media/")
        .and_then(uuid_in)
        .map(|id| id.to_string())
}

// === Dates ===

/// A date as stored, `YYYY-MM-DD`; `None` when it is not a calendar date.
pub fn date_text(date: &Date) -> Option<String> {
    let month = u8::try_from(date.month).ok()?;
    let month = time::Month::try_from(month).ok()?;
    let day = u8::try_from(date.day).ok()?;
    if !(1..=9999).contains(&date.year) {
        return None;
    }
    time::Date::from_calendar_date(date.year, month, day).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year, date.month, date.day
    ))
}

/// The inverse of [`date_text`]; `None` for `''`.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some(Date { year, month, day })
}

/// An optional date field: unset (or all zero) is `''`.
fn optional_date(field: &str, date: Option<&Date>, violations: &mut Vec<FieldViolation>) -> String {
    match date {
        None => String::new(),
        Some(date) if date.year == 0 && date.month == 0 && date.day == 0 => String::new(),
        Some(date) => date_text(date).unwrap_or_else(|| {
            violations.push(violation(field, "must be a calendar date"));
            String::new()
        }),
    }
}

// === Enums as stored ===

pub fn stage_str(stage: Stage) -> &'static str {
    match stage {
        Stage::Unspecified | Stage::Planned => "planned",
        Stage::UnderConstruction => "under_construction",
        Stage::Completed => "completed",
    }
}

pub fn parse_stage(text: &str) -> Stage {
    match text {
        "under_construction" => Stage::UnderConstruction,
        "completed" => Stage::Completed,
        _ => Stage::Planned,
    }
}

pub fn unit_type_str(unit_type: UnitType) -> &'static str {
    match unit_type {
        UnitType::Unspecified => "",
        UnitType::Apartment => "apartment",
        UnitType::Studio => "studio",
        UnitType::Penthouse => "penthouse",
        UnitType::Townhouse => "townhouse",
        UnitType::Villa => "villa",
        UnitType::Commercial => "commercial",
        UnitType::Parking => "parking",
    }
}

pub fn parse_unit_type(text: &str) -> UnitType {
    match text {
        "apartment" => UnitType::Apartment,
        "studio" => UnitType::Studio,
        "penthouse" => UnitType::Penthouse,
        "townhouse" => UnitType::Townhouse,
        "villa" => UnitType::Villa,
        "commercial" => UnitType::Commercial,
        "parking" => UnitType::Parking,
        _ => UnitType::Unspecified,
    }
}

pub fn unit_state_str(state: UnitState) -> &'static str {
    match state {
        UnitState::Unspecified | UnitState::Available => "available",
        UnitState::Reserved => "reserved",
        UnitState::Sold => "sold",
    }
}

pub fn parse_unit_state(text: &str) -> UnitState {
    match text {
        "reserved" => UnitState::Reserved,
        "sold" => UnitState::Sold,
        _ => UnitState::Available,
    }
}

pub fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::Unspecified => "",
        Kind::Brochure => "brochure",
        Kind::FloorPlan => "floor_plan",
        Kind::Specification => "specification",
        Kind::Permit => "permit",
        Kind::Other => "other",
    }
}

pub fn parse_kind(text: &str) -> Kind {
    match text {
        "brochure" => Kind::Brochure,
        "floor_plan" => Kind::FloorPlan,
        "specification" => Kind::Specification,
        "permit" => Kind::Permit,
        "other" => Kind::Other,
        _ => Kind::Unspecified,
    }
}

pub fn reservation_state_str(state: ReservationState) -> &'static str {
    match state {
        ReservationState::Unspecified | ReservationState::PendingPayment => "pending_payment",
        ReservationState::Reserved => "reserved",
        ReservationState::Completed => "completed",
        ReservationState::Released => "released",
    }
}

pub fn parse_reservation_state(text: &str) -> ReservationState {
    match text {
        "reserved" => ReservationState::Reserved,
        "completed" => ReservationState::Completed,
        "released" => ReservationState::Released,
        _ => ReservationState::PendingPayment,
    }
}

pub fn release_reason_str(reason: ReleaseReason) -> &'static str {
    match reason {
        ReleaseReason::Unspecified => "",
        ReleaseReason::PaymentFailed => "payment_failed",
        ReleaseReason::Expired => "expired",
        ReleaseReason::CancelledByBuyer => "cancelled_by_buyer",
        ReleaseReason::CancelledByDeveloper => "cancelled_by_developer",
    }
}

pub fn parse_release_reason(text: &str) -> ReleaseReason {
    match text {
        "payment_failed" => ReleaseReason::PaymentFailed,
        "expired" => ReleaseReason::Expired,
        "cancelled_by_buyer" => ReleaseReason::CancelledByBuyer,
        "cancelled_by_developer" => ReleaseReason::CancelledByDeveloper,
        _ => ReleaseReason::Unspecified,
    }
}

// === Projects ===

/// A project's editable fields, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFields {
    pub display_name: String,
    pub description: String,
    pub address: String,
    pub city: String,
    pub country_code: String,
    pub stage: Stage,
    /// `''` or `YYYY-MM-DD`.
    pub expected_completion_date: String,
}

/// The project fields `UpdateProject` changes.
pub const PROJECT_MASK: &[&str] = &[
    "display_name",
    "description",
    "address",
    "city",
    "country_code",
    "stage",
    "expected_completion_date",
];

fn text_between(
    field: String,
    value: &str,
    min: usize,
    max: usize,
    violations: &mut Vec<FieldViolation>,
) -> String {
    let value = value.trim();
    let length = chars(value);
    if length < min || length > max || value.chars().any(char::is_control) {
        let description = if min == 0 {
            format!("must be at most {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        };
        violations.push(violation(field, description));
    }
    value.to_owned()
}

/// Long text may hold line breaks, no other control characters.
fn long_text(
    field: String,
    value: &str,
    min: usize,
    max: usize,
    violations: &mut Vec<FieldViolation>,
) -> String {
    let value = value.trim();
    let length = chars(value);
    if length < min
        || length > max
        || value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        violations.push(violation(
            field,
            if min == 0 {
                format!("must be at most {max} characters")
            } else {
                format!("must be {min} to {max} characters")
            },
        ));
    }
    value.to_owned()
}

fn code_of(
    field: String,
    value: &str,
    length: usize,
    what: &str,
    violations: &mut Vec<FieldViolation>,
) -> String {
    let code = value.trim().to_ascii_uppercase();
    if code.len() != length || !code.chars().all(|c| c.is_ascii_uppercase()) {
        violations.push(violation(field, format!("must be {what}")));
    }
    code
}

/// Checks the fields of `project` named in `mask` (`None`: all of them, for a create), under
/// the request field `prefix` (`project`); the rest are taken from `current`.
pub fn check_project(
    prefix: &str,
    project: &pb::Project,
    mask: Option<&[String]>,
    current: Option<&ProjectFields>,
) -> Result<ProjectFields, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let wanted = |field: &str| mask.is_none_or(|mask| mask.iter().any(|m| m == field));
    let field = |name: &str| format!("{prefix}.{name}");
    let mut fields = current.cloned().unwrap_or(ProjectFields {
        display_name: String::new(),
        description: String::new(),
        address: String::new(),
        city: String::new(),
        country_code: String::new(),
        stage: Stage::Planned,
        expected_completion_date: String::new(),
    });
    if wanted("display_name") {
        fields.display_name = text_between(
            field("display_name"),
            &project.display_name,
            1,
            200,
            &mut violations,
        );
    }
    if wanted("description") {
        fields.description = long_text(
            field("description"),
            &project.description,
            0,
            10_000,
            &mut violations,
        );
    }
    if wanted("address") {
        fields.address = text_between(field("address"), &project.address, 0, 500, &mut violations);
    }
    if wanted("city") {
        fields.city = text_between(field("city"), &project.city, 1, 100, &mut violations);
    }
    if wanted("country_code") {
        fields.country_code = code_of(
            field("country_code"),
            &project.country_code,
            2,
            "an ISO 3166-1 alpha-2 code such as PT",
            &mut violations,
        );
    }
    if wanted("stage") {
        fields.stage = match Stage::try_from(project.stage) {
            Ok(Stage::Unspecified) => Stage::Planned,
            Ok(stage) => stage,
            Err(_) => {
                violations.push(violation(field("stage"), "is not a known stage"));
                Stage::Planned
            }
        };
    }
    if wanted("expected_completion_date") {
        fields.expected_completion_date = optional_date(
            &field("expected_completion_date"),
            project.expected_completion_date.as_ref(),
            &mut violations,
        );
    }
    if violations.is_empty() {
        Ok(fields)
    } else {
        Err(violations)
    }
}

/// The currency of a new project, checked.
pub fn check_currency(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> String {
    code_of(
        field.to_owned(),
        value,
        3,
        "an ISO 4217 code such as EUR",
        violations,
    )
}

// === Units ===

/// A unit's editable fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFields {
    pub display_name: String,
    pub unit_type: UnitType,
    pub floor: i64,
    pub area_square_meters: f64,
    pub bedrooms: i64,
    pub bathrooms: i64,
    pub price: i64,
    pub deposit_amount: i64,
    /// `properties/{property}`, or `None`.
    pub listing: Option<String>,
}

/// The unit fields `UpdateUnit` changes.
pub const UNIT_MASK: &[&str] = &[
    "display_name",
    "unit_type",
    "floor",
    "area_square_meters",
    "bedrooms",
    "bathrooms",
    "price",
    "deposit_amount",
    "listing",
];

/// Checks the fields of `unit` named in `mask` (`None`: all, for a create) under `prefix`;
/// the rest are taken from `current`. The deposit is checked against the resulting price.
pub fn check_unit(
    prefix: &str,
    unit: &pb::Unit,
    mask: Option<&[String]>,
    current: Option<&UnitFields>,
) -> Result<UnitFields, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let wanted = |field: &str| mask.is_none_or(|mask| mask.iter().any(|m| m == field));
    let field = |name: &str| format!("{prefix}.{name}");
    let mut fields = current.cloned().unwrap_or(UnitFields {
        display_name: String::new(),
        unit_type: UnitType::Unspecified,
        floor: 0,
        area_square_meters: 0.0,
        bedrooms: 0,
        bathrooms: 0,
        price: 0,
        deposit_amount: 0,
        listing: None,
    });
    if wanted("display_name") {
        fields.display_name = text_between(
            field("display_name"),
            &unit.display_name,
            1,
            50,
            &mut violations,
        );
    }
    if wanted("unit_type") {
        fields.unit_type = match UnitType::try_from(unit.unit_type) {
            Ok(UnitType::Unspecified) | Err(_) => {
                violations.push(violation(field("unit_type"), "must be a unit type"));
                UnitType::Unspecified
            }
            Ok(unit_type) => unit_type,
        };
    }
    if wanted("floor") {
        if !(-5..=200).contains(&unit.floor) {
            violations.push(violation(field("floor"), "must be -5 to 200"));
        }
        fields.floor = i64::from(unit.floor);
    }
    if wanted("area_square_meters") {
        let area = unit.area_square_meters;
        if !area.is_finite() || area <= 0.0 || area > 100_000.0 {
            violations.push(violation(
                field("area_square_meters"),
                "must be above 0 and at most 100,000",
            ));
        }
        fields.area_square_meters = area;
    }
    if wanted("bedrooms") {
        if !(0..=50).contains(&unit.bedrooms) {
            violations.push(violation(field("bedrooms"), "must be 0 to 50"));
        }
        fields.bedrooms = i64::from(unit.bedrooms);
    }
    if wanted("bathrooms") {
        if !(0..=50).contains(&unit.bathrooms) {
            violations.push(violation(field("bathrooms"), "must be 0 to 50"));
        }
        fields.bathrooms = i64::from(unit.bathrooms);
    }
    if wanted("price") {
        if unit.price <= 0 {
            violations.push(violation(
                field("price"),
                "must be positive, in minor units",
            ));
        }
        fields.price = unit.price;
    }
    if wanted("deposit_amount") {
        fields.deposit_amount = unit.deposit_amount;
    }
    if wanted("deposit_amount") || wanted("price") {
        if fields.deposit_amount <= 0 {
            violations.push(violation(field("deposit_amount"), "must be positive"));
        } else if fields.price > 0 && fields.deposit_amount > fields.price {
            violations.push(violation(
                field("deposit_amount"),
                "must be at most the price",
            ));
        }
    }
    if wanted("listing") {
        fields.listing = if unit.listing.trim().is_empty() {
            None
        } else {
            match listing_name(unit.listing.trim()) {
                Some(listing) => Some(listing),
                None => {
                    violations.push(violation(
                        field("listing"),
                        "must be a resource name like properties/{property}",
                    ));
                    None
                }
            }
        };
    }
    if violations.is_empty() {
        Ok(fields)
    } else {
        Err(violations)
    }
}

// === Milestones, progress updates, documents ===

/// A new milestone, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneFields {
    pub display_name: String,
    pub description: String,
    pub planned_date: String,
}

pub fn check_milestone(milestone: &pb::Milestone) -> Result<MilestoneFields, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let display_name = text_between(
        "milestone.display_name".to_owned(),
        &milestone.display_name,
        1,
        200,
        &mut violations,
    );
    let description = long_text(
        "milestone.description".to_owned(),
        &milestone.description,
        0,
        2_000,
        &mut violations,
    );
    let planned_date = match milestone.planned_date.as_ref().and_then(date_text) {
        Some(date) => date,
        None => {
            violations.push(violation(
                "milestone.planned_date",
                "is required: a calendar date",
            ));
            String::new()
        }
    };
    if violations.is_empty() {
        Ok(MilestoneFields {
            display_name,
            description,
            planned_date,
        })
    } else {
        Err(violations)
    }
}

/// A new progress update, checked: its media as `(field, media id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressFields {
    pub text: String,
    pub progress_percent: i64,
    /// `media/{media}` names.
    pub media: Vec<String>,
}

impl ProgressFields {
    /// `(field, media id)` pairs, as the media check takes them.
    pub fn media_ids(&self) -> Vec<(String, String)> {
        self.media
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                media_id(name).map(|id| (format!("progress_update.media[{i}]"), id))
            })
            .collect()
    }
}

pub fn check_progress_update(
    update: &pb::ProgressUpdate,
) -> Result<ProgressFields, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let text = long_text(
        "progress_update.text".to_owned(),
        &update.text,
        1,
        5_000,
        &mut violations,
    );
    if !(0..=100).contains(&update.progress_percent) {
        violations.push(violation(
            "progress_update.progress_percent",
            "must be 0 to 100",
        ));
    }
    if update.media.len() > MAX_MEDIA_PER_UPDATE {
        violations.push(violation(
            "progress_update.media",
            format!("at most {MAX_MEDIA_PER_UPDATE}"),
        ));
    }
    let mut media = Vec::new();
    for (i, name) in update.media.iter().enumerate() {
        match media_id(name.trim()) {
            Some(id) => {
                let name = format!("media/{id}");
                if media.contains(&name) {
                    violations.push(violation(
                        format!("progress_update.media[{i}]"),
                        "is listed twice",
                    ));
                }
                media.push(name);
            }
            None => violations.push(violation(
                format!("progress_update.media[{i}]"),
                "must be a resource name like media/{media}",
            )),
        }
    }
    if violations.is_empty() {
        Ok(ProgressFields {
            text,
            progress_percent: i64::from(update.progress_percent),
            media,
        })
    } else {
        Err(violations)
    }
}

/// A new document, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFields {
    pub kind: Kind,
    pub title: String,
    /// `media/{media}`.
    pub media: String,
    /// The unit's id, if the document is of one unit.
    pub unit: Option<Uuid>,
}

pub fn check_document(
    project: Uuid,
    document: &pb::ProjectDocument,
) -> Result<DocumentFields, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let kind = match Kind::try_from(document.kind) {
        Ok(Kind::Unspecified) | Err(_) => {
            violations.push(violation(
                "project_document.kind",
                "must be a document kind",
            ));
            Kind::Unspecified
        }
        Ok(kind) => kind,
    };
    let title = text_between(
        "project_document.title".to_owned(),
        &document.title,
        1,
        200,
        &mut violations,
    );
    let media = match media_id(document.media.trim()) {
        Some(id) => format!("media/{id}"),
        None => {
            violations.push(violation(
                "project_document.media",
                "must be a resource name like media/{media}",
            ));
            String::new()
        }
    };
    let unit = if document.unit.trim().is_empty() {
        None
    } else {
        match child_id(document.unit.trim(), "units") {
            Some((of, unit)) if of == project => Some(unit),
            _ => {
                violations.push(violation(
                    "project_document.unit",
                    "must be a unit of the project, projects/{project}/units/{unit}",
                ));
                None
            }
        }
    };
    if violations.is_empty() {
        Ok(DocumentFields {
            kind,
            title,
            media,
            unit,
        })
    } else {
        Err(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> pb::Unit {
        pb::Unit {
            display_name: "B-301".to_owned(),
            unit_type: UnitType::Apartment as i32,
            floor: 3,
            area_square_meters: 82.5,
            bedrooms: 2,
            bathrooms: 1,
            price: 35_000_000,
            deposit_amount: 500_000,
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_unit_passes() {
        let fields = check_unit("unit", &unit(), None, None).expect("valid");
        assert_eq!(fields.display_name, "B-301");
        assert_eq!(fields.listing, None);
    }

    #[test]
    fn a_deposit_above_the_price_is_refused() {
        let refused = check_unit(
            "unit",
            &pb::Unit {
                deposit_amount: 40_000_000,
                ..unit()
            },
            None,
            None,
        )
        .expect_err("refused");
        assert_eq!(refused[0].field, "unit.deposit_amount");
    }

    #[test]
    fn an_update_of_the_price_alone_is_checked_against_the_stored_deposit() {
        let current = check_unit("unit", &unit(), None, None).expect("valid");
        let mask = ["price".to_owned()];
        let refused = check_unit(
            "unit",
            &pb::Unit {
                price: 100,
                ..Default::default()
            },
            Some(&mask),
            Some(&current),
        )
        .expect_err("the deposit is above the new price");
        assert_eq!(refused[0].field, "unit.deposit_amount");
    }

    #[test]
    fn dates_round_trip_and_impossible_ones_are_refused() {
        let date = Date {
            year: 2027,
            month: 2,
            day: 28,
        };
        assert_eq!(date_text(&date).as_deref(), Some("2027-02-28"));
        assert_eq!(parse_date("2027-02-28"), Some(date));
        assert_eq!(
            date_text(&Date {
                year: 2027,
                month: 2,
                day: 30
            }),
            None
        );
    }

    #[test]
    fn child_names_give_the_project_and_the_child() {
        let project = Uuid::now_v7();
        let unit = Uuid::now_v7();
        assert_eq!(
            child_id(&format!("projects/{project}/units/{unit}"), "units"),
            Some((project, unit))
        );
        assert_eq!(
            child_id(&format!("projects/{project}/milestones/{unit}"), "units"),
            None
        );
    }
}
