//! What a review may say, and the score listings are ranked by.

use estospaces_proto::review_v1 as pb;
use estospaces_status::{FieldViolation, violation};

/// The longest review text, in characters.
pub const MAX_TEXT: usize = 2_000;
/// The longest response or report details, in characters.
pub const MAX_RESPONSE: usize = 1_000;

/// The prior of the Bayesian score: every subject starts with this many imaginary reviews ...
pub const PRIOR_REVIEWS: f64 = 5.0;
/// ... of this rating.
pub const PRIOR_RATING: f64 = 3.5;

/// The Bayesian average of `count` reviews averaging `average`: few reviews weigh less than
/// many, so two 5-star reviews (3.93) do not beat two hundred of 4.8 (4.77). 0 without reviews.
pub fn score(count: i64, average: f64) -> f64 {
    if count <= 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // review counts are far below 2^53
    let count = count as f64;
    (PRIOR_REVIEWS * PRIOR_RATING + count * average) / (PRIOR_REVIEWS + count)
}

/// Who wrote about whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A guest about a stay: the listing and its host.
    Guest,
    /// A host about a guest.
    Host,
    /// A buyer or tenant about an agent or landlord.
    Agent,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Host => "host",
            Self::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "guest" => Some(Self::Guest),
            "host" => Some(Self::Host),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }

    pub fn proto(self) -> pb::review::Kind {
        match self {
            Self::Guest => pb::review::Kind::Guest,
            Self::Host => pb::review::Kind::Host,
            Self::Agent => pb::review::Kind::Agent,
        }
    }
}

/// Where a review is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Published,
    Hidden,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Published => "published",
            Self::Hidden => "hidden",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "published" => Some(Self::Published),
            "hidden" => Some(Self::Hidden),
            _ => None,
        }
    }

    pub fn proto(self) -> pb::review::State {
        match self {
            Self::Pending => pb::review::State::Pending,
            Self::Published => pb::review::State::Published,
            Self::Hidden => pb::review::State::Hidden,
        }
    }
}

/// Category ratings in a fixed order: cleanliness, accuracy, communication, location,
/// check-in, value. 0 means not rated.
pub type Categories = [i64; 6];

/// The names of [`Categories`]' entries, as in the proto.
pub const CATEGORY_NAMES: [&str; 6] = [
    "cleanliness",
    "accuracy",
    "communication",
    "location",
    "check_in",
    "value",
];

pub fn categories_of(ratings: Option<&pb::CategoryRatings>) -> Categories {
    ratings.map_or([0; 6], |r| {
        [
            r.cleanliness,
            r.accuracy,
            r.communication,
            r.location,
            r.check_in,
            r.value,
        ]
        .map(i64::from)
    })
}

pub fn category_ratings(categories: &Categories) -> pb::CategoryRatings {
    let [
        cleanliness,
        accuracy,
        communication,
        location,
        check_in,
        value,
    ] = categories.map(|c| i32::try_from(c).unwrap_or_default());
    pb::CategoryRatings {
        cleanliness,
        accuracy,
        communication,
        location,
        check_in,
        value,
    }
}

/// What a review says, checked: the overall rating, the categories and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub rating: i64,
    pub categories: Categories,
    pub text: String,
}

/// Checks a review's rating, category ratings and text; `kind` says whether categories are
/// allowed (guests rate a stay's aspects; nobody else does).
pub fn check_draft(
    prefix: &str,
    rating: i32,
    categories: Option<&pb::CategoryRatings>,
    text: &str,
    kind: Kind,
) -> Result<Draft, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    if !(1..=5).contains(&rating) {
        violations.push(violation(format!("{prefix}rating"), "must be 1 to 5 stars"));
    }
    let categories_given = categories_of(categories);
    for (name, value) in CATEGORY_NAMES.iter().zip(categories_given) {
        if !(0..=5).contains(&value) {
            violations.push(violation(
                format!("{prefix}category_ratings.{name}"),
                "must be 1 to 5 stars, or 0 for not rated",
            ));
        }
    }
    if kind != Kind::Guest && categories_given.iter().any(|value| *value != 0) {
        violations.push(violation(
            format!("{prefix}category_ratings"),
            "only guests rate a stay's categories",
        ));
    }
    let text = text.trim();
    if text.is_empty() {
        violations.push(violation(format!("{prefix}text"), "required"));
    } else if text.chars().count() > MAX_TEXT {
        violations.push(violation(
            format!("{prefix}text"),
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    if violations.is_empty() {
        Ok(Draft {
            rating: i64::from(rating),
            categories: categories_given,
            text: text.to_owned(),
        })
    } else {
        Err(violations)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`);
/// `None` for a date that does not exist.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_five_star_reviews_score_below_two_hundred_of_four_point_eight() {
        let few = score(2, 5.0);
        let many = score(200, 4.8);
        assert!((few - 3.928_571).abs() < 1e-5, "{few}");
        assert!((many - 4.768_293).abs() < 1e-5, "{many}");
        assert!(many > few);
        assert!(score(0, 0.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_rating_outside_one_to_five_and_categories_from_a_host_are_refused() {
        let err = check_draft("review.", 6, None, "Fine", Kind::Guest).expect_err("rating 6");
        assert_eq!(err[0].field, "review.rating");
        let categories = pb::CategoryRatings {
            cleanliness: 4,
            ..Default::default()
        };
        let err = check_draft("review.", 4, Some(&categories), "Fine", Kind::Host)
            .expect_err("host categories");
        assert_eq!(err[0].field, "review.category_ratings");
        let err = check_draft("review.", 4, None, "   ", Kind::Host).expect_err("blank text");
        assert_eq!(err[0].field, "review.text");
    }

    #[test]
    fn days_from_civil_counts_from_the_unix_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
    }
}
