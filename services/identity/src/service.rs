//! `estospaces.identity.v1.IdentityService`.

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use estospaces_auth::{Caller, KeySet, Role, TokenIssuer, policy};
use estospaces_config::AuthConfig;
use estospaces_proto::identity_v1 as pb;
use estospaces_proto::identity_v1::identity_service_server::IdentityService;
use estospaces_status::{ApiError, violation};
use prost_types::Timestamp;
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::config::IdentitySettings;
use crate::delivery::{Mail, TokenDelivery};
use crate::domain::{Email, Password, SessionId, UserId};
use crate::events::{Emitted, IdentityEvent};
use crate::keys::{self, KeyRing};
use crate::secrets::{self, OpaqueToken};
use crate::store::{
    AccountState, IdentityStore, NewToken, RefreshOutcome, SessionMeta, SessionRecord, StoreError,
    ThrottleRule, UserFilter, UserRecord,
};
use crate::{mfa, password};

/// The gRPC handlers, holding what they share.
#[derive(Debug, Clone)]
pub struct IdentityHandlers {
    store: IdentityStore,
    settings: Arc<IdentitySettings>,
    auth: AuthConfig,
    ring: Arc<RwLock<KeyRing>>,
    key_set: KeySet,
    delivery: Arc<dyn TokenDelivery>,
    bootstrap_admin: Option<Email>,
}

