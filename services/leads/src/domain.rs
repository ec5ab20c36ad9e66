//! The pipeline's stages, what an inquiry may say, and the lead score's rules.
//!
//! The score is a plain sum of rule points, capped at 100, and every rule says in words what
//! it saw: an agent must be able to tell why one lead is above another.

use estospaces_proto::leads_v1 as pb;
use estospaces_status::{FieldViolation, violation};

use pb::lead::{LostReason, Source, Stage};

/// Where a lead is in the pipeline, as stored.
pub fn stage_str(stage: Stage) -> &'static str {
    match stage {
        Stage::Unspecified | Stage::New => "new",
        Stage::Contacted => "contacted",
        Stage::ViewingScheduled => "viewing_scheduled",
        Stage::Offer => "offer",
        Stage::Won => "won",
        Stage::Lost => "lost",
    }
}

pub fn parse_stage(text: &str) -> Stage {
    match text {
        "contacted" => Stage::Contacted,
        "viewing_scheduled" => Stage::ViewingScheduled,
        "offer" => Stage::Offer,
        "won" => Stage::Won,
        "lost" => Stage::Lost,
        _ => Stage::New,
    }
}

/// Won and lost leads are closed: no viewings are booked for them.
pub fn is_closed(stage: Stage) -> bool {
    matches!(stage, Stage::Won | Stage::Lost)
}

pub fn lost_reason_str(reason: LostReason) -> &'static str {
    match reason {
        LostReason::Unspecified => "",
        LostReason::WentElsewhere => "went_elsewhere",
        LostReason::Budget => "budget",
        LostReason::Unresponsive => "unresponsive",
        LostReason::ListingGone => "listing_gone",
        LostReason::NotGenuine => "not_genuine",
        LostReason::Other => "other",
    }
}

pub fn parse_lost_reason(text: &str) -> LostReason {
    match text {
        "went_elsewhere" => LostReason::WentElsewhere,
        "budget" => LostReason::Budget,
        "unresponsive" => LostReason::Unresponsive,
        "listing_gone" => LostReason::ListingGone,
        "not_genuine" => LostReason::NotGenuine,
        "other" => LostReason::Other,
        _ => LostReason::Unspecified,
    }
}

pub fn financing_str(financing: pb::Financing) -> &'static str {
    match financing {
        pb::Financing::Unspecified => "",
        pb::Financing::Cash => "cash",
        pb::Financing::MortgageApproved => "mortgage_approved",
        pb::Financing::MortgageNeeded => "mortgage_needed",
    }
}

pub fn parse_financing(text: &str) -> pb::Financing {
    match text {
        "cash" => pb::Financing::Cash,
        "mortgage_approved" => pb::Financing::MortgageApproved,
        "mortgage_needed" => pb::Financing::MortgageNeeded,
        _ => pb::Financing::Unspecified,
    }
}

pub fn source_str(source: Source) -> &'static str {
    match source {
        Source::Unspecified | Source::Form => "form",
        Source::Messaging => "messaging",
    }
}

pub fn parse_source(text: &str) -> Source {
    match text {
        "messaging" => Source::Messaging,
        _ => Source::Form,
    }
}

/// What a listing is, for leads: only sales and long-term rentals have them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    Sale,
    Rental,
}

impl ListingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::Rental => "rental",
        }
    }

    pub fn parse(text: &str) -> Self {
        if text == "rental" {
            Self::Rental
        } else {
            Self::Sale
        }
    }

    /// What the budget is compared with, in words.
    fn price_words(self) -> &'static str {
        match self {
            Self::Sale => "the asking price",
            Self::Rental => "the monthly rent",
        }
    }
}

/// The longest inquiry message, note and lost note.
pub const MAX_MESSAGE_CHARS: usize = 4000;
pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_LOST_NOTE_CHARS: usize = 1000;
pub const MAX_TASK_TITLE_CHARS: usize = 200;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_PHONE_CHARS: usize = 32;
const MAX_EMAIL_CHARS: usize = 254;

