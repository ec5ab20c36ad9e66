//! The `estospaces.review.v1.ReviewService` handlers.
//!
//! Every handler first decides who may call it. A review that is not published is its
//! author's (and, once hidden, moderators' and admins') alone; everyone else is told
//! PERMISSION_DENIED with a reason saying why, before anything else about it.

use std::time::{Duration, SystemTime};

use estospaces_auth::policy::{self, Caller};
use estospaces_proto::review_v1 as pb;
use estospaces_status::{ApiError, violation};
use estospaces_storage::unix_micros;
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::DOMAIN;
use crate::domain::{self, Kind, State};
use crate::store::{Created, Cursor, ReviewRecord, ReviewStore, ReviewsOf, StayState};

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct ReviewHandlers {
    store: ReviewStore,
    window: Duration,
}

impl ReviewHandlers {
    /// `window` is how long after check-out a stay may be reviewed.
    pub fn new(store: ReviewStore, window: Duration) -> Self {
        Self { store, window }
    }
}

pub(crate) fn db(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

pub(crate) fn invalid(field: &str, description: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, description)])
}

/// A lowercase UUID from its text, or `None`.
fn uuid_in(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

/// `reviews/{review}`.
fn review_name(field: &str, name: &str) -> Result<Uuid, ApiError> {
    name.strip_prefix("reviews/")
        .and_then(uuid_in)
        .ok_or_else(|| invalid(field, "must be a resource name like reviews/{review}"))
}

fn caller_id(caller: &Caller) -> Result<String, ApiError> {
    uuid_in(&caller.user_id)
        .map(|id| id.to_string())
        .ok_or_else(|| ApiError::permission_denied(DOMAIN, "user"))
}

fn denied(reason: &'static str, message: &str) -> ApiError {
    ApiError::new(Code::PermissionDenied, DOMAIN, reason, message)
}

/// The review `id` as `caller` may see it: published ones to anyone, pending ones to their
/// author, hidden ones to their author, moderators and admins.
async fn visible(
    store: &ReviewStore,
    caller: Option<&Caller>,
    id: Uuid,
) -> Result<ReviewRecord, ApiError> {
    let review = store
        .review(id)
        .await
        .map_err(db)?
        .ok_or_else(|| ApiError::not_found(DOMAIN, &format!("reviews/{id}")))?;
    let author = caller.is_some_and(|caller| caller.user_id == review.author);
    match review.state {
        State::Published => Ok(review),
        _ if author => Ok(review),
        State::Hidden if caller.is_some_and(Caller::is_staff) => Ok(review),
        State::Pending => Err(denied(
            "REVIEW_NOT_PUBLISHED",
            "the review waits for the other side or the end of the review window; only its author reads it",
        )),
        State::Hidden => Err(denied(
            "REVIEW_HIDDEN",
            "a moderator hid the review; only its author, moderators and admins read it",
        )),
    }
}

impl ReviewHandlers {
    async fn shown(
        &self,
        caller: Option<&Caller>,
        review: &ReviewRecord,
    ) -> Result<pb::Review, ApiError> {
        let voted = match caller {
            Some(caller) => !self
                .store
                .voted(&caller.user_id, &[review.id])
                .await
                .map_err(db)?
                .is_empty(),
            None => false,
        };
        Ok(review.proto(voted))
    }

    /// A stay review by `author`: who it is about and when its window closes.
    async fn stay_review(
        &self,
        author: &str,
        booking: &str,
        draft: &pb::Review,
    ) -> Result<ReviewRecord, ApiError> {
        let booking_id = booking
            .strip_prefix("bookings/")
            .and_then(uuid_in)
            .ok_or_else(|| {
                invalid(
                    "review.booking",
                    "must be a resource name like bookings/{booking}",
                )
            })?;
        let booking = format!("bookings/{booking_id}");
        let stay = self.store.stay(&booking).await.map_err(db)?;
        // Strangers learn nothing of the stay, not even that it exists.
        let Some(stay) = stay.filter(|stay| stay.guest == author || stay.host == author) else {
            return Err(denied(
                "NOT_YOUR_STAY",
                "only the stay's guest and host review it",
            ));
        };
        let kind = if stay.guest == author {
            Kind::Guest
        } else {
            Kind::Host
        };
        let checked = domain::check_draft(
            "review.",
            draft.rating,
            draft.category_ratings.as_ref(),
            &draft.text,
            kind,
        )
        .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        match stay.state {
            StayState::Completed => {}
            StayState::Cancelled => {
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "STAY_CANCELLED",
                    "the booking was cancelled: there is no stay to review",
                ));
            }
            StayState::Confirmed => {
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "STAY_NOT_COMPLETED",
                    "a stay is reviewed after check-out",
                ));
            }
        }
        let closes = stay.check_out + self.window;
        if SystemTime::now() >= closes {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "REVIEW_WINDOW_CLOSED",
                format!(
                    "stays are reviewed within {} days of check-out",
                    self.window.as_secs() / 86_400
                ),
            ));
        }
        let reviewee = if kind == Kind::Guest {
            &stay.host
        } else {
            &stay.guest
        };
        Ok(ReviewRecord::new(
            kind,
            booking.clone(),
            &booking,
            &stay.listing,
            author,
            reviewee,
            checked,
            Some(closes),
            "",
        ))
    }

    /// An agent review by `author` of the owner of `listing`, whom they asked about it.
    async fn agent_review(
        &self,
        author: &str,
        listing: &str,
        draft: &pb::Review,
    ) -> Result<ReviewRecord, ApiError> {
        let listing_id = listing
            .strip_prefix("properties/")
            .and_then(uuid_in)
            .ok_or_else(|| {
                invalid(
                    "review.listing",
                    "must be a resource name like properties/{property}",
                )
            })?;
        let listing = format!("properties/{listing_id}");
        let Some(owner) = self
            .store
            .contacted_owner(author, &listing)
            .await
            .map_err(db)?
        else {
            return Err(denied(
                "NO_CONTACT",
                "agents and landlords are reviewed by people who asked them about a sale or rental listing",
            ));
        };
        let checked = domain::check_draft(
            "review.",
            draft.rating,
            draft.category_ratings.as_ref(),
            &draft.text,
            Kind::Agent,
        )
        .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        Ok(ReviewRecord::new(
            Kind::Agent,
            format!("agents/{owner}"),
            "",
            &listing,
            author,
            &owner,
            checked,
            None,
            "",
        ))
    }
}