impl IdentityHandlers {
    pub fn new(
        store: IdentityStore,
        settings: IdentitySettings,
        auth: AuthConfig,
        ring: KeyRing,
        key_set: KeySet,
        delivery: Arc<dyn TokenDelivery>,
    ) -> anyhow::Result<Self> {
        let bootstrap_admin = settings
            .bootstrap_admin_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|why| anyhow::anyhow!("bootstrap_admin_email {why}"))?;
        key_set.replace(&ring.public)?;
        Ok(Self {
            store,
            settings: Arc::new(settings),
            auth,
            ring: Arc::new(RwLock::new(ring)),
            key_set,
            delivery,
            bootstrap_admin,
        })
    }

    /// How long a retired signing key stays published.
    pub fn key_retention(&self) -> std::time::Duration {
        keys::retention(
            self.settings.access_token_ttl,
            self.settings.key_refresh_interval,
        )
    }

    /// Signs with the ring's keys and trusts and publishes them from now on.
    pub fn set_ring(&self, ring: KeyRing) -> anyhow::Result<()> {
        self.key_set.replace(&ring.public)?;
        *self
            .ring
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = ring;
        Ok(())
    }

    fn read_ring(&self) -> std::sync::RwLockReadGuard<'_, KeyRing> {
        self.ring
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Hands the mail-bearing events of a committed transaction to the delivery.
    fn deliver(&self, emitted: &Emitted) {
        for event in emitted.events() {
            let mail = match event {
                IdentityEvent::EmailVerificationRequested(mail) => {
                    Mail::EmailVerification(mail.clone())
                }
                IdentityEvent::PasswordResetRequested(mail) => Mail::PasswordReset(mail.clone()),
                _ => continue,
            };
            self.delivery.deliver(&mail);
        }
    }

    /// Where a request comes from, for sessions and throttling.
    fn session_meta<T>(&self, request: &Request<T>) -> SessionMeta {
        let forwarded = self
            .settings
            .trust_forwarded_for
            .then(|| request.metadata().get("x-forwarded-for"))
            .flatten()
            .and_then(|value| value.to_str().ok())
            // The gateway replaces the header with the one address it resolved; were there
            // several entries, the last is the one the nearest proxy wrote.
            .and_then(|value| value.rsplit(',').next())
            .map(str::trim)
            .filter(|address| !address.is_empty())
            .map(str::to_owned);
        let client_address = forwarded.unwrap_or_else(|| {
            request
                .remote_addr()
                .map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
        });
        let user_agent = request
            .metadata()
            .get("user-agent")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(256)
            .collect();
        SessionMeta {
            user_agent,
            client_address,
        }
    }

    fn throttle_rules(&self) -> (ThrottleRule, ThrottleRule) {
        let settings = &self.settings.login_throttle;
        let rule = |max_failures| ThrottleRule {
            max_failures,
            window: settings.window,
            lockout: settings.lockout,
            max_lockout: settings.max_lockout,
        };
        (
            rule(settings.account_max_failures),
            rule(settings.address_max_failures),
        )
    }

    /// RESOURCE_EXHAUSTED while the email or the address is locked. Keyed by the email as typed,
    /// so an unknown email is throttled exactly like a registered one.
    async fn refuse_if_throttled(&self, keys: &ThrottleKeys) -> Result<(), ApiError> {
        let locked = self
            .store
            .throttled_for(&[&keys.account, &keys.address], SystemTime::now())
            .await
            .map_err(storage_error)?;
        match locked {
            Some(retry_after) => Err(ApiError::resource_exhausted(
                DOMAIN,
                "TOO_MANY_FAILED_SIGN_INS",
                retry_after,
            )),
            None => Ok(()),
        }
    }

    async fn record_failure(&self, keys: &ThrottleKeys) -> Result<(), ApiError> {
        let (account, address) = self.throttle_rules();
        let now = SystemTime::now();
        self.store
            .record_failure(&keys.account, account, now)
            .await
            .map_err(storage_error)?;
        self.store
            .record_failure(&keys.address, address, now)
            .await
            .map_err(storage_error)
    }

    /// Whether `code` is a current TOTP code (its time step not used before) or an unused
    /// recovery code of `user`'s confirmed factor. A wrong code counts as a failed sign-in; a
    /// right one clears the account's count.
    async fn second_factor_accepted(
        &self,
        user: UserId,
        code: &str,
        throttle: &ThrottleKeys,
    ) -> Result<bool, ApiError> {
        let now = SystemTime::now();
        let accepted = if secrets::is_recovery_code(code) {
            let digest = secrets::recovery_code_digest(code);
            self.store
                .use_recovery_code(user, &digest, now)
                .await
                .map_err(storage_error)?
        } else {
            let factor = self
                .store
                .mfa_factor(user)
                .await
                .map_err(storage_error)?
                .filter(|factor| factor.confirmed);
            match factor.and_then(|factor| mfa::check(&factor.secret, code, now)) {
                Some(step) => self
                    .store
                    .accept_totp_step(user, step)
                    .await
                    .map_err(storage_error)?,
                None => false,
            }
        };
        if accepted {
            self.store
                .clear_failures(&throttle.account)
                .await
                .map_err(storage_error)?;
        } else {
            self.record_failure(throttle).await?;
        }
        Ok(accepted)
    }

    /// Starts a session for `user` and issues its first tokens.
    async fn start_session(
        &self,
        user: &UserRecord,
        meta: &SessionMeta,
        challenge: Option<&[u8]>,
    ) -> Result<SessionTokens, ApiError> {
        let now = SystemTime::now();
        let refresh = OpaqueToken::generate();
        let session = self
            .store
            .create_session(
                user.id,
                meta,
                refresh.digest(),
                now + self.settings.session_ttl,
                challenge,
                now,
            )
            .await
            .map_err(|err| match err {
                StoreError::TokenInvalid => mfa_challenge_invalid(),
                other => storage_error(other),
            })?;
        tracing::info!(user = %user.id, session = %session.id, "signed in");
        Ok(self.tokens(user, &session, refresh))
    }

    fn tokens(
        &self,
        user: &UserRecord,
        session: &SessionRecord,
        refresh: OpaqueToken,
    ) -> SessionTokens {
        let signer = self.read_ring().signer().clone();
        let issued = TokenIssuer::new(
            signer,
            &self.auth.issuer,
            &self.auth.audience,
            self.settings.access_token_ttl,
        )
        .issue_at(&user.id.to_string(), &user.roles, issue_time(user));
        SessionTokens {
            user: user.id.name(),
            access_token: issued.token,
            access_token_expire_time: Some(Timestamp::from(issued.expires_at)),
            refresh_token: refresh.expose().to_owned(),
            refresh_token_expire_time: Some(Timestamp::from(session.expires_at)),
            session: session.id.name(user.id),
        }
    }

    /// Suspends, bans or reinstates the account `name` for the staff member calling, refusing
    /// to act on oneself or an admin; the account after.
    async fn change_state<T>(
        &self,
        request: &Request<T>,
        name: &str,
        state: AccountState,
        reason: &str,
    ) -> Result<pb::User, ApiError> {
        let caller = policy::staff(request)?;
        let id = parse_user("name", name)?;
        if caller.user_id == id.to_string() {
            return Err(ApiError::permission_denied(DOMAIN, "not:self"));
        }
        let actor = UserId::parse(&caller.user_id)
            .map_err(|_| ApiError::permission_denied(DOMAIN, "user"))?;
        let reason = reason_text(reason)?;
        let target = self
            .store
            .find_user(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &id.name()))?;
        if target.roles.contains(&Role::Admin) {
            return Err(ApiError::permission_denied(DOMAIN, "not:admin"));
        }
        // Lifting a ban is for admins only; so is turning it into a suspension, which would
        // lift it when the suspension ends.
        if target.state == AccountState::Banned
            && state != AccountState::Banned
            && !caller.is_admin()
        {
            return Err(ApiError::permission_denied(DOMAIN, "role:admin"));
        }
        // Reinstating an active account or banning a banned one changes nothing: a retried call
        // records no second event, so the owner is not told twice.
        if matches!(
            (target.state, state),
            (AccountState::Active, AccountState::Active)
                | (AccountState::Banned, AccountState::Banned)
        ) {
            return Ok(to_proto(&target));
        }
        let now = SystemTime::now();
        let (_, after, emitted) = self
            .store
            .set_state(id, state, actor, &reason, now)
            .await
            .map_err(|err| match err {
                StoreError::UserNotFound => ApiError::not_found(DOMAIN, &id.name()),
                other => storage_error(other),
            })?;
        self.deliver(&emitted);
        if state != AccountState::Active {
            // This replica refuses the tokens at once; the other replicas and every other
            // verifier within a poll of the revocations (`auth.revocation_refresh_interval`).
            // A reinstatement keeps the entry: tokens from before the suspension stay refused,
            // and new ones are issued after it (see `issue_time`).
            self.key_set.revoke(&id.to_string(), unix_seconds(now));
        }
        tracing::info!(user = %id, actor = %caller.user_id, state = ?after.state, "account state changed");
        Ok(to_proto(&after))
    }

    /// Loads the recent revocations into this service's own key set (other replicas' too).
    pub async fn load_revocations(&self) -> Result<(), StoreError> {
        let since = SystemTime::now() - self.settings.access_token_ttl;
        let revocations = self.store.revocations(since).await?;
        self.key_set.replace_revocations(
            revocations
                .into_iter()
                .map(|(id, at)| (id.to_string(), unix_seconds(at))),
        );
        Ok(())
    }
}