/// Who an inquiry is from, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The signed-in user's id; empty for an anonymous form.
    pub user_id: String,
    pub display_name: String,
    /// Lower-cased.
    pub email: String,
    pub phone: String,
}

impl Person {
    /// The key one person's inquiries about one listing share: their account, else their
    /// email address.
    pub fn key(&self) -> String {
        if self.user_id.is_empty() {
            format!("email:{}", self.email)
        } else {
            format!("user:{}", self.user_id)
        }
    }
}

/// Length in characters, as limits are stated.
pub(crate) fn chars(text: &str) -> usize {
    text.chars().count()
}

/// A plausible email address: one `@` with text either side, no spaces or controls. Delivery
/// is the real check; this only keeps garbage out of agents' lists.
fn plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Checks an inquiry's contact and message. `caller` is the signed-in user's id, if any:
/// anonymous inquirers must give a name and an email address.
pub fn check_inquiry(
    caller: Option<&str>,
    contact: Option<&pb::Contact>,
    message: &str,
    budget: i64,
) -> Result<Person, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let empty = pb::Contact::default();
    let contact = contact.unwrap_or(&empty);
    let display_name = contact.display_name.trim().to_owned();
    let email = contact.email.trim().to_lowercase();
    let phone = contact.phone.trim().to_owned();
    match caller {
        Some(user_id) => {
            let own = format!("users/{user_id}");
            if !contact.user.is_empty() && contact.user != own {
                violations.push(violation(
                    "contact.user",
                    "is the caller; leave it empty or give your own users/{user}",
                ));
            }
        }
        None => {
            if !contact.user.is_empty() {
                violations.push(violation(
                    "contact.user",
                    "only signed-in callers ask as a user; sign in or leave it empty",
                ));
            }
            if display_name.is_empty() {
                violations.push(violation(
                    "contact.display_name",
                    "is required when not signed in",
                ));
            }
            if email.is_empty() {
                violations.push(violation("contact.email", "is required when not signed in"));
            }
        }
    }
    if chars(&display_name) > MAX_NAME_CHARS || display_name.chars().any(char::is_control) {
        violations.push(violation(
            "contact.display_name",
            format!("must be at most {MAX_NAME_CHARS} characters, without control characters"),
        ));
    }
    if !email.is_empty() && (email.len() > MAX_EMAIL_CHARS || !plausible_email(&email)) {
        violations.push(violation(
            "contact.email",
            "must be an email address like name@example.com",
        ));
    }
    if chars(&phone) > MAX_PHONE_CHARS
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        violations.push(violation(
            "contact.phone",
            format!("must be at most {MAX_PHONE_CHARS} digits, spaces and + - ( ) ."),
        ));
    }
    let message = message.trim();
    if message.is_empty() || chars(message) > MAX_MESSAGE_CHARS {
        violations.push(violation(
            "message",
            format!("must be 1 to {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    if budget < 0 {
        violations.push(violation("budget", "must not be negative"));
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(Person {
        user_id: caller.unwrap_or_default().to_owned(),
        display_name,
        email,
        phone,
    })
}

/// What a lead's score is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreInputs {
    pub kind: Option<ListingKind>,
    /// The asking price or monthly rent; 0 if unknown.
    pub price: i64,
    pub budget: i64,
    pub financing: String,
    pub inquiry_count: i64,
    /// A saved search of the person matches the listing.
    pub saved_search: bool,
    /// The person saved the listing to a wishlist.
    pub favorite: bool,
}

/// A lead's score and its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub total: i32,
    pub factors: Vec<pb::ScoreFactor>,
}

fn factor(name: &str, points: i32, max_points: i32, explanation: String) -> pb::ScoreFactor {
    pb::ScoreFactor {
        factor: name.to_owned(),
        points,
        max_points,
        explanation,
    }
}

/// The score's rules. Their maxima add up to 100.
pub fn score(inputs: &ScoreInputs) -> Score {
    let price_words = inputs.kind.unwrap_or(ListingKind::Sale).price_words();
    let budget = if inputs.budget <= 0 {
        factor("budget", 0, 30, "no budget stated".to_owned())
    } else if inputs.price <= 0 {
        factor(
            "budget",
            0,
            30,
            format!("a budget is stated, but the listing shows no {price_words} to compare"),
        )
    } else {
        // In whole percent, rounded down; i128 so no budget overflows.
        let percent = i128::from(inputs.budget) * 100 / i128::from(inputs.price);
        let points = match percent {
            100.. => 30,
            90..=99 => 20,
            75..=89 => 10,
            _ => 0,
        };
        let explanation = if percent >= 100 {
            format!("budget covers {price_words}")
        } else {
            format!("budget covers {percent}% of {price_words}")
        };
        factor("budget", points, 30, explanation)
    };
    let financing = match parse_financing(&inputs.financing) {
        pb::Financing::Cash => factor("financing", 20, 20, "pays cash".to_owned()),
        pb::Financing::MortgageApproved => factor(
            "financing",
            20,
            20,
            "mortgage agreed in principle".to_owned(),
        ),
        pb::Financing::MortgageNeeded => factor(
            "financing",
            5,
            20,
            "will need a mortgage, not yet agreed".to_owned(),
        ),
        pb::Financing::Unspecified => factor("financing", 0, 20, "financing not stated".to_owned()),
    };
    let again = (inputs.inquiry_count - 1).clamp(0, 3);
    let repeat = factor(
        "repeat_inquiries",
        i32::try_from(again * 5).unwrap_or(15),
        15,
        match inputs.inquiry_count {
            ..=1 => "asked once".to_owned(),
            n => format!("asked {n} times"),
        },
    );
    let saved_search = if inputs.saved_search {
        factor(
            "saved_search",
            20,
            20,
            "a saved search of theirs matches this listing".to_owned(),
        )
    } else {
        factor(
            "saved_search",
            0,
            20,
            "no saved search of theirs matches this listing".to_owned(),
        )
    };
    let favorite = if inputs.favorite {
        factor(
            "favorite",
            15,
            15,
            "saved this listing to a wishlist".to_owned(),
        )
    } else {
        factor("favorite", 0, 15, "has not saved this listing".to_owned())
    };
    let factors = vec![budget, financing, repeat, saved_search, favorite];
    let total = factors.iter().map(|f| f.points).sum::<i32>().min(100);
    Score { total, factors }
}

/// How clients rate an agent (or a team of agents): how many published reviews, and their
/// average (1 to 5; 0 without reviews).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rating {
    pub review_count: i64,
    pub average_rating: f64,
}

