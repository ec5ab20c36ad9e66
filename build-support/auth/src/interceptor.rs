//! Verifying bearer tokens on the way in.

use estospaces_status::ApiError;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::DOMAIN;
use crate::token::TokenVerifier;

/// A tonic interceptor: a request without `authorization` passes through anonymous (the handler's
/// policy decides whether that is enough); one with a bearer token that does not verify is
/// refused with UNAUTHENTICATED; one that verifies carries its [`crate::Caller`] in the
/// extensions.
///
/// Wrap each domain service with it (`FooServiceServer::with_interceptor(svc, auth)`); health and
/// reflection stay public.
#[derive(Debug, Clone)]
pub struct AuthInterceptor {
    verifier: TokenVerifier,
}

impl AuthInterceptor {
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let Some(value) = request.metadata().get("authorization") else {
            return Ok(request);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| Status::from(ApiError::unauthenticated(DOMAIN, "TOKEN_MALFORMED")))?;
        match self.verifier.verify(token.trim()) {
            Ok(caller) => {
                request.extensions_mut().insert(caller);
                Ok(request)
            }
            Err(err) => {
                tracing::debug!(reason = err.reason(), "refused access token: {err}");
                Err(ApiError::unauthenticated(DOMAIN, err.reason()).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;
    use crate::{Caller, KeySet, Role, SigningKey, TokenIssuer};

    fn interceptor_and_issuer() -> (AuthInterceptor, TokenIssuer) {
        let key = SigningKey::generate();
        let keys = KeySet::new(&[key.public_jwk().clone()]).expect("key");
        (
            AuthInterceptor::new(TokenVerifier::new(keys, "iss", "aud")),
            TokenIssuer::new(key, "iss", "aud", Duration::from_secs(60)),
        )
    }

    fn request_with_authorization(value: &str) -> Request<()> {
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("ascii"));
        request
    }

    #[test]
    fn a_valid_bearer_token_puts_the_caller_in_the_extensions() {
        let (mut auth, issuer) = interceptor_and_issuer();
        let token = issuer.issue("u1", &[Role::Guest]).token;

        let request = auth
            .call(request_with_authorization(&format!("Bearer {token}")))
            .expect("accepted");
        assert_eq!(
            request
                .extensions()
                .get::<Caller>()
                .map(|c| c.user_id.as_str()),
            Some("u1")
        );
    }

    #[test]
    fn a_revoked_accounts_token_is_refused_with_token_revoked() {
        let key = SigningKey::generate();
        let keys = KeySet::new(&[key.public_jwk().clone()]).expect("key");
        let mut auth = AuthInterceptor::new(TokenVerifier::new(keys.clone(), "iss", "aud"));
        let issuer = TokenIssuer::new(key, "iss", "aud", Duration::from_secs(60));
        let now = std::time::SystemTime::now();
        let token = issuer.issue_at("u1", &[Role::Guest], now).token;
        let second = now
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        keys.revoke("u1", second);

        let status = auth
            .call(request_with_authorization(&format!("Bearer {token}")))
            .expect_err("revoked");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(
            status
                .get_error_details()
                .error_info()
                .map(|info| info.reason.clone()),
            Some("TOKEN_REVOKED".to_owned())
        );
    }

    #[test]
    fn a_request_without_a_token_passes_through_anonymous() {
        let (mut auth, _) = interceptor_and_issuer();
        let request = auth.call(Request::new(())).expect("passes");
        assert!(request.extensions().get::<Caller>().is_none());
    }

    #[test]
    fn a_bad_token_is_refused_with_its_reason() {
        let (mut auth, _) = interceptor_and_issuer();
        for value in ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz"] {
            let status = auth
                .call(request_with_authorization(value))
                .expect_err("refused");
            assert_eq!(status.code(), Code::Unauthenticated);
            let details = status.get_error_details();
            assert_eq!(
                details.error_info().map(|info| info.reason.as_str()),
                Some("TOKEN_MALFORMED")
            );
        }
    }
}
