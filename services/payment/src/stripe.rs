//! [`StripeProvider`]: the provider over Stripe's HTTP API.
//!
//! An authorization is a PaymentIntent created with `capture_method=manual` and confirmed at
//! once; capture, void (cancel) and refunds act on it. Requests are form-encoded, authenticated
//! with the secret key, and carry our idempotency key in `Idempotency-Key`, which Stripe keeps
//! for 24 hours and answers repeated requests from. Card errors (HTTP 402) are declines; rate
//! limits, conflicts on a key in flight, 5xx and network failures are transient; anything else
//! is a rejection.

use std::time::Duration;

use estospaces_config::{ExposeSecret, SecretString};
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::Value;

use crate::provider::{AuthorizeRequest, PaymentProvider, ProviderError};

/// Stripe's API.
#[derive(Debug, Clone)]
pub struct StripeProvider {
    client: reqwest::Client,
    base_url: String,
    secret_key: SecretString,
}

impl StripeProvider {
    /// A client of the API at `base_url` (`https://api.stripe.com`).
    pub fn new(
        base_url: &str,
        secret_key: SecretString,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("estospaces-payment/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key,
        })
    }

    /// POSTs `form` to `path` with `idempotency_key`; the response's JSON object.
    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(&str, String)],
    ) -> Result<Value, ProviderError> {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(self.secret_key.expose_secret())
            .header("Idempotency-Key", idempotency_key)
            .form(form)
            .send()
            .await
            .map_err(|err| ProviderError::Unavailable(format!("calling Stripe: {err}")))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|err| {
            ProviderError::Unavailable(format!("reading Stripe's answer ({status}): {err}"))
        })?;
        if status.is_success() {
            return Ok(body);
        }
        Err(error_of(status, &body))
    }
}

/// What a failed Stripe response means.
fn error_of(status: StatusCode, body: &Value) -> ProviderError {
    let error = &body["error"];
    let field = |name: &str| error[name].as_str().unwrap_or_default().to_owned();
    let message = field("message");
    if status == StatusCode::PAYMENT_REQUIRED || error["type"] == "card_error" {
        // A generic decline keeps the general code (`card_declined`); a specific reason
        // (`insufficient_funds`) is the more useful one.
        let decline_code = field("decline_code");
        let code = if decline_code.is_empty() || decline_code == "generic_decline" {
            field("code")
        } else {
            decline_code
        };
        let code = if code.is_empty() {
            "card_declined".to_owned()
        } else {
            code
        };
        return ProviderError::Declined { code, message };
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::CONFLICT
        || status.is_server_error()
    {
        return ProviderError::Unavailable(format!("Stripe answered {status}: {message}"));
    }
    ProviderError::Rejected(format!(
        "Stripe answered {status} ({}): {message}",
        field("code")
    ))
}

fn id_of(body: &Value) -> Result<String, ProviderError> {
    body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ProviderError::Unavailable("Stripe's answer has no id".to_owned()))
}

impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn authorize<'a>(
        &'a self,
        request: AuthorizeRequest<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let form = [
                ("amount", request.amount.to_string()),
                ("currency", request.currency_code.to_ascii_lowercase()),
                ("payment_method", request.payment_method.to_owned()),
                ("capture_method", "manual".to_owned()),
                ("confirm", "true".to_owned()),
                // No redirect flows: the saga cannot send the guest anywhere.
                ("automatic_payment_methods[enabled]", "true".to_owned()),
                (
                    "automatic_payment_methods[allow_redirects]",
                    "never".to_owned(),
                ),
                ("metadata[booking]", request.booking_id.to_owned()),
            ];
            let intent = self
                .post("/v1/payment_intents", request.idempotency_key, &form)
                .await?;
            match intent["status"].as_str() {
                Some("requires_capture") => id_of(&intent),
                Some("requires_action") => Err(ProviderError::Declined {
                    code: "authentication_required".to_owned(),
                    message: "the card requires authentication".to_owned(),
                }),
                other => Err(ProviderError::Rejected(format!(
                    "the payment intent is {}",
                    other.unwrap_or("in no known state")
                ))),
            }
        })
    }

    fn capture<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
        amount: i64,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let path = format!("/v1/payment_intents/{provider_payment_id}/capture");
            let form = [("amount_to_capture", amount.to_string())];
            self.post(&path, idempotency_key, &form).await.map(drop)
        })
    }

    fn void<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let path = format!("/v1/payment_intents/{provider_payment_id}/cancel");
            self.post(&path, idempotency_key, &[]).await.map(drop)
        })
    }

    fn refund<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
        amount: i64,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let form = [
                ("payment_intent", provider_payment_id.to_owned()),
                ("amount", amount.to_string()),
            ];
            let refund = self.post("/v1/refunds", idempotency_key, &form).await?;
            id_of(&refund)
        })
    }
}

#[cfg(test)]
mod tests {
    //! Against a tiny local server that answers like Stripe: Stripe itself is out of reach.

    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::extract::{Path, State};
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    use axum::routing::post;
    use axum::{Form, Json, Router};
    use serde_json::json;

    use super::*;

    /// What the fake saw: (path, idempotency key, authorization, form).
    type Seen = Arc<Mutex<Vec<(String, String, String, HashMap<String, String>)>>>;

    fn record(seen: &Seen, path: String, headers: &HeaderMap, form: HashMap<String, String>) {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        seen.lock().expect("unpoisoned").push((
            path,
            header("idempotency-key"),
            header("authorization"),
            form,
        ));
    }

