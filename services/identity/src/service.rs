//! `estospaces.identity.v1.IdentityService`.

use std::time::SystemTime;

use estospaces_auth::{KeySet, PublicJwk, Role, TokenIssuer, policy};
use estospaces_proto::identity_v1 as pb;
use estospaces_proto::identity_v1::identity_service_server::IdentityService;
use estospaces_status::{ApiError, violation};
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::domain::{Email, Password, UserId};
use crate::password;
use crate::store::{IdentityStore, StoreError, UserRecord};

/// The gRPC handlers, holding what they share.
#[derive(Debug, Clone)]
pub struct IdentityHandlers {
    store: IdentityStore,
    issuer: TokenIssuer,
    key_set: KeySet,
    public_keys: std::sync::Arc<std::sync::RwLock<Vec<PublicJwk>>>,
}

impl IdentityHandlers {
    pub fn new(
        store: IdentityStore,
        issuer: TokenIssuer,
        key_set: KeySet,
        public_keys: Vec<PublicJwk>,
    ) -> Self {
        Self {
            store,
            issuer,
            key_set,
            public_keys: std::sync::Arc::new(std::sync::RwLock::new(public_keys)),
        }
    }

    /// Replaces the published and trusted keys (after a refresh from the store).
    pub fn set_public_keys(&self, keys: Vec<PublicJwk>) -> anyhow::Result<()> {
        self.key_set.replace(&keys)?;
        *self
            .public_keys
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = keys;
        Ok(())
    }
}

fn storage_error(err: StoreError) -> ApiError {
    match err {
        StoreError::EmailTaken => ApiError::already_exists(
            DOMAIN,
            "EMAIL_ALREADY_REGISTERED",
            "an account with this email already exists",
        )
        .with_metadata("field", "email"),
        StoreError::Database(err) => ApiError::unavailable(DOMAIN, err),
    }
}

fn to_proto(user: &UserRecord) -> pb::User {
    pb::User {
        name: user.id.name(),
        email: user.email.clone(),
        roles: user
            .roles
            .iter()
            .map(|role| role_to_proto(*role) as i32)
            .collect(),
        email_verified: user.email_verified,
        create_time: Some(prost_types::Timestamp::from(user.created_at)),
    }
}

fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Guest => pb::Role::Guest,
        Role::Host => pb::Role::Host,
        Role::Agent => pb::Role::Agent,
        Role::Admin => pb::Role::Admin,
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityHandlers {
    async fn register_user(
        &self,
        request: Request<pb::RegisterUserRequest>,
    ) -> Result<Response<pb::RegisterUserResponse>, Status> {
        // Public: anyone may create an account.
        let request = request.into_inner();
        let email = Email::parse(&request.email);
        let password = Password::parse(request.password);
        let (email, password) = match (email, password) {
            (Ok(email), Ok(password)) => (email, password),
            (email, password) => {
                let mut violations = Vec::new();
                if let Err(why) = email {
                    violations.push(violation("email", why));
                }
                if let Err(why) = password {
                    violations.push(violation("password", why));
                }
                return Err(ApiError::invalid_argument(DOMAIN, violations).into());
            }
        };

        let hash = password::hash(password)
            .await
            .map_err(|err| ApiError::internal(DOMAIN, err))?;
        let user = self
            .store
            .create_user(&email, &hash, SystemTime::now())
            .await
            .map_err(storage_error)?;
        tracing::info!(user = %user.id, "registered");
        Ok(Response::new(pb::RegisterUserResponse {
            user: Some(to_proto(&user)),
        }))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        // Public. Every failure looks the same, so the answer never says whether an email is
        // registered.
        let invalid = || Status::from(ApiError::unauthenticated(DOMAIN, "INVALID_CREDENTIALS"));
        let request = request.into_inner();
        let user = match Email::parse(&request.email) {
            Ok(email) => self
                .store
                .find_user_by_email(&email)
                .await
                .map_err(storage_error)?,
            Err(_) => None,
        };
        let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
        let matches = password::verify(request.password, stored_hash)
            .await
            .map_err(|err| ApiError::internal(DOMAIN, err))?;
        let Some(user) = user.filter(|_| matches) else {
            return Err(invalid());
        };

        let issued = self.issuer.issue(&user.id.to_string(), &user.roles);
        Ok(Response::new(pb::LoginResponse {
            user: user.id.name(),
            access_token: issued.token,
            access_token_expire_time: Some(prost_types::Timestamp::from(issued.expires_at)),
        }))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        let id = UserId::from_name(&request.get_ref().name)
            .map_err(|why| ApiError::invalid_argument(DOMAIN, vec![violation("name", why)]))?;
        // Decided before the lookup, so a stranger cannot probe which accounts exist.
        policy::owner_or_admin(&request, &id.to_string())?;

        let user = self
            .store
            .find_user(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &id.name()))?;
        Ok(Response::new(pb::GetUserResponse {
            user: Some(to_proto(&user)),
        }))
    }

    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        // Public: verifiers everywhere need it.
        let keys = self
            .public_keys
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .iter()
            .map(|jwk| pb::JsonWebKey {
                kty: jwk.kty.clone(),
                crv: jwk.crv.clone(),
                x: jwk.x.clone(),
                kid: jwk.kid.clone(),
                alg: jwk.alg.clone(),
                r#use: jwk.use_.clone(),
            })
            .collect();
        Ok(Response::new(pb::GetJwksResponse { keys }))
    }
}