/// When a token for `user` is issued: now, or the second after the account's last token
/// revocation if that is later. `iat` counts whole seconds and verifiers refuse every token
/// issued at or before the revocation's second, so a sign-in in that same second (right after a
/// reinstatement, or a suspension that ended at once) is stamped up to a second ahead to live.
fn issue_time(user: &UserRecord) -> SystemTime {
    let now = SystemTime::now();
    user.tokens_revoked_at.map_or(now, |revoked| {
        let next_second = SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(unix_seconds(revoked).saturating_add(1));
        now.max(next_second)
    })
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A new one-time token and when it expires.
fn fresh_token(ttl: std::time::Duration, now: SystemTime) -> (OpaqueToken, SystemTime) {
    (OpaqueToken::generate(), now + ttl)
}

/// What a login, a completed MFA login and a refresh return.
struct SessionTokens {
    user: String,
    access_token: String,
    access_token_expire_time: Option<Timestamp>,
    refresh_token: String,
    refresh_token_expire_time: Option<Timestamp>,
    session: String,
}

/// The throttling counters a sign-in attempt counts against.
struct ThrottleKeys {
    account: String,
    address: String,
}

impl ThrottleKeys {
    fn new(email: &str, meta: &SessionMeta) -> Self {
        Self {
            account: format!("account:{}", email.trim().to_lowercase()),
            address: format!("address:{}", meta.client_address),
        }
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
        StoreError::Database(err) => estospaces_storage::api_error(DOMAIN, err),
        other => ApiError::internal(DOMAIN, anyhow::Error::from(other)),
    }
}

fn mfa_challenge_invalid() -> ApiError {
    ApiError::unauthenticated(DOMAIN, "MFA_CHALLENGE_INVALID")
}

fn token_invalid(field: &str) -> ApiError {
    ApiError::invalid_argument(
        DOMAIN,
        vec![violation(field, "is unknown, used or expired")],
    )
}

fn parse_user(field: &str, name: &str) -> Result<UserId, ApiError> {
    UserId::from_name(name)
        .map_err(|why| ApiError::invalid_argument(DOMAIN, vec![violation(field, why)]))
}

/// The account's owner only: not even admins act on someone else's credentials.
fn owner<T>(request: &Request<T>, user: UserId) -> Result<&Caller, ApiError> {
    let caller = policy::authenticated(request)?;
    if caller.user_id == user.to_string() {
        Ok(caller)
    } else {
        Err(ApiError::permission_denied(DOMAIN, "owner"))
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
        create_time: Some(Timestamp::from(user.created_at)),
        mfa_enabled: user.mfa_enabled,
        state: state_to_proto(user.state) as i32,
        suspend_end_time: match user.state {
            AccountState::Suspended { until } => Some(Timestamp::from(until)),
            _ => None,
        },
        // Why it is barred; an active account (an ended suspension too) shows none.
        state_reason: if user.state == AccountState::Active {
            String::new()
        } else {
            user.state_reason.clone()
        },
    }
}

fn session_to_proto(session: &SessionRecord) -> pb::Session {
    pb::Session {
        name: session.id.name(session.user),
        user_agent: session.user_agent.clone(),
        client_address: session.client_address.clone(),
        create_time: Some(Timestamp::from(session.created_at)),
        last_refresh_time: Some(Timestamp::from(session.refreshed_at)),
        expire_time: Some(Timestamp::from(session.expires_at)),
    }
}

/// The protobuf form of a role.
pub fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Guest => pb::Role::Guest,
        Role::Host => pb::Role::Host,
        Role::Agent => pb::Role::Agent,
        Role::Admin => pb::Role::Admin,
        Role::Moderator => pb::Role::Moderator,
    }
}

