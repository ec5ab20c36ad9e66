//! The one place where a service error becomes a `google.rpc.Status`.
//!
//! Services keep their own domain error enums and convert them into [`ApiError`]; the conversion
//! into [`tonic::Status`] happens here, once, so every service answers alike:
//! - the gRPC code follows AIP-193;
//! - an `ErrorInfo` detail carries a stable UPPER_SNAKE `reason`, the service's `domain` and
//!   string `metadata`, so clients branch on data rather than on message text;
//! - invalid input carries a `BadRequest` detail naming each offending field path;
//! - throttling carries a `RetryInfo` detail;
//! - an internal cause is logged with its chain and never sent to the caller.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

pub use tonic_types::FieldViolation;

/// An error on its way to a gRPC caller. Boxed, so `Result<T, ApiError>` stays small.
#[derive(Debug)]
pub struct ApiError(Box<Details>);

#[derive(Debug)]
struct Details {
    code: Code,
    reason: &'static str,
    domain: &'static str,
    message: String,
    metadata: HashMap<String, String>,
    field_violations: Vec<FieldViolation>,
    retry_delay: Option<Duration>,
    /// Logged, never returned.
    cause: Option<anyhow::Error>,
}

impl ApiError {
    /// An error with an explicit code; prefer the named constructors.
    pub fn new(
        code: Code,
        domain: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        debug_assert!(
            reason
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "reasons are UPPER_SNAKE_CASE: {reason}"
        );
        Self(Box::new(Details {
            code,
            reason,
            domain,
            message: message.into(),
            metadata: HashMap::new(),
            field_violations: Vec::new(),
            retry_delay: None,
            cause: None,
        }))
    }

    /// The request is malformed; `violations` name each bad field by its path (`address.lat`).
    pub fn invalid_argument(domain: &'static str, violations: Vec<FieldViolation>) -> Self {
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        let message = format!("invalid request: check {}", fields.join(", "));
        let mut err = Self::new(Code::InvalidArgument, domain, "INVALID_ARGUMENT", message);
        err.0.field_violations = violations;
        err
    }

    /// The caller did not prove who they are, or their token is no longer valid.
    pub fn unauthenticated(domain: &'static str, reason: &'static str) -> Self {
        Self::new(
            Code::Unauthenticated,
            domain,
            reason,
            "the request needs a valid access token",
        )
    }

    /// The caller is known but may not do this. Checked before existence (AIP-211), so it says
    /// nothing about whether the resource exists.
    pub fn permission_denied(domain: &'static str, permission: &str) -> Self {
        Self::new(
            Code::PermissionDenied,
            domain,
            "PERMISSION_DENIED",
            format!("the caller lacks permission `{permission}`"),
        )
        .with_metadata("permission", permission)
    }

    /// The named resource does not exist (or the caller may not know it exists).
    pub fn not_found(domain: &'static str, resource_name: &str) -> Self {
        Self::new(
            Code::NotFound,
            domain,
            "RESOURCE_NOT_FOUND",
            format!("`{resource_name}` was not found"),
        )
        .with_metadata("resource", resource_name)
    }

