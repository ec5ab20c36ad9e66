//! The check anonymous inquiries pass, when the platform configures one: a captcha answer
//! verified by its provider. hCaptcha, Cloudflare Turnstile and reCAPTCHA share one
//! protocol (a form POST of `secret` and `response` to a siteverify URL, answered with JSON
//! `{"success": bool}`), so one adapter serves them all.

use std::sync::Arc;
use std::time::Duration;

use estospaces_config::{ExposeSecret, SecretString};
use estospaces_status::ApiError;
use tonic::Code;

use crate::DOMAIN;

/// Verifies captcha answers. A trait so tests can stand in for the provider, which they
/// cannot reach.
pub trait CaptchaVerifier: Send + Sync + std::fmt::Debug + 'static {
    /// Whether `token` is a valid answer: `Ok(false)` for a wrong or used one, `Err` when the
    /// provider could not be asked.
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<bool>> + Send + 'a>>;
}

/// The provider's siteverify endpoint.
#[derive(Debug)]
pub struct SiteVerify {
    url: String,
    secret: SecretString,
    http: reqwest::Client,
}

impl SiteVerify {
    pub fn new(url: String, secret: SecretString) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self { url, secret, http })
    }
}

#[derive(Debug, serde::Deserialize)]
struct Verdict {
    success: bool,
}

impl CaptchaVerifier for SiteVerify {
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<bool>> + Send + 'a>> {
        Box::pin(async move {
            let verdict: Verdict = self
                .http
                .post(&self.url)
                .form(&[("secret", self.secret.expose_secret()), ("response", token)])
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            Ok(verdict.success)
        })
    }
}

/// The captcha gate of `CreateInquiry`: open when no verifier is configured.
#[derive(Debug, Clone, Default)]
pub struct Captcha(Option<Arc<dyn CaptchaVerifier>>);

impl Captcha {
    pub fn new(verifier: Option<Arc<dyn CaptchaVerifier>>) -> Self {
        Self(verifier)
    }

    /// Lets an anonymous inquiry through if its token verifies (or nothing is configured).
    pub async fn check(&self, token: &str) -> Result<(), ApiError> {
        let Some(verifier) = &self.0 else {
            return Ok(());
        };
        if token.is_empty() {
            return Err(captcha_failed("answer the captcha to send the inquiry"));
        }
        match verifier.verify(token).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(captcha_failed("the captcha answer was not accepted")),
            Err(err) => {
                tracing::warn!(error = %err, "the captcha provider could not be asked");
                Err(ApiError::unavailable(DOMAIN, err))
            }
        }
    }
}

fn captcha_failed(message: &str) -> ApiError {
    ApiError::new(Code::PermissionDenied, DOMAIN, "CAPTCHA_FAILED", message)
}