/// The protobuf form of an account's state.
pub fn state_to_proto(state: AccountState) -> pb::user::State {
    match state {
        AccountState::Active => pb::user::State::Active,
        AccountState::Suspended { .. } => pb::user::State::Suspended,
        AccountState::Banned => pb::user::State::Banned,
    }
}

/// Refuses sign-in and refresh to a suspended or banned account, saying until when.
fn refuse_if_barred(user: &UserRecord) -> Result<(), ApiError> {
    match user.state {
        AccountState::Active => Ok(()),
        AccountState::Suspended { until } => Err(ApiError::new(
            tonic::Code::PermissionDenied,
            DOMAIN,
            "ACCOUNT_SUSPENDED",
            format!("the account is suspended: {}", user.state_reason),
        )
        .with_metadata("suspend_end_time", Timestamp::from(until).to_string())),
        AccountState::Banned => Err(ApiError::new(
            tonic::Code::PermissionDenied,
            DOMAIN,
            "ACCOUNT_BANNED",
            format!("the account is banned: {}", user.state_reason),
        )),
    }
}

fn reason_text(reason: &str) -> Result<String, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1_000 {
        return Err(ApiError::invalid_argument(
            DOMAIN,
            vec![violation("reason", "1 to 1,000 characters")],
        ));
    }
    Ok(reason.to_owned())
}

fn invalid(field: &str, why: &str) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn role_from_proto(role: i32) -> Result<Role, ApiError> {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Guest) => Ok(Role::Guest),
        Ok(pb::Role::Host) => Ok(Role::Host),
        Ok(pb::Role::Agent) => Ok(Role::Agent),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Moderator) => Ok(Role::Moderator),
        Ok(pb::Role::Unspecified) | Err(_) => Err(ApiError::invalid_argument(
            DOMAIN,
            vec![violation(
                "role",
                "must be a role other than ROLE_UNSPECIFIED",
            )],
        )),
    }
}