pub(crate) fn page_size(requested: i32) -> Result<i64, ApiError> {
    match i64::from(requested) {
        0 => Ok(20),
        n if n < 0 => Err(invalid("page_size", "must not be negative")),
        n => Ok(n.min(100)),
    }
}

/// A `{micros}.{id}` page token.
pub(crate) fn cursor(token: &str) -> Result<Option<Cursor>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, uuid_in(id)?.to_string())))
        .map(Some)
        .ok_or_else(|| invalid("page_token", "not a token this list returned"))
}

fn next_token(reviews: &mut Vec<ReviewRecord>, limit: i64, authored: bool) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if reviews.len() <= limit {
        return String::new();
    }
    reviews.truncate(limit);
    reviews.last().map_or_else(String::new, |last| {
        let at = if authored {
            last.created_at
        } else {
            last.published_at.unwrap_or(last.created_at)
        };
        format!("{}.{}", unix_micros(at), last.id)
    })
}

#[tonic::async_trait]
impl pb::review_service_server::ReviewService for ReviewHandlers {
    async fn create_review(
        &self,
        request: Request<pb::CreateReviewRequest>,
    ) -> Result<Response<pb::CreateReviewResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let author = caller_id(caller)?;
        let request_id = request.get_ref().request_id.clone();
        if request_id.chars().count() > 100 {
            return Err(invalid("request_id", "at most 100 characters").into());
        }
        let Some(draft) = request.get_ref().review.as_ref() else {
            return Err(invalid("review", "required").into());
        };
        let mut review = match (draft.booking.is_empty(), draft.listing.is_empty()) {
            (false, true) => self.stay_review(&author, &draft.booking, draft).await?,
            (true, false) => self.agent_review(&author, &draft.listing, draft).await?,
            _ => {
                return Err(ApiError::invalid_argument(
                    DOMAIN,
                    vec![
                        violation(
                            "review.booking",
                            "set the stay (bookings/{booking}) or the listing, not both",
                        ),
                        violation(
                            "review.listing",
                            "set the sale or rental listing (properties/{property}) or the stay",
                        ),
                    ],
                )
                .into());
            }
        };
        review.request_id = request_id;
        let written = match self.store.create(&review).await.map_err(db)? {
            Created::New(written) | Created::Repeated(written) => written,
            Created::Exists => {
                return Err(ApiError::already_exists(
                    DOMAIN,
                    "REVIEW_EXISTS",
                    "one review per stay and side, and one per agent: edit the one written while it is pending",
                )
                .into());
            }
        };
        Ok(Response::new(pb::CreateReviewResponse {
            review: Some(written.proto(false)),
        }))
    }

    async fn get_review(
        &self,
        request: Request<pb::GetReviewRequest>,
    ) -> Result<Response<pb::GetReviewResponse>, Status> {
        // Public for published reviews; `visible` decides the rest.
        let id = review_name("name", &request.get_ref().name)?;
        let caller = policy::caller(&request);
        let review = visible(&self.store, caller, id).await?;
        Ok(Response::new(pb::GetReviewResponse {
            review: Some(self.shown(caller, &review).await?),
        }))
    }

    async fn list_reviews(
        &self,
        request: Request<pb::ListReviewsRequest>,
    ) -> Result<Response<pb::ListReviewsResponse>, Status> {
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let after = cursor(&message.page_token)?;
        let caller = policy::caller(&request);
        let parent = message.parent.as_str();
        let (listing, user) = if let Some(id) = parent.strip_prefix("properties/") {
            (uuid_in(id).map(|id| format!("properties/{id}")), None)
        } else if let Some(id) = parent.strip_prefix("users/") {
            (None, uuid_in(id).map(|id| id.to_string()))
        } else {
            (None, None)
        };
        let of = match (&listing, &user, message.authored) {
            (Some(listing), None, false) => ReviewsOf::Listing(listing),
            (None, Some(user), false) => ReviewsOf::Reviewee(user),
            (None, Some(user), true) => {
                // Pending reviews are their author's alone.
                let caller = policy::authenticated(&request)?;
                if caller.user_id != *user {
                    return Err(ApiError::permission_denied(DOMAIN, "owner").into());
                }
                ReviewsOf::Author(user)
            }
            (Some(_), None, true) => {
                return Err(invalid(
                    "authored",
                    "lists a user's own reviews: parent users/{user}",
                )
                .into());
            }
            _ => {
                return Err(invalid(
                    "parent",
                    "must be a resource name like properties/{property} or users/{user}",
                )
                .into());
            }
        };
        let mut reviews = self
            .store
            .reviews(of, after.as_ref(), limit)
            .await
            .map_err(db)?;
        let next_page_token = next_token(&mut reviews, limit, message.authored);
        let voted = match caller {
            Some(caller) => {
                let ids: Vec<Uuid> = reviews.iter().map(|review| review.id).collect();
                self.store.voted(&caller.user_id, &ids).await.map_err(db)?
            }
            None => Vec::new(),
        };
        Ok(Response::new(pb::ListReviewsResponse {
            reviews: reviews
                .iter()
                .map(|review| review.proto(voted.contains(&review.id)))
                .collect(),
            next_page_token,
        }))
    }

    async fn update_review(
        &self,
        request: Request<pb::UpdateReviewRequest>,
    ) -> Result<Response<pb::UpdateReviewResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let Some(changes) = message.review.as_ref() else {
            return Err(invalid("review", "required").into());
        };
        let id = review_name("review.name", &changes.name)?;
        let current = self
            .store
            .review(id)
            .await
            .map_err(db)?
            .filter(|review| review.author == caller.user_id)
            .ok_or_else(|| ApiError::permission_denied(DOMAIN, "author"))?;
        let paths: Vec<&str> = message
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let all = paths.is_empty();
        if let Some(unknown) = paths
            .iter()
            .find(|path| !matches!(**path, "rating" | "category_ratings" | "text"))
        {
            return Err(invalid(
                "update_mask",
                format!("`{unknown}` cannot be changed; rating, category_ratings and text can"),
            )
            .into());
        }
        let has = |path: &str| all || paths.contains(&path);
        let old = &current.draft;
        let rating = if has("rating") {
            changes.rating
        } else {
            i32::try_from(old.rating).unwrap_or_default()
        };
        let categories = if has("category_ratings") {
            changes.category_ratings
        } else {
            Some(domain::category_ratings(&old.categories))
        };
        let text = if has("text") {
            &changes.text
        } else {
            &old.text
        };
        let draft = domain::check_draft("review.", rating, categories.as_ref(), text, current.kind)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        let updated = self
            .store
            .update(id, &draft)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                ApiError::failed_precondition(
                    DOMAIN,
                    "REVIEW_PUBLISHED",
                    "a review is edited only while it is pending",
                )
            })?;
        Ok(Response::new(pb::UpdateReviewResponse {
            review: Some(updated.proto(false)),
        }))
    }

    async fn respond_to_review(
        &self,
        request: Request<pb::RespondToReviewRequest>,
    ) -> Result<Response<pb::RespondToReviewResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = review_name("name", &message.name)?;
        let review = self
            .store
            .review(id)
            .await
            .map_err(db)?
            .filter(|review| review.reviewee == caller.user_id)
            .ok_or_else(|| ApiError::permission_denied(DOMAIN, "reviewee"))?;
        let text = message.text.trim();
        if text.is_empty() {
            return Err(invalid("text", "required").into());
        }
        if text.chars().count() > domain::MAX_RESPONSE {
            return Err(invalid("text", "at most 1000 characters").into());
        }
        if review.state != State::Published {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "REVIEW_NOT_PUBLISHED",
                "only a published review is answered",
            )
            .into());
        }
        let responded = self
            .store
            .respond(id, text)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                ApiError::already_exists(
                    DOMAIN,
                    "RESPONSE_EXISTS",
                    "a review has one response, and it is written",
                )
            })?;
        Ok(Response::new(pb::RespondToReviewResponse {
            review: Some(self.shown(Some(caller), &responded).await?),
        }))
    }

    async fn vote_review(
        &self,
        request: Request<pb::VoteReviewRequest>,
    ) -> Result<Response<pb::VoteReviewResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = review_name("name", &message.name)?;
        let review = visible(&self.store, Some(caller), id).await?;
        if review.author == caller.user_id {
            return Err(denied("OWN_REVIEW", "authors do not vote on their own reviews").into());
        }
        if review.state != State::Published {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "REVIEW_NOT_PUBLISHED",
                "only published reviews are voted on",
            )
            .into());
        }
        let voted = self
            .store
            .vote(id, &caller.user_id, message.helpful)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &message.name))?;
        Ok(Response::new(pb::VoteReviewResponse {
            review: Some(voted.proto(message.helpful)),
        }))
    }

    async fn report_review(
        &self,
        request: Request<pb::ReportReviewRequest>,
    ) -> Result<Response<pb::ReportReviewResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = review_name("name", &message.name)?;
        let review = visible(&self.store, Some(caller), id).await?;
        if review.author == caller.user_id {
            return Err(denied("OWN_REVIEW", "authors do not report their own reviews").into());
        }
        if review.state != State::Published {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "REVIEW_NOT_PUBLISHED",
                "only published reviews are reported",
            )
            .into());
        }
        let reason = match pb::report_review_request::Reason::try_from(message.reason) {
            Ok(pb::report_review_request::Reason::Unspecified) | Err(_) => {
                return Err(invalid("reason", "required: why the review is reported").into());
            }
            Ok(reason) => reason.as_str_name(),
        };
        if message.details.chars().count() > domain::MAX_RESPONSE {
            return Err(invalid("details", "at most 1000 characters").into());
        }
        self.store
            .report(id, &caller.user_id, reason, message.details.trim())
            .await
            .map_err(db)?;
        Ok(Response::new(pb::ReportReviewResponse {}))
    }

    async fn hide_review(
        &self,
        request: Request<pb::HideReviewRequest>,
    ) -> Result<Response<pb::HideReviewResponse>, Status> {
        let caller = policy::staff(&request)?;
        let message = request.get_ref();
        let id = review_name("name", &message.name)?;
        let reason = message.reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "required, for the audit trail").into());
        }
        if reason.chars().count() > domain::MAX_RESPONSE {
            return Err(invalid("reason", "at most 1000 characters").into());
        }
        let hidden = self.moderate(id, true, &caller.user_id, reason).await?;
        Ok(Response::new(pb::HideReviewResponse {
            review: Some(hidden.proto(false)),
        }))
    }

    async fn restore_review(
        &self,
        request: Request<pb::RestoreReviewRequest>,
    ) -> Result<Response<pb::RestoreReviewResponse>, Status> {
        let caller = policy::staff(&request)?;
        let id = review_name("name", &request.get_ref().name)?;
        let restored = self.moderate(id, false, &caller.user_id, "").await?;
        Ok(Response::new(pb::RestoreReviewResponse {
            review: Some(restored.proto(false)),
        }))
    }

    async fn get_rating_summary(
        &self,
        request: Request<pb::GetRatingSummaryRequest>,
    ) -> Result<Response<pb::GetRatingSummaryResponse>, Status> {
        // Public: listing pages and profiles show it to everyone.
        let name = &request.get_ref().name;
        let subject = name
            .strip_suffix("/ratingSummary")
            .and_then(|subject| {
                let (collection, id) = subject.split_once('/')?;
                let id = uuid_in(id)?;
                matches!(collection, "properties" | "users").then(|| format!("{collection}/{id}"))
            })
            .ok_or_else(|| {
                invalid(
                    "name",
                    "must be properties/{property}/ratingSummary or users/{user}/ratingSummary",
                )
            })?;
        let summary = self
            .store
            .summary(&subject)
            .await
            .map_err(db)?
            .unwrap_or_else(|| crate::store::SummaryRecord::empty(&subject));
        Ok(Response::new(pb::GetRatingSummaryResponse {
            rating_summary: Some(summary.proto()),
        }))
    }
}

impl ReviewHandlers {
    async fn moderate(
        &self,
        id: Uuid,
        hide: bool,
        moderator: &str,
        reason: &str,
    ) -> Result<ReviewRecord, ApiError> {
        if let Some(changed) = self
            .store
            .moderate(id, hide, moderator, reason)
            .await
            .map_err(db)?
        {
            return Ok(changed);
        }
        let current = self
            .store
            .review(id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &format!("reviews/{id}")))?;
        let (reason, message) = if hide {
            match current.state {
                State::Hidden => ("REVIEW_HIDDEN", "the review is hidden already"),
                _ => ("REVIEW_NOT_PUBLISHED", "only a published review is hidden"),
            }
        } else {
            ("REVIEW_NOT_HIDDEN", "only a hidden review is restored")
        };
        Err(ApiError::failed_precondition(DOMAIN, reason, message))
    }
}