    async fn fake_stripe() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let app = Router::new()
            .route(
                "/v1/payment_intents",
                post(
                    |State(seen): State<Seen>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>| async move {
                        let method = form.get("payment_method").cloned().unwrap_or_default();
                        record(&seen, "/v1/payment_intents".to_owned(), &headers, form);
                        match method.as_str() {
                            "pm_card_visa" => (
                                StatusCode::OK,
                                Json(json!({"id": "pi_123", "status": "requires_capture"})),
                            ),
                            "pm_card_chargeDeclinedInsufficientFunds" => (
                                StatusCode::PAYMENT_REQUIRED,
                                Json(json!({"error": {"type": "card_error", "code": "card_declined",
                                    "decline_code": "insufficient_funds",
                                    "message": "Your card has insufficient funds."}})),
                            ),
                            "pm_card_chargeDeclined" => (
                                StatusCode::PAYMENT_REQUIRED,
                                Json(json!({"error": {"type": "card_error", "code": "card_declined",
                                    "decline_code": "generic_decline",
                                    "message": "Your card was declined."}})),
                            ),
                            _ => (
                                StatusCode::INTERNAL_SERVER_ERROR,
                                Json(json!({"error": {"type": "api_error", "message": "boom"}})),
                            ),
                        }
                        .into_response()
                    },
                ),
            )
            .route(
                "/v1/payment_intents/{id}/{action}",
                post(
                    |State(seen): State<Seen>, Path((id, action)): Path<(String, String)>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>| async move {
                        record(&seen, format!("/v1/payment_intents/{id}/{action}"), &headers, form);
                        if id == "pi_123" {
                            (StatusCode::OK, Json(json!({"id": id, "status": "succeeded"})))
                        } else {
                            (
                                StatusCode::BAD_REQUEST,
                                Json(json!({"error": {"type": "invalid_request_error",
                                    "code": "resource_missing", "message": "No such payment_intent"}})),
                            )
                        }
                    },
                ),
            )
            .route(
                "/v1/refunds",
                post(
                    |State(seen): State<Seen>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>| async move {
                        record(&seen, "/v1/refunds".to_owned(), &headers, form);
                        Json(json!({"id": "re_456", "status": "succeeded"}))
                    },
                ),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), seen)
    }

    fn authorize(payment_method: &str) -> AuthorizeRequest<'_> {
        AuthorizeRequest {
            idempotency_key: "b-1:authorize",
            amount: 12_345,
            currency_code: "EUR",
            payment_method,
            booking_id: "b-1",
        }
    }

    #[tokio::test]
    async fn the_adapter_speaks_stripes_form_encoded_api_with_idempotency_keys() {
        let (url, seen) = fake_stripe().await;
        let stripe =
            StripeProvider::new(&url, "sk_test_x".to_owned().into(), Duration::from_secs(5))
                .expect("a client");

        let id = stripe
            .authorize(authorize("pm_card_visa"))
            .await
            .expect("authorized");
        assert_eq!(id, "pi_123");
        stripe
            .capture("b-1:capture", &id, 10_000)
            .await
            .expect("captured");
        stripe.void("b-1:void", &id).await.expect("canceled");
        let refund = stripe
            .refund("b-1:refund", &id, 2_000)
            .await
            .expect("refunded");
        assert_eq!(refund, "re_456");

        let seen = seen.lock().expect("unpoisoned").clone();
        let (path, key, auth, form) = &seen[0];
        assert_eq!(path, "/v1/payment_intents");
        assert_eq!(key, "b-1:authorize");
        assert_eq!(auth, "Bearer sk_test_x");
        assert_eq!(form["amount"], "12345");
        assert_eq!(form["currency"], "eur");
        assert_eq!(form["capture_method"], "manual");
        assert_eq!(form["confirm"], "true");
        assert_eq!(seen[1].0, "/v1/payment_intents/pi_123/capture");
        assert_eq!(seen[1].1, "b-1:capture");
        assert_eq!(seen[1].3["amount_to_capture"], "10000");
        assert_eq!(seen[2].0, "/v1/payment_intents/pi_123/cancel");
        assert_eq!(seen[3].0, "/v1/refunds");
        assert_eq!(seen[3].3["payment_intent"], "pi_123");
        assert_eq!(seen[3].3["amount"], "2000");
    }

    #[tokio::test]
    async fn declines_rejections_and_outages_are_told_apart() {
        let (url, _) = fake_stripe().await;
        let stripe =
            StripeProvider::new(&url, "sk_test_x".to_owned().into(), Duration::from_secs(5))
                .expect("a client");

        let declined = |code: &str| ProviderError::Declined {
            code: code.to_owned(),
            message: String::new(),
        };
        match stripe
            .authorize(authorize("pm_card_chargeDeclinedInsufficientFunds"))
            .await
        {
            Err(ProviderError::Declined { code, .. }) => assert_eq!(code, "insufficient_funds"),
            other => panic!("{other:?}"),
        }
        match stripe.authorize(authorize("pm_card_chargeDeclined")).await {
            Err(ProviderError::Declined { code, .. }) => assert_eq!(code, "card_declined"),
            other => panic!("{other:?} is not {:?}", declined("card_declined")),
        }
        assert!(matches!(
            stripe.authorize(authorize("pm_other")).await,
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            stripe.capture("k", "pi_missing", 1).await,
            Err(ProviderError::Rejected(_))
        ));

        let unreachable = StripeProvider::new(
            "http://127.0.0.1:9",
            "sk".to_owned().into(),
            Duration::from_secs(2),
        )
        .expect("a client");
        assert!(matches!(
            unreachable.void("k", "pi_123").await,
            Err(ProviderError::Unavailable(_))
        ));
    }
}