impl Rating {
    /// The ratings of several agents as one: every review counts once, so the average is
    /// weighted by each agent's review count.
    pub fn combined(ratings: impl IntoIterator<Item = Rating>) -> Rating {
        let (count, total) = ratings
            .into_iter()
            .filter(|rating| rating.review_count > 0)
            .fold((0_i64, 0.0_f64), |(count, total), rating| {
                (
                    count.saturating_add(rating.review_count),
                    total + rating.average_rating * rating.review_count as f64,
                )
            });
        Rating {
            review_count: count,
            average_rating: if count > 0 { total / count as f64 } else { 0.0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> ScoreInputs {
        ScoreInputs {
            kind: Some(ListingKind::Sale),
            price: 30_000_000,
            inquiry_count: 1,
            ..ScoreInputs::default()
        }
    }

    #[test]
    fn the_rules_maxima_add_up_to_one_hundred() {
        let max: i32 = score(&inputs()).factors.iter().map(|f| f.max_points).sum();
        assert_eq!(max, 100);
    }

    #[test]
    fn a_bare_inquiry_scores_nothing_and_says_why() {
        let scored = score(&inputs());
        assert_eq!(scored.total, 0);
        assert_eq!(scored.factors[0].explanation, "no budget stated");
        assert_eq!(scored.factors[1].explanation, "financing not stated");
    }

    #[test]
    fn a_cash_buyer_covering_the_price_who_asked_twice_scores_the_sum_of_the_rules() {
        let scored = score(&ScoreInputs {
            budget: 31_000_000,
            financing: "cash".to_owned(),
            inquiry_count: 2,
            ..inputs()
        });
        assert_eq!(scored.total, 30 + 20 + 5);
        assert_eq!(
            scored.factors[0].explanation,
            "budget covers the asking price"
        );
        assert_eq!(scored.factors[2].explanation, "asked 2 times");
    }

    #[test]
    fn a_budget_below_the_price_gets_points_by_how_close_it_is() {
        let at = |budget| score(&ScoreInputs { budget, ..inputs() }).factors[0].clone();
        assert_eq!(at(28_500_000).points, 20);
        assert_eq!(
            at(28_500_000).explanation,
            "budget covers 95% of the asking price"
        );
        assert_eq!(at(24_000_000).points, 10);
        assert_eq!(at(10_000_000).points, 0);
    }

    #[test]
    fn a_rental_budget_is_compared_with_the_monthly_rent() {
        let scored = score(&ScoreInputs {
            kind: Some(ListingKind::Rental),
            price: 150_000,
            budget: 120_000,
            ..inputs()
        });
        assert_eq!(
            scored.factors[0].explanation,
            "budget covers 80% of the monthly rent"
        );
    }

    #[test]
    fn saved_searches_and_favorites_raise_the_score() {
        let scored = score(&ScoreInputs {
            saved_search: true,
            favorite: true,
            ..inputs()
        });
        assert_eq!(scored.total, 35);
    }

    #[test]
    fn a_huge_budget_does_not_overflow() {
        let scored = score(&ScoreInputs {
            budget: i64::MAX,
            price: 1,
            ..inputs()
        });
        assert_eq!(scored.factors[0].points, 30);
    }

    #[test]
    fn an_anonymous_inquiry_needs_a_name_and_an_email_address() {
        let err = check_inquiry(None, None, "Is it still available?", 0).expect_err("refused");
        let fields: Vec<_> = err.iter().map(|v| v.field.clone()).collect();
        assert_eq!(fields, ["contact.display_name", "contact.email"]);
    }

    #[test]
    fn the_same_person_is_known_by_account_else_by_email() {
        let contact = pb::Contact {
            display_name: "Ana".to_owned(),
            email: " Ana@Example.COM ".to_owned(),
            ..pb::Contact::default()
        };
        let anonymous = check_inquiry(None, Some(&contact), "Hello", 0).expect("accepted");
        assert_eq!(anonymous.key(), "email:ana@example.com");
        let signed_in = check_inquiry(Some("u1"), Some(&contact), "Hello", 0).expect("accepted");
        assert_eq!(signed_in.key(), "user:u1");
    }

    #[test]
    fn hostile_contact_details_are_refused() {
        let contact = pb::Contact {
            display_name: "x\u{0}".to_owned(),
            email: "not an email".to_owned(),
            phone: "<script>".to_owned(),
            user: String::new(),
        };
        let err = check_inquiry(None, Some(&contact), "", -1).expect_err("refused");
        assert_eq!(err.len(), 5);
    }

    #[test]
    fn agents_ratings_combine_weighted_by_their_review_counts() {
        let combined = Rating::combined([
            Rating {
                review_count: 3,
                average_rating: 5.0,
            },
            Rating {
                review_count: 1,
                average_rating: 1.0,
            },
            Rating {
                review_count: 0,
                average_rating: 0.0,
            },
        ]);
        assert_eq!(combined.review_count, 4);
        assert!((combined.average_rating - 4.0).abs() < 1e-9, "{combined:?}");
        assert_eq!(Rating::combined([]), Rating::default());
    }
}