fn internal(err: impl Into<anyhow::Error>) -> ApiError {
    ApiError::internal(DOMAIN, err)
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

        let hash = password::hash(password).await.map_err(internal)?;
        let now = SystemTime::now();
        let (token, expires_at) = fresh_token(self.settings.email_verification_ttl, now);
        let verification = NewToken {
            raw: token.expose(),
            digest: token.digest(),
            expires_at,
        };
        let (user, emitted) = self
            .store
            .create_user(&email, &hash, verification, now)
            .await
            .map_err(storage_error)?;
        self.deliver(&emitted);
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
        // registered: unknown emails cost a dummy hash and count towards throttling alike.
        let meta = self.session_meta(&request);
        let request = request.into_inner();
        let throttle = ThrottleKeys::new(&request.email, &meta);
        self.refuse_if_throttled(&throttle).await?;

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
            .map_err(internal)?;
        let Some(user) = user.filter(|_| matches) else {
            self.record_failure(&throttle).await?;
            return Err(ApiError::unauthenticated(DOMAIN, "INVALID_CREDENTIALS").into());
        };
        // Only with the right password: the refusal must not tell strangers about the account.
        refuse_if_barred(&user)?;

        // With a second factor, the count is cleared only once that factor is right too: a
        // known password must not reset the budget for guessing codes.
        if user.mfa_enabled {
            let now = SystemTime::now();
            let (challenge, expires_at) = fresh_token(self.settings.mfa_challenge_ttl, now);
            let token = NewToken {
                raw: challenge.expose(),
                digest: challenge.digest(),
                expires_at,
            };
            self.store
                .create_mfa_challenge(user.id, token, now)
                .await
                .map_err(storage_error)?;
            return Ok(Response::new(pb::LoginResponse {
                user: user.id.name(),
                mfa_challenge: Some(pb::MfaChallenge {
                    challenge_token: challenge.expose().to_owned(),
                    expire_time: Some(Timestamp::from(expires_at)),
                }),
                ..Default::default()
            }));
        }

        self.store
            .clear_failures(&throttle.account)
            .await
            .map_err(storage_error)?;
        let tokens = self.start_session(&user, &meta, None).await?;
        Ok(Response::new(pb::LoginResponse {
            user: tokens.user,
            access_token: tokens.access_token,
            access_token_expire_time: tokens.access_token_expire_time,
            refresh_token: tokens.refresh_token,
            refresh_token_expire_time: tokens.refresh_token_expire_time,
            session: tokens.session,
            mfa_challenge: None,
        }))
    }

    async fn complete_mfa_login(
        &self,
        request: Request<pb::CompleteMfaLoginRequest>,
    ) -> Result<Response<pb::CompleteMfaLoginResponse>, Status> {
        // Public: the challenge proves the password step.
        let meta = self.session_meta(&request);
        let request = request.into_inner();
        let now = SystemTime::now();
        let challenge = secrets::digest(&request.challenge_token);
        let user_id = match self.store.mfa_challenge_user(&challenge, now).await {
            Ok(user) => user,
            Err(StoreError::TokenInvalid) => return Err(mfa_challenge_invalid().into()),
            Err(err) => return Err(storage_error(err).into()),
        };
        let user = self
            .store
            .find_user(user_id)
            .await
            .map_err(storage_error)?
            .ok_or_else(mfa_challenge_invalid)?;
        let throttle = ThrottleKeys::new(&user.email, &meta);
        self.refuse_if_throttled(&throttle).await?;
        refuse_if_barred(&user)?;

        if !self
            .second_factor_accepted(user.id, &request.code, &throttle)
            .await?
        {
            return Err(ApiError::unauthenticated(DOMAIN, "INVALID_MFA_CODE").into());
        }

        let tokens = self.start_session(&user, &meta, Some(&challenge)).await?;
        Ok(Response::new(pb::CompleteMfaLoginResponse {
            user: tokens.user,
            access_token: tokens.access_token,
            access_token_expire_time: tokens.access_token_expire_time,
            refresh_token: tokens.refresh_token,
            refresh_token_expire_time: tokens.refresh_token_expire_time,
            session: tokens.session,
        }))
    }

    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        // Public: the refresh token is the credential. It is 256 random bits, so there is
        // nothing to throttle.
        let presented = secrets::digest(&request.get_ref().refresh_token);
        let next = OpaqueToken::generate();
        let outcome = self
            .store
            .refresh_session(&presented, next.digest(), SystemTime::now())
            .await
            .map_err(storage_error)?;
        let session = match outcome {
            RefreshOutcome::Rotated(session) => session,
            RefreshOutcome::ReuseDetected { user, session } => {
                tracing::warn!(%user, %session, "a spent refresh token came back: session revoked");
                return Err(ApiError::unauthenticated(DOMAIN, "REFRESH_TOKEN_REUSED").into());
            }
            RefreshOutcome::Invalid => {
                return Err(ApiError::unauthenticated(DOMAIN, "REFRESH_TOKEN_INVALID").into());
            }
        };
        // Roles are read afresh, so grants and revocations reach the next access token.
        let user = self
            .store
            .find_user(session.user)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::unauthenticated(DOMAIN, "REFRESH_TOKEN_INVALID"))?;
        refuse_if_barred(&user)?;
        let tokens = self.tokens(&user, &session, next);
        Ok(Response::new(pb::RefreshSessionResponse {
            user: tokens.user,
            access_token: tokens.access_token,
            access_token_expire_time: tokens.access_token_expire_time,
            refresh_token: tokens.refresh_token,
            refresh_token_expire_time: tokens.refresh_token_expire_time,
            session: tokens.session,
        }))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        // Public: the refresh token is the credential.
        let presented = secrets::digest(&request.get_ref().refresh_token);
        self.store
            .revoke_session_by_token(&presented, SystemTime::now())
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let user = parse_user("parent", &request.get_ref().parent)?;
        policy::owner_or_admin(&request, &user.to_string())?;

        let sessions = self
            .store
            .active_sessions(user, SystemTime::now())
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::ListSessionsResponse {
            sessions: sessions.iter().map(session_to_proto).collect(),
        }))
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::RevokeSessionResponse>, Status> {
        let name = request.get_ref().name.clone();
        let (user, session) = SessionId::from_name(&name)
            .map_err(|why| ApiError::invalid_argument(DOMAIN, vec![violation("name", why)]))?;
        policy::owner_or_admin(&request, &user.to_string())?;

        self.store
            .revoke_session(user, session, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::SessionNotFound => ApiError::not_found(DOMAIN, &name),
                other => storage_error(other),
            })?;
        Ok(Response::new(pb::RevokeSessionResponse {}))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        let id = parse_user("name", &request.get_ref().name)?;
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

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<pb::DeleteUserResponse>, Status> {
        let id = parse_user("name", &request.get_ref().name)?;
        policy::owner_or_admin(&request, &id.to_string())?;

        let emitted = self
            .store
            .delete_user(id, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::UserNotFound => ApiError::not_found(DOMAIN, &id.name()),
                other => storage_error(other),
            })?;
        self.deliver(&emitted);
        tracing::info!(user = %id, "deleted");
        Ok(Response::new(pb::DeleteUserResponse {}))
    }

    async fn grant_role(
        &self,
        request: Request<pb::GrantRoleRequest>,
    ) -> Result<Response<pb::GrantRoleResponse>, Status> {
        let admin = policy::role(&request, Role::Admin)?.user_id.clone();
        let id = parse_user("name", &request.get_ref().name)?;
        let role = role_from_proto(request.get_ref().role)?;

        let (user, emitted) = self
            .store
            .grant_role(id, role, &admin, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::UserNotFound => ApiError::not_found(DOMAIN, &id.name()),
                other => storage_error(other),
            })?;
        self.deliver(&emitted);
        tracing::info!(user = %id, %admin, role = role.as_str(), "granted role");
        Ok(Response::new(pb::GrantRoleResponse {
            user: Some(to_proto(&user)),
        }))
    }

    async fn revoke_role(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Result<Response<pb::RevokeRoleResponse>, Status> {
        let admin = policy::role(&request, Role::Admin)?.user_id.clone();
        let id = parse_user("name", &request.get_ref().name)?;
        let role = role_from_proto(request.get_ref().role)?;
        if role == Role::Guest {
            return Err(ApiError::invalid_argument(
                DOMAIN,
                vec![violation("role", "every account holds ROLE_GUEST")],
            )
            .into());
        }

        let (user, emitted) = self
            .store
            .revoke_role(id, role, &admin, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::UserNotFound => ApiError::not_found(DOMAIN, &id.name()),
                other => storage_error(other),
            })?;
        self.deliver(&emitted);
        tracing::info!(user = %id, %admin, role = role.as_str(), "revoked role");
        Ok(Response::new(pb::RevokeRoleResponse {
            user: Some(to_proto(&user)),
        }))
    }

    async fn request_email_verification(
        &self,
        request: Request<pb::RequestEmailVerificationRequest>,
    ) -> Result<Response<pb::RequestEmailVerificationResponse>, Status> {
        let id = parse_user("name", &request.get_ref().name)?;
        owner(&request, id)?;

        let now = SystemTime::now();
        let (token, expires_at) = fresh_token(self.settings.email_verification_ttl, now);
        let verification = NewToken {
            raw: token.expose(),
            digest: token.digest(),
            expires_at,
        };
        let emitted = self
            .store
            .request_email_verification(id, verification, now)
            .await
            .map_err(|err| match err {
                StoreError::UserNotFound => ApiError::not_found(DOMAIN, &id.name()),
                StoreError::EmailAlreadyVerified => ApiError::failed_precondition(
                    DOMAIN,
                    "EMAIL_ALREADY_VERIFIED",
                    "the email is verified already",
                ),
                other => storage_error(other),
            })?;
        self.deliver(&emitted);
        Ok(Response::new(pb::RequestEmailVerificationResponse {}))
    }

    async fn verify_email(
        &self,
        request: Request<pb::VerifyEmailRequest>,
    ) -> Result<Response<pb::VerifyEmailResponse>, Status> {
        // Public: the token is the credential.
        let digest = secrets::digest(&request.get_ref().token);
        let (user, emitted) = self
            .store
            .verify_email(&digest, self.bootstrap_admin.as_ref(), SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::TokenInvalid => token_invalid("token"),
                other => storage_error(other),
            })?;
        self.deliver(&emitted);
        Ok(Response::new(pb::VerifyEmailResponse {
            user: Some(to_proto(&user)),
        }))
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        // Public, and the same answer whether or not the email is registered, in content and in
        // time: the lookup and the token's insertion run after the response has gone.
        let email = Email::parse(&request.get_ref().email)
            .map_err(|why| ApiError::invalid_argument(DOMAIN, vec![violation("email", why)]))?;
        let handlers = self.clone();
        tokio::spawn(async move {
            let now = SystemTime::now();
            let (token, expires_at) = fresh_token(handlers.settings.password_reset_ttl, now);
            let reset = NewToken {
                raw: token.expose(),
                digest: token.digest(),
                expires_at,
            };
            match handlers
                .store
                .request_password_reset(&email, reset, now)
                .await
            {
                Ok(emitted) => handlers.deliver(&emitted),
                Err(err) => tracing::error!("issuing a password reset token: {err:#}"),
            }
        });
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        // Public: the token is the credential.
        let request = request.into_inner();
        let password = Password::parse(request.new_password).map_err(|why| {
            ApiError::invalid_argument(DOMAIN, vec![violation("new_password", why)])
        })?;
        let hash = password::hash(password).await.map_err(internal)?;
        let digest = secrets::digest(&request.token);
        let id = self
            .store
            .reset_password(&digest, &hash, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::TokenInvalid => token_invalid("token"),
                other => storage_error(other),
            })?;
        // Whoever can read the mailbox may sign in again at once.
        if let Some(user) = self.store.find_user(id).await.map_err(storage_error)? {
            self.store
                .clear_failures(&format!("account:{}", user.email))
                .await
                .map_err(storage_error)?;
        }
        tracing::info!(user = %id, "password reset: every session revoked");
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    async fn enroll_mfa(
        &self,
        request: Request<pb::EnrollMfaRequest>,
    ) -> Result<Response<pb::EnrollMfaResponse>, Status> {
        let id = parse_user("name", &request.get_ref().name)?;
        owner(&request, id)?;

        let user = self
            .store
            .find_user(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &id.name()))?;
        let secret = mfa::new_secret();
        let (secret_base32, otpauth_uri) =
            mfa::enrollment(&secret, &user.email).map_err(internal)?;
        self.store
            .start_mfa_enrollment(id, &secret, SystemTime::now())
            .await
            .map_err(|err| match err {
                StoreError::MfaAlreadyEnabled => ApiError::failed_precondition(
                    DOMAIN,
                    "MFA_ALREADY_ENABLED",
                    "a second factor is enrolled already",
                ),
                StoreError::UserNotFound => ApiError::not_found(DOMAIN, &id.name()),
                other => storage_error(other),
            })?;
        Ok(Response::new(pb::EnrollMfaResponse {
            secret: secret_base32,
            otpauth_uri,
        }))
    }

    async fn confirm_mfa(
        &self,
        request: Request<pb::ConfirmMfaRequest>,
    ) -> Result<Response<pb::ConfirmMfaResponse>, Status> {
        let id = parse_user("name", &request.get_ref().name)?;
        owner(&request, id)?;

        let not_pending = || {
            ApiError::failed_precondition(
                DOMAIN,
                "MFA_NOT_PENDING",
                "no second factor enrollment is pending; call EnrollMfa first",
            )
        };
        let now = SystemTime::now();
        let factor = self
            .store
            .mfa_factor(id)
            .await
            .map_err(storage_error)?
            .filter(|factor| !factor.confirmed)
            .ok_or_else(not_pending)?;
        let step = mfa::check(&factor.secret, &request.get_ref().code, now).ok_or_else(|| {
            ApiError::invalid_argument(
                DOMAIN,
                vec![violation("code", "is not the authenticator's current code")],
            )
        })?;
        let codes = secrets::recovery_codes();
        let digests: Vec<Vec<u8>> = codes
            .iter()
            .map(|code| secrets::recovery_code_digest(code))
            .collect();
        self.store
            .confirm_mfa(id, step, &digests, now)
            .await
            .map_err(|err| match err {
                StoreError::MfaNotPending => not_pending(),
                other => storage_error(other),
            })?;
        tracing::info!(user = %id, "second factor enrolled");
        Ok(Response::new(pb::ConfirmMfaResponse {
            recovery_codes: codes,
        }))
    }

    async fn disable_mfa(
        &self,
        request: Request<pb::DisableMfaRequest>,
    ) -> Result<Response<pb::DisableMfaResponse>, Status> {
        let id = parse_user("name", &request.get_ref().name)?;
        owner(&request, id)?;

        let user = self
            .store
            .find_user(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &id.name()))?;
        if !user.mfa_enabled {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "MFA_NOT_ENABLED",
                "no second factor is enrolled",
            )
            .into());
        }
        // A stolen access token alone must not be enough to strip the second factor.
        let throttle = ThrottleKeys::new(&user.email, &self.session_meta(&request));
        self.refuse_if_throttled(&throttle).await?;
        if !self
            .second_factor_accepted(id, &request.get_ref().code, &throttle)
            .await?
        {
            return Err(ApiError::invalid_argument(
                DOMAIN,
                vec![violation(
                    "code",
                    "is not a current code or an unused recovery code",
                )],
            )
            .into());
        }
        self.store.disable_mfa(id).await.map_err(storage_error)?;
        tracing::info!(user = %id, "second factor removed");
        Ok(Response::new(pb::DisableMfaResponse {}))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        policy::staff(&request)?;
        let m = request.get_ref();
        let limit = match m.page_size {
            0 => 50,
            n if n < 0 => return Err(invalid("page_size", "must not be negative").into()),
            n => i64::from(n.min(100)),
        };
        let after = if m.page_token.is_empty() {
            None
        } else {
            let (at, id) = m
                .page_token
                .split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, UserId::parse(id).ok()?)))
                .ok_or_else(|| invalid("page_token", "not a token this list returned"))?;
            Some((at, id.to_string()))
        };
        let role = match m.role {
            0 => None,
            role => Some(role_from_proto(role)?),
        };
        let state = match pb::user::State::try_from(m.state) {
            Ok(pb::user::State::Unspecified) => None,
            Ok(pb::user::State::Active) => Some("active"),
            Ok(pb::user::State::Suspended) => Some("suspended"),
            Ok(pb::user::State::Banned) => Some("banned"),
            Err(_) => return Err(invalid("state", "not an account state").into()),
        };
        let time = |field: &str, t: Option<&Timestamp>| {
            t.map(|t| SystemTime::try_from(*t).map_err(|_| invalid(field, "not a valid time")))
                .transpose()
        };
        let query = m.query.trim().to_lowercase();
        if query.chars().count() > 320 {
            return Err(invalid("query", "at most 320 characters").into());
        }
        let filter = UserFilter {
            query,
            role,
            state,
            created_after: time("create_time_after", m.create_time_after.as_ref())?,
            created_before: time("create_time_before", m.create_time_before.as_ref())?,
        };
        let mut users = self
            .store
            .list_users(&filter, after, limit)
            .await
            .map_err(storage_error)?;
        let next_page_token = if users.len() > usize::try_from(limit).unwrap_or(100) {
            users.truncate(usize::try_from(limit).unwrap_or(100));
            users.last().map_or_else(String::new, |last| {
                format!(
                    "{}.{}",
                    estospaces_storage::unix_micros(last.created_at),
                    last.id
                )
            })
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListUsersResponse {
            users: users.iter().map(to_proto).collect(),
            next_page_token,
        }))
    }

    async fn suspend_user(
        &self,
        request: Request<pb::SuspendUserRequest>,
    ) -> Result<Response<pb::SuspendUserResponse>, Status> {
        policy::staff(&request)?;
        let m = request.get_ref();
        let now = SystemTime::now();
        let until = m
            .end_time
            .and_then(|t| SystemTime::try_from(t).ok())
            .filter(|until| {
                *until > now && *until <= now + std::time::Duration::from_secs(366 * 86_400)
            })
            .ok_or_else(|| invalid("end_time", "in the future, at most a year away"))?;
        let user = self
            .change_state(
                &request,
                &m.name,
                AccountState::Suspended { until },
                &m.reason,
            )
            .await?;
        Ok(Response::new(pb::SuspendUserResponse { user: Some(user) }))
    }

    async fn ban_user(
        &self,
        request: Request<pb::BanUserRequest>,
    ) -> Result<Response<pb::BanUserResponse>, Status> {
        let m = request.get_ref();
        let user = self
            .change_state(&request, &m.name, AccountState::Banned, &m.reason)
            .await?;
        Ok(Response::new(pb::BanUserResponse { user: Some(user) }))
    }

    async fn reinstate_user(
        &self,
        request: Request<pb::ReinstateUserRequest>,
    ) -> Result<Response<pb::ReinstateUserResponse>, Status> {
        let m = request.get_ref();
        let user = self
            .change_state(&request, &m.name, AccountState::Active, &m.reason)
            .await?;
        Ok(Response::new(pb::ReinstateUserResponse {
            user: Some(user),
        }))
    }

    async fn list_token_revocations(
        &self,
        _request: Request<pb::ListTokenRevocationsRequest>,
    ) -> Result<Response<pb::ListTokenRevocationsResponse>, Status> {
        // Public, like the key set: verifiers everywhere poll it. Older revocations are left
        // out: every token they covered has expired.
        let since = SystemTime::now() - self.settings.access_token_ttl;
        let revocations = self
            .store
            .revocations(since)
            .await
            .map_err(storage_error)?
            .into_iter()
            .map(|(id, at)| pb::TokenRevocation {
                user: id.name(),
                revoke_time: Some(Timestamp::from(at)),
            })
            .collect();
        Ok(Response::new(pb::ListTokenRevocationsResponse {
            revocations,
        }))
    }

    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        // Public: verifiers everywhere need it.
        let keys = self
            .read_ring()
            .public
            .iter()
            .map(pb::JsonWebKey::from)
            .collect();
        Ok(Response::new(pb::GetJwksResponse { keys }))
    }

    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Result<Response<pb::RotateSigningKeyResponse>, Status> {
        let admin = policy::role(&request, Role::Admin)?.user_id.clone();
        if self.settings.signing_key_file.is_some() {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "SIGNING_KEY_CONFIGURED",
                "the signing key comes from signing_key_file: rotate by replacing that file",
            )
            .into());
        }

        let (ring, key, signs_from) = KeyRing::rotate(
            &self.store,
            self.key_retention(),
            self.settings.signing_key_pre_publication,
        )
        .await
        .map_err(internal)?;
        let kid = key.kid().to_owned();
        self.set_ring(ring).map_err(internal)?;
        tracing::info!(%kid, %admin, signs_from = %Timestamp::from(signs_from), "signing key rotated");
        Ok(Response::new(pb::RotateSigningKeyResponse { kid }))
    }
}
