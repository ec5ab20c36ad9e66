//! What the queue is made of: targets, report reasons, priorities, decisions.

use estospaces_proto::moderation_v1 as pb;
use uuid::Uuid;

/// What a report or a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Listing,
    User,
    Conversation,
    Review,
    Media,
}

impl TargetKind {
    const ALL: [(Self, &'static str, &'static str); 5] = [
        (Self::Listing, "listing", "properties/"),
        (Self::User, "user", "users/"),
        (Self::Conversation, "conversation", "conversations/"),
        (Self::Review, "review", "reviews/"),
        (Self::Media, "media", "media/"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(kind, ..)| *kind == self)
            .map_or("", |(_, name, _)| name)
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, name, _)| *name == text)
            .map(|(kind, ..)| *kind)
    }
}

/// A target's resource name, checked and normalized: `properties/{uuid}` and so on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    pub name: String,
}

impl Target {
    /// The target `name` names, or `None` if it is not one this service moderates.
    pub fn parse(name: &str) -> Option<Self> {
        TargetKind::ALL.iter().find_map(|(kind, _, prefix)| {
            let id = Uuid::parse_str(name.strip_prefix(prefix)?).ok()?;
            Some(Self {
                kind: *kind,
                name: format!("{prefix}{id}"),
            })
        })
    }

    /// The id part of the name.
    pub fn id(&self) -> &str {
        self.name.split_once('/').map_or("", |(_, id)| id)
    }
}

/// Why a case was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Report,
    AutomaticCheck,
    ListingReview,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::AutomaticCheck => "automatic_check",
            Self::ListingReview => "listing_review",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "automatic_check" => Self::AutomaticCheck,
            "listing_review" => Self::ListingReview,
            _ => Self::Report,
        }
    }

    pub fn proto(self) -> pb::case::Origin {
        match self {
            Self::Report => pb::case::Origin::Report,
            Self::AutomaticCheck => pb::case::Origin::AutomaticCheck,
            Self::ListingReview => pb::case::Origin::ListingReview,
        }
    }

    pub fn from_proto(origin: pb::case::Origin) -> Option<Self> {
        match origin {
            pb::case::Origin::Report => Some(Self::Report),
            pb::case::Origin::AutomaticCheck => Some(Self::AutomaticCheck),
            pb::case::Origin::ListingReview => Some(Self::ListingReview),
            pb::case::Origin::Unspecified => None,
        }
    }
}

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    Open,
    Assigned,
    Decided,
}

impl CaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Assigned => "assigned",
            Self::Decided => "decided",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "assigned" => Self::Assigned,
            "decided" => Self::Decided,
            _ => Self::Open,
        }
    }

    pub fn proto(self) -> pb::case::State {
        match self {
            Self::Open => pb::case::State::Open,
            Self::Assigned => pb::case::State::Assigned,
            Self::Decided => pb::case::State::Decided,
        }
    }

    pub fn from_proto(state: pb::case::State) -> Option<Self> {
        match state {
            pb::case::State::Open => Some(Self::Open),
            pb::case::State::Assigned => Some(Self::Assigned),
            pb::case::State::Decided => Some(Self::Decided),
            pb::case::State::Unspecified => None,
        }
    }
}

/// A report reason's stored name, and how urgent it makes a case (0 to 100).
pub fn reason_name(reason: pb::ReportReason) -> Option<(&'static str, i64)> {
    use pb::ReportReason as R;
    Some(match reason {
        R::Safety => ("safety", 80),
        R::Scam => ("scam", 70),
        R::Discrimination => ("discrimination", 60),
        R::Offensive => ("offensive", 50),
        R::Misleading => ("misleading", 40),
        R::Spam => ("spam", 30),
        R::Other => ("other", 20),
        R::Unspecified => return None,
    })
}

/// The reason stored as `name`.
pub fn reason_from_name(name: &str) -> pb::ReportReason {
    use pb::ReportReason as R;
    [
        R::Safety,
        R::Scam,
        R::Discrimination,
        R::Offensive,
        R::Misleading,
        R::Spam,
        R::Other,
    ]
    .into_iter()
    .find(|reason| reason_name(*reason).is_some_and(|(n, _)| n == name))
    .unwrap_or(R::Unspecified)
}

/// A reason written by another service (messaging's or review's free-text reasons), mapped to
/// ours: `SPAM` stays spam, anything unknown is `OTHER`.
pub fn reason_from_elsewhere(text: &str) -> pb::ReportReason {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower
        .trim_start_matches("report_reason_")
        .trim_start_matches("reason_");
    match reason_from_name(lower) {
        pb::ReportReason::Unspecified => pb::ReportReason::Other,
        reason => reason,
    }
}

/// Every report past the first raises a case's priority by this much.
pub const PRIORITY_PER_EXTRA_REPORT: i64 = 5;
/// Listings waiting for pre-publication review.
pub const LISTING_REVIEW_PRIORITY: i64 = 30;

/// A case's priority from what is known of it, at most 100.
pub fn priority(worst_reason: i64, report_count: i64, score: i64) -> i64 {
    let extra = (report_count - 1).max(0) * PRIORITY_PER_EXTRA_REPORT;
    (worst_reason + extra).max(score.min(100)).clamp(0, 100)
}

/// A decision's stored name.
pub fn decision_name(decision: pb::Decision) -> Option<&'static str> {
    use pb::Decision as D;
    Some(match decision {
        D::Dismiss => "dismiss",
        D::Warn => "warn",
        D::RemoveContent => "remove_content",
        D::SuspendUser => "suspend_user",
        D::BanUser => "ban_user",
        D::Unspecified => return None,
    })
}

/// The decision stored as `name`.
pub fn decision_from_name(name: &str) -> pb::Decision {
    use pb::Decision as D;
    [
        D::Dismiss,
        D::Warn,
        D::RemoveContent,
        D::SuspendUser,
        D::BanUser,
    ]
    .into_iter()
    .find(|d| decision_name(*d) == Some(name))
    .unwrap_or(D::Unspecified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_recognized_by_their_collection_and_normalized() {
        let id = Uuid::now_v7();
        let upper = format!("properties/{}", id.to_string().to_uppercase());
        let target = Target::parse(&upper).expect("a listing");
        assert_eq!(target.kind, TargetKind::Listing);
        assert_eq!(target.name, format!("properties/{id}"));
        assert_eq!(target.id(), id.to_string());
        assert!(Target::parse("bookings/x").is_none());
        assert!(Target::parse("users/not-a-uuid").is_none());
    }

    #[test]
    fn more_reports_and_a_higher_score_raise_the_priority_up_to_100() {
        assert_eq!(priority(30, 1, 0), 30);
        assert_eq!(priority(30, 3, 0), 40);
        assert_eq!(priority(30, 1, 75), 75);
        assert_eq!(priority(80, 10, 0), 100);
    }

    #[test]
    fn reasons_from_other_services_map_to_ours_or_to_other() {
        assert_eq!(reason_from_elsewhere("spam"), pb::ReportReason::Spam);
        assert_eq!(
            reason_from_elsewhere("REPORT_REASON_SCAM"),
            pb::ReportReason::Scam
        );
        assert_eq!(reason_from_elsewhere("REASON_SPAM"), pb::ReportReason::Spam);
        assert_eq!(reason_from_elsewhere("rude"), pb::ReportReason::Other);
    }
}
