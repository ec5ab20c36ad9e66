//! The automatic checks: rules are data (admins edit them through the API); a check adds up the
//! weights of the rules that fire on a text and its author's recent activity.

use std::time::Duration;

use estospaces_proto::moderation_v1 as pb;
use sha2::{Digest, Sha256};

/// What a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    BannedWords,
    Links,
    ContactDetails,
    DuplicateText,
    Velocity,
    NewAccount,
}

impl RuleKind {
    const ALL: [(Self, &'static str, pb::rule::Kind); 6] = [
        (
            Self::BannedWords,
            "banned_words",
            pb::rule::Kind::BannedWords,
        ),
        (Self::Links, "links", pb::rule::Kind::Links),
        (
            Self::ContactDetails,
            "contact_details",
            pb::rule::Kind::ContactDetails,
        ),
        (
            Self::DuplicateText,
            "duplicate_text",
            pb::rule::Kind::DuplicateText,
        ),
        (Self::Velocity, "velocity", pb::rule::Kind::Velocity),
        (Self::NewAccount, "new_account", pb::rule::Kind::NewAccount),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or("", |(_, n, _)| n)
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == text)
            .map(|(k, ..)| *k)
    }

    pub fn proto(self) -> pb::rule::Kind {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or(pb::rule::Kind::Unspecified, |(.., p)| *p)
    }

    pub fn from_proto(kind: pb::rule::Kind) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(.., p)| *p == kind)
            .map(|(k, ..)| *k)
    }

    /// Whether the rule needs a `window`.
    pub fn needs_window(self) -> bool {
        matches!(
            self,
            Self::DuplicateText | Self::Velocity | Self::NewAccount
        )
    }
}

/// Kinds of content the checks score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Listing,
    Review,
}

impl ContentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listing => "listing",
            Self::Review => "review",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "listing" => Some(Self::Listing),
            "review" => Some(Self::Review),
            _ => None,
        }
    }

    pub fn proto(self) -> pb::ContentKind {
        match self {
            Self::Listing => pb::ContentKind::Listing,
            Self::Review => pb::ContentKind::Review,
        }
    }

    pub fn from_proto(kind: pb::ContentKind) -> Option<Self> {
        match kind {
            pb::ContentKind::Listing => Some(Self::Listing),
            pb::ContentKind::Review => Some(Self::Review),
            pb::ContentKind::Unspecified => None,
        }
    }
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub display_name: String,
    pub kind: RuleKind,
    pub weight: i64,
    /// Empty: every kind.
    pub content_kinds: Vec<ContentKind>,
    /// Lower-case words or phrases.
    pub words: Vec<String>,
    pub locale: String,
    pub window: Duration,
    pub limit: i64,
    pub enabled: bool,
}

impl Rule {
    fn applies_to(&self, kind: ContentKind, locale: &str) -> bool {
        self.enabled
            && (self.content_kinds.is_empty() || self.content_kinds.contains(&kind))
            && (self.locale.is_empty()
                || locale.is_empty()
                || primary_language(&self.locale) == primary_language(locale))
    }
}

fn primary_language(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// What a check knows of the content and its author, beyond the text.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Whether another account wrote the same text within each duplicate rule's window: the
    /// caller asks the store per window, so this maps a rule id to the answer.
    pub duplicated_by_rule: Vec<(String, bool)>,
    /// How many items of this kind the author wrote within each velocity rule's window.
    pub recent_count_by_rule: Vec<(String, i64)>,
    /// How old the author's account is, if known.
    pub account_age: Option<Duration>,
}

/// The verdict on one text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub score: i64,
    /// Rule ids, in rule order.
    pub fired: Vec<String>,
}

/// The rules that fire on `text` of `kind` in `locale`, and the score they add up to.
pub fn check(
    rules: &[Rule],
    kind: ContentKind,
    locale: &str,
    text: &str,
    signals: &Signals,
) -> Verdict {
    let lower = text.to_lowercase();
    let words = normalized_words(text);
    let mut verdict = Verdict::default();
    for rule in rules.iter().filter(|rule| rule.applies_to(kind, locale)) {
        let fired = match rule.kind {
            RuleKind::BannedWords => rule
                .words
                .iter()
                .any(|phrase| contains_phrase(&words, phrase)),
            RuleKind::Links => has_link(&lower),
            RuleKind::ContactDetails => has_email(&lower) || has_phone_number(text),
            RuleKind::DuplicateText => signals
                .duplicated_by_rule
                .iter()
                .any(|(id, dup)| *id == rule.id && *dup),
            RuleKind::Velocity => signals
                .recent_count_by_rule
                .iter()
                .any(|(id, count)| *id == rule.id && *count > rule.limit),
            RuleKind::NewAccount => signals.account_age.is_some_and(|age| age < rule.window),
        };
        if fired {
            verdict.score += rule.weight;
            verdict.fired.push(rule.id.clone());
        }
    }
    verdict
}

