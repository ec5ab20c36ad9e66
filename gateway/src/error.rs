//! The one table from a `google.rpc.Status` to an HTTP response.
//!
//! The status code follows grpc-gateway's mapping, so clients written against other gateways
//! behave alike. The body is `{"code", "message", "details"}`: `code` is the numeric gRPC code and
//! each detail is the JSON form of its `google.protobuf.Any`, `@type` included.

use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::{ErrorDetail, StatusExt};

/// The `ErrorInfo` domain of errors the gateway raises itself.
pub const DOMAIN: &str = "gateway.estospaces.dev";

/// The HTTP status for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The JSON body for a status: `{"code", "message", "details"}`.
pub fn status_json(status: &tonic::Status) -> Value {
    let details: Vec<Value> = status
        .get_error_details_vec()
        .into_iter()
        .filter_map(detail_json)
        .collect();
    json!({
        "code": i32::from(status.code()),
        "message": status.message(),
        "details": details,
    })
}

/// The `ErrorInfo` reason of an idempotency key reused for a different request, which REST
/// clients get as 422 (Stripe's answer), not 400: the request itself is well formed.
const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";

/// The HTTP response for a status, with `Retry-After` when the status carries a `RetryInfo`.
pub fn status_response(status: &tonic::Status) -> Response {
    let http = match status.get_details_error_info() {
        Some(info) if info.reason == IDEMPOTENCY_KEY_REUSED => StatusCode::UNPROCESSABLE_ENTITY,
        _ => http_status(status.code()),
    };
    let mut response = (http, axum::Json(status_json(status))).into_response();
    if let Some(delay) = status
        .get_details_retry_info()
        .and_then(|info| info.retry_delay)
    {
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    }
    response
}

/// A detail as JSON; `None` for kinds tonic-types does not know yet.
fn detail_json(detail: ErrorDetail) -> Option<Value> {
    const PREFIX: &str = "type.googleapis.com/google.rpc.";
    Some(match detail {
        ErrorDetail::ErrorInfo(info) => json!({
            "@type": format!("{PREFIX}ErrorInfo"),
            "reason": info.reason,
            "domain": info.domain,
            "metadata": info.metadata,
        }),
        ErrorDetail::BadRequest(bad) => json!({
            "@type": format!("{PREFIX}BadRequest"),
            "fieldViolations": bad.field_violations.iter().map(|violation| json!({
                "field": violation.field,
                "description": violation.description,
            })).collect::<Vec<_>>(),
        }),
        ErrorDetail::RetryInfo(retry) => json!({
            "@type": format!("{PREFIX}RetryInfo"),
            "retryDelay": retry.retry_delay.map(duration_json),
        }),
        ErrorDetail::DebugInfo(debug) => json!({
            "@type": format!("{PREFIX}DebugInfo"),
            "stackEntries": debug.stack_entries,
            "detail": debug.detail,
        }),
        ErrorDetail::QuotaFailure(quota) => json!({
            "@type": format!("{PREFIX}QuotaFailure"),
            "violations": quota.violations.iter().map(|violation| json!({
                "subject": violation.subject,
                "description": violation.description,
            })).collect::<Vec<_>>(),
        }),
        ErrorDetail::PreconditionFailure(failure) => json!({
            "@type": format!("{PREFIX}PreconditionFailure"),
            "violations": failure.violations.iter().map(|violation| json!({
                "type": violation.r#type,
                "subject": violation.subject,
                "description": violation.description,
            })).collect::<Vec<_>>(),
        }),
        ErrorDetail::RequestInfo(info) => json!({
            "@type": format!("{PREFIX}RequestInfo"),
            "requestId": info.request_id,
            "servingData": info.serving_data,
        }),
        ErrorDetail::ResourceInfo(info) => json!({
            "@type": format!("{PREFIX}ResourceInfo"),
            "resourceType": info.resource_type,
            "resourceName": info.resource_name,
            "owner": info.owner,
            "description": info.description,
        }),
        ErrorDetail::Help(help) => json!({
            "@type": format!("{PREFIX}Help"),
            "links": help.links.iter().map(|link| json!({
                "description": link.description,
                "url": link.url,
            })).collect::<Vec<_>>(),
        }),
        ErrorDetail::LocalizedMessage(message) => json!({
            "@type": format!("{PREFIX}LocalizedMessage"),
            "locale": message.locale,
            "message": message.message,
        }),
        _ => return None,
    })
}

/// A duration in proto3 JSON: seconds with up to nine fractional digits and an `s`.
fn duration_json(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        let text = format!("{}.{:09}", duration.as_secs(), duration.subsec_nanos());
        format!("{}s", text.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use estospaces_status::{ApiError, FieldViolation};

    #[test]
    fn grpc_codes_map_to_grpc_gateway_http_statuses() {
        let table = [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::OutOfRange, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::Aborted, 409),
            (Code::ResourceExhausted, 429),
            (Code::Cancelled, 499),
            (Code::Internal, 500),
            (Code::Unknown, 500),
            (Code::DataLoss, 500),
            (Code::Unimplemented, 501),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
        ];
        for (code, http) in table {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }

    #[test]
    fn an_invalid_argument_renders_its_error_info_and_field_violations() {
        let status = tonic::Status::from(ApiError::invalid_argument(
            DOMAIN,
            vec![FieldViolation::new("email", "is not an email address")],
        ));
        let body = status_json(&status);
        assert_eq!(body["code"], 3);
        let details = body["details"].as_array().expect("details");
        let bad_request = details
            .iter()
            .find(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
            .expect("a BadRequest detail");
        assert_eq!(bad_request["fieldViolations"][0]["field"], "email");
        let info = details
            .iter()
            .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
            .expect("an ErrorInfo detail");
        assert_eq!(info["reason"], "INVALID_ARGUMENT");
        assert_eq!(info["domain"], DOMAIN);
    }

    #[test]
    fn throttling_sets_retry_after_in_whole_seconds() {
        let status = tonic::Status::from(ApiError::resource_exhausted(
            DOMAIN,
            "RATE_LIMITED",
            Duration::from_millis(1500),
        ));
        let response = status_response(&status);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[http::header::RETRY_AFTER], "2");
        assert_eq!(duration_json(Duration::from_millis(1500)), "1.5s");
    }
}