    /// A resource with the same identity already exists.
    pub fn already_exists(
        domain: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Code::AlreadyExists, domain, reason, message)
    }

    /// The system is not in the state the operation needs (publishing an incomplete listing).
    pub fn failed_precondition(
        domain: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Code::FailedPrecondition, domain, reason, message)
    }

    /// A concurrent change won (a stale etag); the caller should read again and retry.
    pub fn aborted(domain: &'static str, reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::Aborted, domain, reason, message)
    }

    /// The caller is throttled; it may try again after `retry_after`.
    pub fn resource_exhausted(
        domain: &'static str,
        reason: &'static str,
        retry_after: Duration,
    ) -> Self {
        let mut err = Self::new(
            Code::ResourceExhausted,
            domain,
            reason,
            "too many requests; retry later",
        );
        err.0.retry_delay = Some(retry_after);
        err
    }

    /// A dependency is down; the caller may retry.
    pub fn unavailable(domain: &'static str, cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            Code::Unavailable,
            domain,
            "UNAVAILABLE",
            "the service is temporarily unavailable",
        );
        err.0.cause = Some(cause.into());
        err
    }

    /// A bug or an unexpected failure. The cause is logged; the caller only learns that it
    /// happened.
    pub fn internal(domain: &'static str, cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(Code::Internal, domain, "INTERNAL", "internal error");
        err.0.cause = Some(cause.into());
        err
    }

    /// Adds a key to the `ErrorInfo` metadata.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.metadata.insert(key.into(), value.into());
        self
    }

    /// Adds field violations (for FAILED_PRECONDITION naming missing fields, say).
    pub fn with_field_violations(mut self, violations: Vec<FieldViolation>) -> Self {
        self.0.field_violations.extend(violations);
        self
    }

    /// The gRPC code this error is sent with.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// The `ErrorInfo` reason this error is sent with.
    pub fn reason(&self) -> &'static str {
        self.0.reason
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let err = &self.0;
        write!(f, "{} ({}): {}", err.reason, err.code, err.message)?;
        if let Some(cause) = &err.cause {
            write!(f, ": {cause:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Status {
    fn from(ApiError(err): ApiError) -> Self {
        if let Some(cause) = &err.cause {
            // `{:#}` prints the whole chain: the operator sees why, the caller does not.
            tracing::error!(code = ?err.code, reason = err.reason, "{cause:#}");
        }
        let mut details = ErrorDetails::with_error_info(err.reason, err.domain, err.metadata);
        if !err.field_violations.is_empty() {
            details.set_bad_request(err.field_violations);
        }
        if let Some(delay) = err.retry_delay {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(err.code, err.message, details)
    }
}

/// A field violation: `field` is the request field's path, `description` says what is wrong.
pub fn violation(field: impl Into<String>, description: impl Into<String>) -> FieldViolation {
    FieldViolation::new(field, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "test.estospaces.dev";

    #[test]
    fn invalid_argument_carries_error_info_and_every_field_violation() {
        let status = Status::from(ApiError::invalid_argument(
            DOMAIN,
            vec![
                violation("email", "must be an email address"),
                violation("address.lat", "must be between -90 and 90"),
            ],
        ));

        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "INVALID_ARGUMENT");
        assert_eq!(info.domain, DOMAIN);
        let bad_request = details.bad_request().expect("BadRequest");
        let fields: Vec<&str> = bad_request
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["email", "address.lat"]);
        assert!(status.message().contains("address.lat"));
    }

    #[test]
    fn internal_errors_hide_their_cause_from_the_caller() {
        let cause = anyhow::anyhow!("connection to db-7 refused").context("saving user");
        let status = Status::from(ApiError::internal(DOMAIN, cause));

        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        let details = status.get_error_details();
        assert_eq!(details.error_info().expect("ErrorInfo").reason, "INTERNAL");
        assert!(!format!("{details:?}").contains("db-7"));
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let status = Status::from(ApiError::resource_exhausted(
            DOMAIN,
            "TOO_MANY_LOGIN_ATTEMPTS",
            Duration::from_secs(30),
        ));

        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = status.get_error_details();
        assert_eq!(
            details.retry_info().expect("RetryInfo").retry_delay,
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            details.error_info().expect("ErrorInfo").reason,
            "TOO_MANY_LOGIN_ATTEMPTS"
        );
    }

    #[test]
    fn each_constructor_maps_to_its_grpc_code() {
        let cases = [
            (
                ApiError::unauthenticated(DOMAIN, "TOKEN_EXPIRED"),
                Code::Unauthenticated,
            ),
            (
                ApiError::permission_denied(DOMAIN, "users.get"),
                Code::PermissionDenied,
            ),
            (ApiError::not_found(DOMAIN, "users/1"), Code::NotFound),
            (
                ApiError::already_exists(DOMAIN, "EMAIL_TAKEN", "taken"),
                Code::AlreadyExists,
            ),
            (
                ApiError::failed_precondition(DOMAIN, "INCOMPLETE", "no"),
                Code::FailedPrecondition,
            ),
            (
                ApiError::aborted(DOMAIN, "ETAG_MISMATCH", "stale"),
                Code::Aborted,
            ),
            (
                ApiError::unavailable(DOMAIN, anyhow::anyhow!("down")),
                Code::Unavailable,
            ),
        ];
        for (err, code) in cases {
            assert_eq!(Status::from(err).code(), code);
        }
    }

    #[test]
    fn metadata_reaches_the_error_info() {
        let status = Status::from(ApiError::not_found(DOMAIN, "properties/42"));
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "RESOURCE_NOT_FOUND");
        assert_eq!(
            info.metadata.get("resource").map(String::as_str),
            Some("properties/42")
        );
    }
}