/// The text's words, lower-case, without punctuation.
fn normalized_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the words of `phrase` appear in `words` one after the other.
fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let phrase = normalized_words(phrase);
    !phrase.is_empty() && words.windows(phrase.len()).any(|window| window == phrase)
}

fn has_link(lower: &str) -> bool {
    lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
}

fn has_email(lower: &str) -> bool {
    lower.split_whitespace().any(|token| {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        token.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
        })
    })
}

/// Nine or more digits in a run that only spaces, dashes, dots, brackets and a leading plus
/// interrupt: phone numbers in most countries' ways of writing them.
fn has_phone_number(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 9 {
                return true;
            }
        } else if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/') {
            digits = 0;
        }
    }
    false
}

/// The hash of a text with case, punctuation and spacing removed: what "the same text" means.
pub fn text_hash(text: &str) -> String {
    let normalized = normalized_words(text).join(" ");
    let digest = Sha256::digest(normalized.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, kind: RuleKind, weight: i64) -> Rule {
        Rule {
            id: id.to_owned(),
            display_name: id.to_owned(),
            kind,
            weight,
            content_kinds: Vec::new(),
            words: Vec::new(),
            locale: String::new(),
            window: Duration::from_secs(3600),
            limit: 3,
            enabled: true,
        }
    }

    #[test]
    fn links_and_contact_details_add_their_weights() {
        let rules = [
            rule("links", RuleKind::Links, 30),
            rule("contact", RuleKind::ContactDetails, 40),
        ];
        let signals = Signals::default();
        let verdict = check(
            &rules,
            ContentKind::Listing,
            "en",
            "Lovely flat, see www.example.com or mail me: ann@example.com",
            &signals,
        );
        assert_eq!(verdict.score, 70);
        assert_eq!(verdict.fired, ["links", "contact"]);
        let phone = check(
            &rules,
            ContentKind::Review,
            "",
            "Call +44 20 7946 0958 for the keys",
            &signals,
        );
        assert_eq!(phone.fired, ["contact"]);
        let clean = check(
            &rules,
            ContentKind::Listing,
            "en",
            "Two bedrooms, 3 minutes from the station, sleeps 4.",
            &signals,
        );
        assert_eq!(clean, Verdict::default());
    }

    #[test]
    fn banned_phrases_match_whole_words_in_their_language_only() {
        let mut banned = rule("banned", RuleKind::BannedWords, 60);
        banned.words = vec!["wire transfer".to_owned()];
        banned.locale = "en".to_owned();
        let rules = [banned];
        let signals = Signals::default();
        let hit = |text: &str, locale: &str| {
            !check(&rules, ContentKind::Listing, locale, text, &signals)
                .fired
                .is_empty()
        };
        assert!(hit("Deposit by WIRE-transfer only!", "en-GB"));
        assert!(!hit("A wired transfer hub", "en"));
        assert!(!hit("Deposit by wire transfer", "fr"));
        assert!(hit("Deposit by wire transfer", ""));
    }

    #[test]
    fn signals_fire_velocity_duplicate_and_new_account_rules() {
        let rules = [
            rule("dup", RuleKind::DuplicateText, 25),
            rule("velocity", RuleKind::Velocity, 15),
            rule("new", RuleKind::NewAccount, 5),
        ];
        let signals = Signals {
            duplicated_by_rule: vec![("dup".to_owned(), true)],
            recent_count_by_rule: vec![("velocity".to_owned(), 4)],
            account_age: Some(Duration::from_secs(60)),
        };
        let verdict = check(&rules, ContentKind::Review, "en", "text", &signals);
        assert_eq!(verdict.score, 45);
        let calm = Signals {
            duplicated_by_rule: vec![("dup".to_owned(), false)],
            recent_count_by_rule: vec![("velocity".to_owned(), 3)],
            account_age: Some(Duration::from_secs(7200)),
        };
        assert_eq!(
            check(&rules, ContentKind::Review, "en", "text", &calm),
            Verdict::default()
        );
    }

    #[test]
    fn disabled_rules_and_rules_for_other_content_do_not_fire() {
        let mut off = rule("off", RuleKind::Links, 30);
        off.enabled = false;
        let mut reviews_only = rule("reviews", RuleKind::Links, 30);
        reviews_only.content_kinds = vec![ContentKind::Review];
        let verdict = check(
            &[off, reviews_only],
            ContentKind::Listing,
            "en",
            "https://example.com",
            &Signals::default(),
        );
        assert_eq!(verdict, Verdict::default());
    }

    #[test]
    fn the_same_text_hashes_the_same_whatever_its_case_and_punctuation() {
        assert_eq!(text_hash("Hello,  World!"), text_hash("hello world"));
        assert_ne!(text_hash("hello world"), text_hash("hello there"));
    }
}
